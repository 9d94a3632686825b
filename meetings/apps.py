from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """三会一课 and organisational life: plan, record, attendance, quorum, votes, minutes sign-off."""

    name = "meetings"
    verbose_name = _("三会一课")

    def ready(self):
        from audit.services import register

        from . import timeline
        from .models import ActionItem, Amendment, Attachment, Attendance, Meeting, Resolution, Talk

        for model in (Meeting, Attendance, Resolution, ActionItem, Amendment, Talk):
            register(model)
        # The stored path is not JSON; the trail keeps the original name and size.
        register(Attachment, exclude=("file",))
        timeline.connect()
