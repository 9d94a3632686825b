import datetime

import pytest
import time_machine

# The hand-built quarter of the dashboards' tests (2026-Q2 in branch a), shared by the report tests.
from tests.dashboards.conftest import full_members, meeting, world  # noqa: F401

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(year, month, day, hour=10, minute=0, second=0):
    """Freeze time at a local (Asia/Shanghai) moment."""
    return time_machine.travel(
        datetime.datetime(year, month, day, hour, minute, second, tzinfo=TZ), tick=False
    )


def deliveries(**filters):
    from notifications.models import Delivery

    return list(Delivery.objects.filter(**filters).order_by("pk"))


@pytest.fixture
def mailbox(settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox
