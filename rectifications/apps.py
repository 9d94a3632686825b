from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationsConfig(AppConfig):
    """整改台账: ledgers, items, progress, verification and close-out (销号), the suggestion box."""

    name = "rectifications"
    verbose_name = _("整改台账")
