from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    """Rule sets for 三会一课 cadence and the compliance engine over the org tree."""

    name = "compliance"
    verbose_name = _("组织生活合规")

    def ready(self):
        from audit.services import register

        from .models import ComplianceRule

        register(ComplianceRule)
