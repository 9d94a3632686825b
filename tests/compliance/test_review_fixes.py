"""Acceptance-review fix: one compliance miss is one rectification item, whichever period the
branch page is looked at in — a quarterly rule missed in 2026-Q3 is the same miss in the month
view of 2026-09 and in the quarter view (click path: branch page → 生成整改事项 → form → item)."""

import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from rectifications.models import Item

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=SH), tick=False):
        yield


def _rectify_link(client, branch, period, rule):
    page = client.get(reverse("compliance:branch", args=[branch.pk]), {"period": period})
    rules = {item["rule"].code: item for item in page.context["rules"]}
    link = urlparse(rules[rule]["rectify"])
    assert f'href="{rules[rule]["rectify"].replace("&", "&amp;")}"' in page.content.decode()
    return link.path, {k: v[0] for k, v in parse_qs(link.query).items()}


def test_a_miss_seen_in_a_month_and_in_its_quarter_becomes_one_item(cast, client_for):
    client = client_for(cast.committee)
    path, month = _rectify_link(client, cast.a, "2026-09", "general_meeting")
    _path, quarter = _rectify_link(client, cast.a, "2026-Q3", "general_meeting")
    assert month["period"] == quarter["period"] == "2026-Q3"
    # Through the button's form: the first click makes the item, the second finds it.
    form = client.get(path, month)
    assert form.status_code == 200 and form.context["existing"] is None
    response = client.post(path, {**month, "issuer": cast.c1.pk})
    item = Item.objects.get()
    assert response.url == reverse("rectifications:item", args=[item.pk])
    assert item.source_unit == cast.a and item.source_period == "2026-Q3"
    again = client.get(path, quarter)
    assert again.context["existing"] == item
    client.post(path, {**quarter, "issuer": cast.c1.pk})
    assert Item.objects.count() == 1


def test_a_rule_missed_in_several_windows_keeps_the_period_viewed(cast, client_for):
    """A monthly rule missed in July, August and September, seen over the quarter."""
    _path, query = _rectify_link(client_for(cast.committee), cast.a, "2026-Q3", "themed_day")
    assert query["period"] == "2026-Q3"
    assert "2026-07" in query["summary"] and "2026-09" in query["summary"]
