"""Each reminder case: who receives it, when, and that stale data sends nothing."""

import datetime
from decimal import Decimal

import pytest

from dues.generation import reconcile_month
from dues.models import DuesBase, period_of
from dues.services import dues_payment_record
from meetings.models import Meeting, MeetingStatus
from notifications.models import Channel, DeliveryStatus, ReminderKind, ReminderRule
from notifications.services import reminder_run

from .conftest import at, deliveries

pytestmark = pytest.mark.django_db


def base(member, amount="10.00", year=2026):
    return DuesBase.objects.create(
        member=member,
        branch=member.branch,
        year=year,
        category="in_service",
        income=Decimal(amount) * 100,
        rate=Decimal("0.0100"),
        monthly_amount=Decimal(amount),
        status="verified",
    )


def inbox(user, kind):
    return deliveries(recipient=user, kind=kind, channel=Channel.IN_APP, status=DeliveryStatus.SENT)


def test_dues_unpaid_after_the_collection_day_goes_to_the_member(cast):
    base(cast.mem_a)
    with at(2026, 6, 1):
        reconcile_month(period_of(datetime.date(2026, 6, 1)))
    with at(2026, 6, 10):  # the collection day itself (default 10th): not yet
        reminder_run()
        assert inbox(cast.member_a, ReminderKind.DUES_UNPAID) == []
    with at(2026, 6, 11):
        reminder_run()
        [note] = inbox(cast.member_a, ReminderKind.DUES_UNPAID)
        assert note.period == "2026-06" and "10.00" in note.title
        reminder_run()  # a re-run adds nothing
        assert len(inbox(cast.member_a, ReminderKind.DUES_UNPAID)) == 1


def test_no_dues_reminder_before_the_month_is_open(cast):
    base(cast.mem_a)
    with at(2026, 6, 20):  # June's obligations were never generated: collection not open
        reminder_run()
    assert inbox(cast.member_a, ReminderKind.DUES_UNPAID) == []


def test_no_dues_reminder_to_someone_who_paid(cast):
    base(cast.mem_a)
    with at(2026, 6, 1):
        reconcile_month(period_of(datetime.date(2026, 6, 1)))
    with at(2026, 6, 5):
        dues_payment_record(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount=Decimal("10.00"),
            paid_on=datetime.date(2026, 6, 5),
        )
    with at(2026, 6, 15):
        reminder_run()
    assert inbox(cast.member_a, ReminderKind.DUES_UNPAID) == []


def test_no_dues_reminder_to_someone_transferred_out_or_gone(cast):
    base(cast.mem_a)
    with at(2026, 6, 1):
        reconcile_month(period_of(datetime.date(2026, 6, 1)))
    cast.mem_a.status = "transferred_out"
    cast.mem_a.save(update_fields=["status"])
    with at(2026, 6, 15):
        reminder_run()
    assert inbox(cast.member_a, ReminderKind.DUES_UNPAID) == []


def test_a_payment_withdraws_the_unread_reminder(cast, django_capture_on_commit_callbacks):
    base(cast.mem_a)
    with at(2026, 6, 1):
        reconcile_month(period_of(datetime.date(2026, 6, 1)))
    with at(2026, 6, 15), django_capture_on_commit_callbacks(execute=True):
        reminder_run()
        assert len(inbox(cast.member_a, ReminderKind.DUES_UNPAID)) == 1
        dues_payment_record(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount=Decimal("10.00"),
            paid_on=datetime.date(2026, 6, 15),
        )
    assert inbox(cast.member_a, ReminderKind.DUES_UNPAID) == []
    [gone] = deliveries(kind=ReminderKind.DUES_UNPAID, channel=Channel.IN_APP)
    assert gone.status == DeliveryStatus.WITHDRAWN


def test_three_and_six_months_owed(cast):
    base(cast.mem_a, year=2025)
    base(cast.mem_a, year=2026)
    with at(2026, 7, 1):
        for period in range(period_of(datetime.date(2026, 1, 1)), period_of(datetime.date(2026, 7, 1)) + 1):
            reconcile_month(period)
        reminder_run()
    # 6 months owed (Jan–Jun): the secretary is told of the arrears, the committee of the review.
    [three] = inbox(cast.secretary_a, ReminderKind.DUES_THREE_MONTHS)
    assert "6个月" in three.title
    [six] = inbox(cast.committee, ReminderKind.DUES_SIX_MONTHS)
    assert "自行脱党" in six.title
    assert inbox(cast.other_committee, ReminderKind.DUES_SIX_MONTHS) == []
    assert inbox(cast.member_a, ReminderKind.DUES_THREE_MONTHS) == []


def test_unsigned_minutes_until_signed(cast):
    meeting = Meeting.objects.create(
        organization=cast.a,
        kind="committee_meeting",
        topic="支委会",
        held_on=datetime.date(2026, 6, 1),
        status=MeetingStatus.HELD,
    )
    with at(2026, 6, 3):  # lead 3 days: not yet
        reminder_run()
        assert inbox(cast.secretary_a, ReminderKind.MINUTES_UNSIGNED) == []
    with at(2026, 6, 4):
        reminder_run()
        [note] = inbox(cast.secretary_a, ReminderKind.MINUTES_UNSIGNED)
        assert note.subject == f"meeting:{meeting.pk}"
    with at(2026, 6, 5, 9):
        meeting.locked_at = datetime.datetime(2026, 6, 5, 9, tzinfo=datetime.UTC)
        meeting.minutes_state = "locked"
        meeting.save()
    assert inbox(cast.secretary_a, ReminderKind.MINUTES_UNSIGNED) == []
    with at(2026, 6, 6):
        reminder_run()
    assert inbox(cast.secretary_a, ReminderKind.MINUTES_UNSIGNED) == []
    assert inbox(cast.secretary_b, ReminderKind.MINUTES_UNSIGNED) == []


def test_a_required_meeting_still_missing_near_the_window_end(cast):
    # 30 September 2026, a quarterly rule (党员大会) with nothing held: lead 7 days.
    with at(2026, 9, 22):
        reminder_run()
        assert not any(n.period == "2026-Q3" for n in inbox(cast.secretary_a, ReminderKind.MEETING_MISSING))
    with at(2026, 9, 24):
        reminder_run()
        quarter = [n for n in inbox(cast.secretary_a, ReminderKind.MEETING_MISSING) if n.period == "2026-Q3"]
        assert quarter and all("甲党支部" in n.title for n in quarter)


def test_a_disabled_rule_sends_nothing(cast):
    ReminderRule.objects.filter(kind=ReminderKind.MINUTES_UNSIGNED).update(enabled=False)
    Meeting.objects.create(
        organization=cast.a,
        kind="committee_meeting",
        topic="支委会",
        held_on=datetime.date(2026, 6, 1),
        status=MeetingStatus.HELD,
    )
    with at(2026, 6, 20):
        reminder_run()
    assert inbox(cast.secretary_a, ReminderKind.MINUTES_UNSIGNED) == []


def test_term_ending_within_six_months(cast):
    cast.a.term_start, cast.a.term_end = datetime.date(2023, 12, 1), datetime.date(2026, 11, 30)
    cast.a.save()
    with at(2026, 5, 30):  # 184 days before: not yet
        reminder_run()
        assert inbox(cast.secretary_a, ReminderKind.TERM_ENDING) == []
    with at(2026, 6, 1):
        reminder_run()
    assert len(inbox(cast.secretary_a, ReminderKind.TERM_ENDING)) == 1
    assert len(inbox(cast.committee, ReminderKind.TERM_ENDING)) == 1


def test_development_step_due_and_overdue(cast):
    from members.models import Member

    Member.objects.filter(pk=cast.mem_a.pk).update(
        status="activist", next_step_no=6, next_step_due=datetime.date(2026, 6, 20)
    )
    with at(2026, 6, 10):
        reminder_run()
        assert len(inbox(cast.secretary_a, ReminderKind.DEVELOPMENT_DUE)) == 1
    with at(2026, 6, 21):
        reminder_run()
        assert len(inbox(cast.secretary_a, ReminderKind.DEVELOPMENT_OVERDUE)) == 1


def test_transfer_letter_expiring_without_receipt(cast):
    from members.models import Transfer

    letter = Transfer.objects.create(
        member=cast.mem_a,
        direction="out",
        status="pending",
        from_branch=cast.a,
        external_org="外省某党委",
        issued_on=datetime.date(2026, 3, 1),
        valid_until=datetime.date(2026, 5, 31),
        letter_no="J-7",
    )
    with at(2026, 5, 20):
        reminder_run()
    [note] = inbox(cast.secretary_a, ReminderKind.TRANSFER_EXPIRING)
    assert "J-7" in note.title
    letter.receipt_on = datetime.date(2026, 5, 21)
    letter.status = "completed"
    letter.save()
    with at(2026, 5, 22):
        reminder_run()
    assert inbox(cast.secretary_a, ReminderKind.TRANSFER_EXPIRING) == []  # withdrawn: the receipt came


def test_rectification_item_near_deadline_overdue_and_update(cast):
    from rectifications.models import Item, Ledger

    ledger = Ledger.objects.create(
        issuer=cast.c1,
        title="巡察反馈整改",
        source="inspection",
        issued_on=datetime.date(2026, 1, 5),
        deadline=datetime.date(2026, 12, 31),
    )
    item = Item.objects.create(
        ledger=ledger,
        seq=1,
        problem="支部学习不扎实",
        deadline=datetime.date(2026, 6, 30),
        status="in_progress",
        claimed_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
    )
    item.units.add(cast.a)
    with at(2026, 6, 25):
        reminder_run()
        assert len(inbox(cast.secretary_a, ReminderKind.RECTIFICATION_DUE)) == 1
        assert len(inbox(cast.secretary_a, ReminderKind.RECTIFICATION_UPDATE)) == 1
    with at(2026, 7, 1):
        reminder_run()
        assert len(inbox(cast.secretary_a, ReminderKind.RECTIFICATION_OVERDUE)) == 1
    Item.objects.filter(pk=item.pk).update(status="closed")
    with at(2026, 7, 2):
        reminder_run()
    assert inbox(cast.secretary_a, ReminderKind.RECTIFICATION_OVERDUE) == []
    assert inbox(cast.secretary_b, ReminderKind.RECTIFICATION_DUE) == []
