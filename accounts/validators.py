from django.contrib.auth import password_validation
from django.utils.translation import ngettext

# Django's own catalogue entry, translated in every language Django ships. Held in a constant so
# that makemessages leaves it to Django's catalogue rather than copying it into ours.
_TOO_SHORT = (
    "This password is too short. It must contain at least %(min_length)d character.",
    "This password is too short. It must contain at least %(min_length)d characters.",
)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with a message Chinese users can read: Django 5.2 reworded "too short" (%d)
    and its zh_Hans catalogue still translates only the earlier wording, so the error came out in
    English. The earlier wording is translated, and reads correctly in English too."""

    def get_error_message(self):
        return ngettext(*_TOO_SHORT, self.min_length) % {"min_length": self.min_length}
