"""Dues scale data (generate_scale_data --tier S): bases for three years, 36 months of obligations,
payments with realistic arrears (buckets and the 自行脱党 flag populated), remittances, --replace."""

import io
from collections import Counter

from django.core.management import call_command

from branches.models import Organization
from dues import selectors
from dues.models import DuesBase, DuesObligation, DuesPayment, PaymentAllocation, Remittance


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
