"""Overdue at the deadline boundary and the monthly progress-update due day (default the 28th,
configurable per subtree by the rule table), with frozen time."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from rectifications import services
from rectifications.models import Item, RectificationRule
from rectifications.models.rules import DueDayResolver

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(day, hour=9):
    return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def claimed(cast, ledger, make_item):
    with time_machine.travel(at(datetime.date(2026, 3, 2)), tick=False):
        item = make_item(ledger, deadline=datetime.date(2026, 6, 30))
        services.item_claim(user=cast.secretary_a, item=item)
    return Item.objects.get(pk=item.pk)


def test_overdue_from_the_day_after_the_deadline_until_closed(cast, claimed):
    deadline = claimed.deadline
    with time_machine.travel(at(deadline, 23), tick=False):
        assert not Item.objects.overdue().exists()
        assert not claimed.overdue_on()
    with time_machine.travel(at(deadline + datetime.timedelta(days=1), 0), tick=False):
        assert list(Item.objects.overdue()) == [claimed]
        assert claimed.overdue_on()
        assert Item.objects.with_overdue().get(pk=claimed.pk).is_overdue
        services.item_progress_add(user=cast.secretary_a, item=claimed, text="仍在整改")
        services.item_request_closeout(user=cast.secretary_a, item=claimed)
        # Asking for close-out does not end it: only 销号 does.
        assert Item.objects.overdue().count() == 1
        services.item_verify(user=cast.committee, item=claimed)
        assert not Item.objects.overdue().exists()
        closed = Item.objects.get(pk=claimed.pk)
        assert closed.closed_late


def test_overdue_is_by_shanghai_date_not_utc(claimed):
    # 2026-07-01 00:30 in Shanghai is still 30 June in UTC.
    with time_machine.travel(datetime.datetime(2026, 7, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert timezone.localdate() == datetime.date(2026, 7, 1)
        assert Item.objects.overdue().count() == 1


@pytest.mark.parametrize(
    "today,last_update,expected_due,late",
    [
        (datetime.date(2026, 4, 27), None, datetime.date(2026, 4, 28), False),
        (datetime.date(2026, 4, 28), None, datetime.date(2026, 4, 28), False),  # on the day: on time
        (datetime.date(2026, 4, 29), None, datetime.date(2026, 4, 28), True),
        (datetime.date(2026, 4, 29), datetime.date(2026, 4, 3), datetime.date(2026, 5, 28), False),
        (datetime.date(2026, 5, 1), datetime.date(2026, 4, 20), datetime.date(2026, 5, 28), False),
        (datetime.date(2026, 12, 30), datetime.date(2026, 12, 1), datetime.date(2027, 1, 28), False),
    ],
)
def test_monthly_update_due_by_the_28th(claimed, today, last_update, expected_due, late):
    claimed.last_update_on = last_update
    with time_machine.travel(at(today), tick=False):
        day = DueDayResolver().due_day(claimed.ledger.issuer)
        assert day == 28
        assert claimed.next_update_due(day) == expected_due
        assert claimed.update_late(day) is late


def test_claimed_after_the_due_day_owes_next_month(cast, ledger, make_item):
    with time_machine.travel(at(datetime.date(2026, 4, 29)), tick=False):
        item = make_item(ledger)
        services.item_claim(user=cast.secretary_a, item=item)
        item = Item.objects.get(pk=item.pk)
        assert item.next_update_due(28) == datetime.date(2026, 5, 28)
        assert not item.update_late(28)


def test_a_committee_sets_an_earlier_day_for_its_subtree(cast, claimed):
    RectificationRule.objects.create(
        organization=cast.c1, effective_from=datetime.date(2026, 4, 1), update_due_day=20
    )
    with time_machine.travel(at(datetime.date(2026, 4, 21)), tick=False):
        resolver = DueDayResolver()
        assert resolver.due_day(cast.c1) == 20
        assert resolver.due_day(cast.c2) == 28  # elsewhere the national default
        assert RectificationRule.due_day_for(cast.a) == 20
        assert claimed.update_late(resolver.due_day(claimed.ledger.issuer))
    with time_machine.travel(at(datetime.date(2026, 3, 21)), tick=False):
        assert DueDayResolver().due_day(cast.c1) == 28  # not yet in force


def test_items_not_being_worked_owe_no_update(claimed, cast):
    with time_machine.travel(at(datetime.date(2026, 4, 10)), tick=False):
        services.item_progress_add(user=cast.secretary_a, item=claimed, text="x")
        services.item_request_closeout(user=cast.secretary_a, item=claimed)
        item = Item.objects.get(pk=claimed.pk)
        assert item.next_update_due(28) is None and not item.update_late(28)


def test_rule_day_must_exist_in_every_month():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        RectificationRule(effective_from=datetime.date(2026, 1, 1), update_due_day=31).full_clean()
    assert "update_due_day" in exc.value.message_dict
