"""Acceptance-review fix: an item made from a compliance miss links back to the compliance result
it came from (the branch page for that period, at the rule)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from rectifications import services

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.date(2026, 10, 8))
def test_an_item_from_a_compliance_miss_links_to_the_compliance_result(cast, client_for):
    item = services.item_create_from_compliance_miss(
        issuer=cast.c1,
        unit=cast.a,
        rule_code="general_meeting",
        rule_label="支部党员大会",
        period="2026-Q3",
        summary="未召开",
        user=cast.committee,
    )
    link = f"{reverse('compliance:branch', args=[cast.a.pk])}?period=2026-Q3#rule-general_meeting"
    for user in (cast.committee, cast.secretary_a):
        body = client_for(user).get(reverse("rectifications:item", args=[item.pk])).content.decode()
        assert f'href="{link}" data-testid="source-compliance"' in body
    # The link opens the branch's compliance for that period.
    page = client_for(cast.secretary_a).get(link.split("#")[0])
    assert page.status_code == 200 and 'id="rule-general_meeting"' in page.content.decode()
