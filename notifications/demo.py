"""Demo reminders: the reminder run over the demo data (the demo branch's unsigned minutes, unpaid
dues, rectification items near or past their deadline …) and last quarter's compliance report for
the demo 机关党委, so the demo accounts' bells show real reminders. Idempotent: the reminders are
claimed once (a second run adds nothing) and the report is only made when missing."""

import datetime

from compliance.models import QuarterlyReport
from compliance.periods import QUARTER, current
from compliance.reports import report_request

from .models import Recipients, ReminderKind, ReminderRule
from .services import reminder_run


def seed(ctx):
    root = ctx["root"]
    # The demo 机关党委's own rule: the monthly 推进情况 is asked for from the start of the month (a
    # subtree override of the 3-day default), so the demo member, who shares an item, is reminded.
    ReminderRule.objects.get_or_create(
        kind=ReminderKind.RECTIFICATION_UPDATE,
        organization=root,
        effective_from=datetime.date(2026, 1, 1),
        defaults={
            "lead_days": 27,
            "recipients": Recipients.RESPONSIBLE,
            "source": "演示：本月初即提醒报送推进情况",
        },
    )
    quarter = current(QUARTER, ctx["today"]).previous()
    if not QuarterlyReport.objects.filter(organization=root, period=quarter.code).exists():
        report_request(organization=root, period=quarter.code, user=None)
    reminder_run(today=ctx["today"])
