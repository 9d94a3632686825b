"""A committee's override of the dues policy switches for its subtree (domain spec §2.8): a reason,
approval by the committee above (never by the requester), only approved rows in force, a page with
its permission matrix, and audit entries."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from dues import services
from dues.models import DuesPolicy

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)
TODAY = datetime.date(2026, 6, 15)
BANNED = {
    "allow_proxy": False,
    "allow_quarterly": False,
    "allow_makeup": True,
    "makeup_max_months": 3,
    "allow_prepay": False,
    "prepay_max_months": 6,
}


def request(cast, reason="依据本市党费管理办法", **kw):
    return services.dues_policy_override_request(
        user=cast.committee, org=cast.c1, effective_from=TODAY, reason=reason, **{**BANNED, **kw}
    )


@time_machine.travel(NOW)
def test_override_in_force_only_after_approval_from_above(cast):
    policy = request(cast)
    assert policy.status == "pending" and policy.requested_by == cast.committee
    assert DuesPolicy.for_org(cast.a).allow_proxy is True  # pending: not in force
    with pytest.raises(PermissionDenied):
        services.dues_policy_override_decide(user=cast.committee, policy=policy, approve=True)
    with pytest.raises(PermissionDenied):
        services.dues_policy_override_decide(user=cast.other_committee, policy=policy, approve=True)
    services.dues_policy_override_decide(user=cast.admin, policy=policy, approve=True)
    in_force = DuesPolicy.for_org(cast.a)
    assert (in_force.allow_proxy, in_force.allow_prepay, in_force.makeup_max_months) == (False, False, 3)
    assert DuesPolicy.for_org(cast.d).allow_proxy is True  # another subtree keeps the default
    # Both from one query (我的党费 shows the branch's and flags by the global lapse_months).
    assert DuesPolicy.for_org_and_global(cast.a) == (in_force, DuesPolicy.for_org(None))
    assert in_force != DuesPolicy.for_org(None)
    actions = list(
        AuditEntry.objects.filter(action__startswith="dues.policy.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["dues.policy.approved", "dues.policy.requested"]
    with pytest.raises(ValidationError):
        services.dues_policy_override_decide(user=cast.admin, policy=policy, approve=False)


@time_machine.travel(NOW)
def test_override_needs_a_reason_valid_months_and_committee_staff(cast):
    with pytest.raises(ValidationError) as exc:
        request(cast, reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        request(cast, makeup_max_months=7)
    assert "makeup_max_months" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.dues_policy_override_request(
            user=cast.committee,
            org=cast.c1,
            effective_from=TODAY - datetime.timedelta(days=1),
            reason="x",
            **BANNED,
        )
    assert "effective_from" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.dues_policy_override_request(
            user=cast.secretary_a, org=cast.a, effective_from=TODAY, reason="x", **BANNED
        )
    request(cast)
    with pytest.raises(ValidationError):
        request(cast)  # one pending request at a time
    rejected = DuesPolicy.objects.get(status="pending")
    services.dues_policy_override_decide(user=cast.admin, policy=rejected, approve=False)
    assert DuesPolicy.for_org(cast.a).allow_proxy is True


@time_machine.travel(NOW)
def test_proxy_payment_refused_after_the_override(cast, base_for):
    base_for(cast.mem_a, "10.00")
    services.dues_policy_override_decide(user=cast.admin, policy=request(cast), approve=True)
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount="10.00",
            paid_on=TODAY,
            kind="voluntary",
            is_proxy=True,
            payer_name="家属",
            proxy_reason="出差",
        )
    assert "is_proxy" in exc.value.message_dict


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("committee", 200),
        ("other_committee", 404),
        ("secretary_a", 404),
        ("member_a", 404),
        ("outsider", 404),
    ],
)
def test_policy_page_permission_matrix(cast, client_for, who, status):
    assert client_for(getattr(cast, who)).get(reverse("dues:policy", args=[cast.c1.pk])).status_code == status


@time_machine.travel(NOW)
def test_policy_page_request_and_approval(cast, client_for):
    client = client_for(cast.committee)
    url = reverse("dues:policy", args=[cast.c1.pk])
    form = {
        "effective_from": "2026-06-15",
        "makeup_max_months": "3",
        "prepay_max_months": "6",
        "allow_makeup": "on",
    }
    missing = client.post(url, form)
    assert missing.status_code == 400 and not DuesPolicy.objects.filter(status="pending").exists()
    assert client.post(url, {**form, "reason": "本地规定禁止代交"}).status_code == 302
    policy = DuesPolicy.objects.get(status="pending")
    assert policy.allow_proxy is False and policy.reason == "本地规定禁止代交"
    assert "本地规定禁止代交" in client.get(url).content.decode()
    # The requester does not see it among their approvals; the administrator does and decides.
    assert "本地规定禁止代交" not in client.get(reverse("dues:approvals")).content.decode()
    admin = client_for(cast.admin)
    assert "本地规定禁止代交" in admin.get(reverse("dues:approvals")).content.decode()
    refused = client_for(cast.committee).post(
        reverse("dues:decide", args=["policy", policy.pk]), {"decision": "approve"}
    )
    assert refused.status_code in (302, 403)
    policy.refresh_from_db()
    assert policy.status == "pending"
    admin = client_for(cast.admin)
    admin.post(reverse("dues:decide", args=["policy", policy.pk]), {"decision": "approve"})
    policy.refresh_from_db()
    assert policy.status == "approved" and policy.approved_by == cast.admin
    # A branch page sees the committee's override; the branch secretary cannot request one.
    branch_page = client_for(cast.secretary_a)
    assert branch_page.get(reverse("dues:policy", args=[cast.a.pk])).status_code == 200
    assert (
        branch_page.post(reverse("dues:policy", args=[cast.a.pk]), {**form, "reason": "x"}).status_code == 403
    )
