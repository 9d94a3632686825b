from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    """党费 rules, bases, obligations and payments (filled by the dues issue)."""

    name = "dues"
    verbose_name = _("党费")
