"""Scale data for rectifications (generate_scale_data --tier S): the item count, a realistic status
mix with overdue items, consistent rows (units in the issuer's subtree, measures, transitions), and
a clean --replace."""

import io
from collections import Counter

import pytest
from django.core.management import call_command

from branches.models import Organization
from rectifications.models import Item, ItemStatus, ItemTransition, Ledger
from rectifications.scale import SIZES


@pytest.fixture
def tier_s(scale_tier_s, db):
    return Organization.objects.get(code="SCALE-S", depth=1)


def test_tier_s_items_and_status_mix(tier_s):
    items = Item.objects.filter(ledger__issuer__path__startswith=tier_s.path)
    total = items.count()
    assert abs(total - SIZES["S"]) <= 1
    mix = Counter(items.values_list("status", flat=True))
    assert set(mix) == set(ItemStatus.values)
    assert 0.3 < mix[ItemStatus.CLOSED] / total < 0.8
    overdue = items.overdue().count()
    assert 0.05 < overdue / total < 0.35
    # Every unit lies in its issuer's subtree; every item has measures and its transitions.
    for item in items.select_related("ledger__issuer").prefetch_related("units", "measures")[:200]:
        assert item.measures.all()
        assert all(u.path.startswith(item.ledger.issuer.path) for u in item.units.all())
    closed = items.filter(status=ItemStatus.CLOSED).first()
    assert ItemTransition.objects.filter(item=closed, action="verified").exists()
    assert not items.filter(status=ItemStatus.CLOSED, closed_at__isnull=True).exists()


def test_replace_removes_the_generated_ledgers(tier_s):
    before = Ledger.objects.count()
    call_command("generate_scale_data", "--tier", "S", "--replace", stdout=io.StringIO())
    assert Ledger.objects.count() == before
