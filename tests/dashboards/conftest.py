"""Hand-built data for the metrics and dashboards on top of the standing cast: in 2026-Q2 branch a
holds every meeting it owes except the April 支委会, has dues of ¥10 a month for each of its 8
members (one pays nothing, the rest pay everything), one overdue and one closed rectification item
and one overdue development step; branch b holds nothing."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.compliance import conftest as compliance_fixtures
from tests.conftest import make_member

SHANGHAI = ZoneInfo("Asia/Shanghai")
meeting = compliance_fixtures.meeting
full_members = compliance_fixtures.full_members
TODAY = datetime.datetime(2026, 7, 10, 10, tzinfo=SHANGHAI)


@pytest.fixture
def world(cast, meeting, full_members):
    from dues import services as dues_services
    from dues.generation import reconcile_month
    from dues.models import DuesBase, period_of
    from meetings.models import MeetingKind
    from rectifications import services as rect

    a = cast.a
    extra = full_members(a, 6, group=cast.a_group)  # 8 full members in a: a committee applies
    members = [cast.sec_a, cast.mem_a, *extra]
    for m in members:
        DuesBase.objects.create(
            member=m,
            branch=a,
            year=2026,
            category="in_service",
            income=Decimal("1000"),
            rate=Decimal("0.0100"),
            monthly_amount=Decimal("10.00"),
            status="verified",
        )
    for month in (4, 5, 6):
        day = datetime.date(2026, month, 10)
        if month != 4:
            meeting(a, MeetingKind.COMMITTEE_MEETING, day)
        meeting(a, MeetingKind.GROUP_MEETING, day, group=cast.a_group)
        meeting(a, MeetingKind.THEMED_DAY, day, expected_count=8, present_count=6)
    meeting(a, MeetingKind.GENERAL_MEETING, datetime.date(2026, 5, 20), expected_count=8, present_count=8)
    meeting(a, MeetingKind.PARTY_LECTURE, datetime.date(2026, 6, 5))
    with time_machine.travel(datetime.datetime(2026, 6, 20, 10, tzinfo=SHANGHAI)):
        for period in range(period_of(datetime.date(2026, 1, 1)), period_of(datetime.date(2026, 6, 1)) + 1):
            reconcile_month(period)
        for m in members[1:]:
            dues_services.dues_payment_record(
                user=cast.secretary_a, member=m, amount=Decimal("60.00"), paid_on=datetime.date(2026, 6, 20)
            )
        ledger = rect.ledger_create(
            user=cast.committee,
            issuer=cast.c1,
            source="inspection",
            title="2026年巡察反馈问题整改台账",
            issued_on=datetime.date(2026, 3, 1),
            deadline=datetime.date(2026, 8, 31),
        )
        late = rect.item_create(
            user=cast.committee,
            ledger=ledger,
            problem="记录不规范",
            category="组织建设",
            units=[a],
            measures=["补齐"],
            deadline=datetime.date(2026, 6, 30),
        )
        done = rect.item_create(
            user=cast.committee,
            ledger=ledger,
            problem="台账不全",
            category="组织建设",
            units=[a],
            measures=["补齐"],
            deadline=datetime.date(2026, 8, 31),
        )
    type(done).objects.filter(pk=done.pk).update(
        status="closed", closed_at=datetime.datetime(2026, 6, 25, 9, tzinfo=SHANGHAI)
    )
    with time_machine.travel(TODAY):  # July's generation: June is now the 6th month in arrears
        reconcile_month(period_of(datetime.date(2026, 7, 1)))
    pipeline = make_member(a, "甲申请人", status="applicant")
    type(pipeline).objects.filter(pk=pipeline.pk).update(
        next_step_no=2, next_step_due=datetime.date(2026, 6, 1)
    )
    return {"late_item": late, "members": members, "pipeline": pipeline}
