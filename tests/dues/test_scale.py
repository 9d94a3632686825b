"""Dues scale data (generate_scale_data --tier S): bases for three years, 36 months of obligations,
payments with realistic arrears (buckets and the 自行脱党 flag populated), remittances, --replace."""

import datetime
import io
from collections import Counter

import time_machine
from django.core.management import call_command
from django.utils import timezone

from branches.models import Organization
from dues import selectors
from dues.models import (
    DuesBase,
    DuesObligation,
    DuesPayment,
    DuesSummaryMarker,
    PaymentAllocation,
    Remittance,
    period_of,
)
from dues.summary import ARREARS, forget_stale_marker


def test_tier_s(scale_tier_s, db):
    assert "dues.scale" in scale_tier_s  # the generation's output
    root = Organization.objects.get(code="SCALE-S", depth=1)
    assert DuesBase.objects.count() > 10_000
    periods = set(DuesObligation.objects.values_list("period", flat=True).distinct())
    assert len(periods) == 36
    assert DuesPayment.objects.filter(to_centre=True).exists()
    allocated = sum(PaymentAllocation.objects.values_list("amount", flat=True)[:1000])
    assert allocated > 0
    arrears = selectors.arrears_in_subtree(root.path)
    buckets = Counter(a.bucket for _m, a in arrears)
    assert buckets["1-2"] and buckets["3-5"] and buckets["6+"]
    assert any(a.lapse_review for _m, a in arrears)
    paying = DuesObligation.objects.values("member_id").distinct().count()
    assert 0.8 < 1 - len(arrears) / paying < 0.9  # ~85 % are paid up
    assert Remittance.objects.filter(status="confirmed").exists()
    # The arrears marker, when there is one, is at the current month: the month's generation then
    # steps the state on instead of recomputing it, and never steps rows already current.
    alone = not Organization.objects.filter(depth=1).exclude(pk=root.pk).exists()
    marker = DuesSummaryMarker.objects.filter(key=ARREARS).first()
    if alone:
        assert marker is not None
    assert marker is None or marker.as_of == period_of(timezone.localdate())
    before = _figures()
    call_command("generate_scale_data", "--tier", "S", "--replace", stdout=io.StringIO())
    assert len(set(DuesObligation.objects.values_list("period", flat=True).distinct())) == 36
    # The same seed gives the same figures although the members got new ids.
    assert _figures() == before


def _figures():
    """Dues figures that do not depend on ids: totals, and each member's (by name and birth date)."""
    from django.db.models import Count, Sum

    return {
        "incomes": DuesBase.objects.aggregate(s=Sum("income"))["s"],
        "charged": DuesObligation.objects.aggregate(s=Sum("amount"))["s"],
        "payments": sorted(
            DuesPayment.objects.values("kind", "channel", "to_centre")
            .annotate(n=Count("pk"), s=Sum("amount"))
            .values_list("kind", "channel", "to_centre", "n", "s")
        ),
        "per_member": sorted(
            DuesPayment.objects.values("member__name", "member__birth_date")
            .annotate(s=Sum("amount"))
            .values_list("member__name", "member__birth_date", "s")
        ),
    }


@time_machine.travel(datetime.datetime(2026, 12, 1, 0, 30, tzinfo=datetime.UTC))  # 08:30 in Shanghai
def test_a_stale_marker_goes_and_a_current_one_stays(db):
    """After part of the arrears table was recomputed as of now, only a marker of this month still
    describes the whole table."""
    current = period_of(datetime.date(2026, 12, 1))
    DuesSummaryMarker.objects.create(key=ARREARS, as_of=current)
    forget_stale_marker()
    assert DuesSummaryMarker.objects.get(key=ARREARS).as_of == current
    DuesSummaryMarker.objects.filter(key=ARREARS).update(as_of=current - 1)
    forget_stale_marker()
    assert not DuesSummaryMarker.objects.exists()
