from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("党员")

    def ready(self):
        from audit.services import register

        from . import exporters  # noqa: F401
        from .models import (
            Assessment,
            DevelopmentRule,
            DevelopmentStep,
            Member,
            MobileRecord,
            MobileReport,
            Transfer,
        )

        # Protected values never enter the trail in clear: only their masked copies are tracked.
        register(
            Member, exclude=("id_number", "phone", "id_hash", "phone_hash", "name_initials", "name_search")
        )
        for model in (DevelopmentRule, DevelopmentStep, Assessment, Transfer, MobileRecord, MobileReport):
            register(model)
