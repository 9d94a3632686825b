"""The rule table: national defaults loaded by the data migration, editable in admin, validated."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from compliance.models import ComplianceRule

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "committee_meeting": ("month", 1, 7),
    "group_meeting": ("month", 1, 0),
    "general_meeting": ("quarter", 1, 0),
    "party_lecture": ("quarter", 1, 0),
    "themed_day": ("month", 1, 0),
    "org_life": ("year", 1, 0),
    "appraisal": ("year", 1, 0),
    "secretary_lecture": ("year", 1, 0),
    "talk": ("year", 1, 0),
}


def test_national_defaults_are_loaded():
    rows = {
        r.code: (r.frequency, r.min_count, r.min_full_members)
        for r in ComplianceRule.objects.filter(organization__isnull=True)
    }
    assert rows == DEFAULTS
    assert all(r.enabled and r.effective_to is None and r.source for r in ComplianceRule.objects.all())


def test_editable_in_admin(cast, client_for):
    client = client_for(cast.admin)
    assert client.get(reverse("admin:compliance_compliancerule_changelist")).status_code == 200
    response = client.post(
        reverse("admin:compliance_compliancerule_add"),
        {
            "code": "themed_day",
            "enabled": "on",
            "frequency": "month",
            "min_count": 2,
            "min_full_members": 0,
            "grace_days": 3,
            "effective_from": "2027-01-01",
            "effective_to": "",
            "organization": cast.c1.pk,
            "source": "第一机关党委 2027 年规定",
        },
    )
    assert response.status_code == 302
    rule = ComplianceRule.objects.get(organization=cast.c1)
    assert (rule.min_count, rule.grace_days) == (2, 3)


def test_end_before_start_is_refused():
    rule = ComplianceRule(
        code="talk",
        frequency="year",
        effective_from=datetime.date(2027, 1, 1),
        effective_to=datetime.date(2026, 12, 31),
    )
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert "effective_to" in exc.value.message_dict


def test_an_enabled_rule_needs_a_count():
    rule = ComplianceRule(
        code="talk", frequency="year", min_count=0, effective_from=datetime.date(2027, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert "min_count" in exc.value.message_dict
