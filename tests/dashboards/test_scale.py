"""The rollups built with the scale data (tier S) and by `manage.py rebuild_dashboards` equal
compliance.metrics summed over the tree; the page's query count is the same at tier S's root and
at one of its districts."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import Grant, Organization
from compliance.metrics import branch_metrics
from compliance.periods import QUARTER, current
from dashboards import selectors
from dashboards.models import OrgFigures


@pytest.fixture
def tier_s(scale_tier_s, db):
    return Organization.objects.get(code="SCALE-S", depth=1)


def test_scale_rollups_equal_the_metrics(tier_s, django_user_model, client):
    period = current(QUARTER, timezone.localdate())
    rows = branch_metrics(tier_s, period).branches
    f = selectors.dashboard(tier_s, period).figures
    assert f.built and f.data["branches"] == len(rows) > 10
    assert f.dues_due == sum(r.dues_due for r in rows) and f.dues_paid == sum(r.dues_paid for r in rows)
    assert f.rules_missing == sum(r.rules_missing for r in rows)
    assert f.data["items_overdue"] == sum(r.items_overdue for r in rows)
    assert f.data["red"] == sum(r.rag == "red" for r in rows)

    user = django_user_model.objects.create_user(username="scale-committee", password="x")
    Grant.objects.create(user=user, organization=tier_s)
    client.force_login(user)
    district = Organization.objects.filter(path__startswith=tier_s.path, depth=2).first()

    def count(org):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/dashboard/?org={org.pk}&period={period.code}").status_code == 200
        return len(ctx.captured_queries)

    count(district)  # the first request after signing in also writes the session's idle expiry
    assert count(tier_s) == count(district)


def test_rebuild_command(tier_s):
    OrgFigures.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_dashboards", "--period", current(QUARTER, timezone.localdate()).code, stdout=out)
    assert "periods" in out.getvalue()
    assert OrgFigures.objects.filter(organization=tier_s, period="now").exists()
    with pytest.raises(CommandError, match="--since"):
        call_command("rebuild_dashboards", "--since", "2026-13", stdout=io.StringIO())


def test_post_load_stamps_todays_periods_as_the_nightly_run_does(tier_s):
    import datetime

    from dashboards import rollups, scale

    today = timezone.localdate()
    OrgFigures.objects.update(computed_on=today - datetime.timedelta(days=3))
    scale.post_load({"tier": "S", "root": tier_s, "stdout": io.StringIO()})
    fresh = set(OrgFigures.objects.filter(computed_on=today).values_list("period", flat=True))
    assert fresh == {p.code for p in rollups.current_periods(today)} | {"now"}
    old = current(QUARTER, today).previous().previous()  # two quarters back: not the calendar's
    assert not OrgFigures.objects.filter(period=old.code, computed_on=today).exists()
    assert OrgFigures.objects.filter(period=old.code).exists()
