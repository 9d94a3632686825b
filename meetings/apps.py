from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """三会一课 and organisational life (filled by the meetings issue)."""

    name = "meetings"
    verbose_name = _("三会一课")
