from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _meeting_saved(sender, instance, **kwargs):
    """A meeting reminder stops as soon as the minutes are signed (locked)."""
    if instance.locked_at is not None:
        from .models import ReminderKind
        from .services import withdraw

        withdraw(kind=ReminderKind.MINUTES_UNSIGNED, subject=f"meeting:{instance.pk}")


def _payment_saved(sender, instance, created, **kwargs):
    """A member who has paid this month is not reminded of it any more (checked once the payment's
    allocations are committed: a partial payment leaves the reminder standing)."""
    if not created:
        return
    from django.db import transaction

    from .models import ReminderKind
    from .reminders import owed_this_month
    from .services import withdraw

    member_id = instance.member_id

    def check():
        if not owed_this_month(member_id):
            withdraw(kind=ReminderKind.DUES_UNPAID, subject=f"member:{member_id}")

    transaction.on_commit(check)


def _report_ready(sender, report, user_ids, **kwargs):
    """A quarterly report is ready: its recipients are told (in-app and their channels)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from .models import ReminderKind, ReminderRule
    from .services import notify

    if ReminderRule.objects.filter(kind=ReminderKind.REPORT_READY, enabled=False, organization=None).exists():
        return
    notify(
        kind=ReminderKind.REPORT_READY,
        subject=f"report:{report.pk}",
        period=f"{report.period}#{report.runs}",
        user_ids=user_ids,
        title=_("%(org)s %(period)s季度合规报告已生成")
        % {"org": report.organization.name, "period": report.period},
        url=reverse("compliance:report", args=[report.pk]),
        organization=report.organization,
    )


class NotificationsConfig(AppConfig):
    """通知提醒: reminder rules, channels, per-user preferences and the delivery log."""

    name = "notifications"
    verbose_name = _("通知提醒")

    def ready(self):
        from django.db.models.signals import post_save

        from audit.services import register
        from dues.models import DuesPayment
        from meetings.models import Meeting

        from .models import Preference, ReminderRule

        register(ReminderRule)
        register(Preference)
        from compliance.reports import report_ready

        report_ready.connect(_report_ready, dispatch_uid="notifications.report_ready")
        post_save.connect(_meeting_saved, sender=Meeting, dispatch_uid="notifications.meeting")
        post_save.connect(_payment_saved, sender=DuesPayment, dispatch_uid="notifications.payment")
