from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _meeting_saved(sender, instance, **kwargs):
    """A meeting reminder stops as soon as the minutes are signed (locked)."""
    if instance.locked_at is not None:
        from .models import ReminderKind
        from .services import withdraw

        withdraw(kind=ReminderKind.MINUTES_UNSIGNED, subject=f"meeting:{instance.pk}")


def _allocation_saved(sender, instance, created, **kwargs):
    """A member who paid this month is not reminded of it any more."""
    if created:
        from .models import ReminderKind
        from .services import withdraw

        withdraw(kind=ReminderKind.DUES_UNPAID, subject=f"member:{instance.member_id}")


class NotificationsConfig(AppConfig):
    """通知提醒: reminder rules, channels, per-user preferences and the delivery log."""

    name = "notifications"
    verbose_name = _("通知提醒")

    def ready(self):
        from django.db.models.signals import post_save

        from audit.services import register
        from dues.models import PaymentAllocation
        from meetings.models import Meeting

        from .models import Preference, ReminderRule

        register(ReminderRule)
        register(Preference)
        post_save.connect(_meeting_saved, sender=Meeting, dispatch_uid="notifications.meeting")
        post_save.connect(
            _allocation_saved, sender=PaymentAllocation, dispatch_uid="notifications.allocation"
        )
