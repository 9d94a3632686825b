from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class _Ledger:
    """What the transfer letter reads from the dues ledger (registered with members, which sits
    below dues and never imports it)."""

    @staticmethod
    def paid_through(member, today):
        from .selectors import paid_through

        return paid_through(member.pk, today)

    @staticmethod
    def outstanding_months(member, today):
        from .selectors import has_ledger, outstanding_months

        return outstanding_months(member.pk, today) if has_ledger(member.pk) else None


class DuesConfig(AppConfig):
    """党费: rules, yearly bases, monthly obligations, payments, arrears and remittance."""

    name = "dues"
    verbose_name = _("党费")

    def ready(self):
        from django.db.models.signals import post_save

        from audit.services import register
        from members.models import StatusChange
        from members.selectors_transfers import register_dues_ledger

        from . import exporters  # noqa: F401
        from .generation import on_status_change
        from .models import (
            BranchDuesSetting,
            DuesBase,
            DuesBaseAdjustment,
            DuesBracket,
            DuesExemption,
            DuesIncomeEntry,
            DuesPolicy,
            Remittance,
        )

        # Payments and obligations are written only by services, which log named actions.
        for model in (
            DuesBracket,
            DuesPolicy,
            BranchDuesSetting,
            DuesBase,
            DuesBaseAdjustment,
            DuesExemption,
            DuesIncomeEntry,
            Remittance,
        ):
            register(model)
        post_save.connect(on_status_change, sender=StatusChange, dispatch_uid="dues.on_status_change")
        register_dues_ledger(_Ledger())
