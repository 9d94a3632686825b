"""The item workflow (domain §4): open → claimed → in progress → close-out requested → closed
(销号) or returned, and who may make each move. The responsible unit works the item; only the
issuing organisation verifies; a branch can never verify its own item."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from rectifications import access, services
from rectifications.models import Item, ItemStatus, ItemTransition

pytestmark = pytest.mark.usefixtures("media_root")
TODAY = datetime.datetime(2026, 4, 10, 10, 0, tzinfo=datetime.UTC)


def _progress(user, item, text="已补齐3月份会议记录"):
    return services.item_progress_add(user=user, item=item, text=text)


@time_machine.travel(TODAY)
def test_full_cycle_with_timeline_and_audit(cast, item):
    services.item_claim(user=cast.secretary_a, item=item)
    _progress(cast.secretary_a, item)
    services.item_request_closeout(user=cast.secretary_a, item=item, summary="已全部整改")
    services.item_verify(user=cast.committee, item=item, comment="验收通过")
    item.refresh_from_db()
    assert item.status == ItemStatus.CLOSED
    assert item.closed_by == cast.committee and item.claimed_by == cast.secretary_a
    actions = list(ItemTransition.objects.filter(item=item).order_by("pk").values_list("action", flat=True))
    assert actions == ["created", "claimed", "progressed", "closeout_requested", "verified"]
    codes = set(AuditEntry.objects.filter(object_id=str(item.pk)).values_list("action", flat=True))
    assert {
        "rectifications.item.created",
        "rectifications.item.claimed",
        "rectifications.item.progressed",
        "rectifications.item.closeout_requested",
        "rectifications.item.verified",
    } <= codes
    verified = AuditEntry.objects.get(action="rectifications.item.verified")
    assert verified.actor == cast.committee
    assert verified.changes == {"status": ["closeout_requested", "closed"]}


@time_machine.travel(TODAY)
def test_return_needs_a_reason_and_goes_back_to_in_progress(cast, item):
    services.item_claim(user=cast.secretary_a, item=item)
    _progress(cast.secretary_a, item)
    services.item_request_closeout(user=cast.secretary_a, item=item)
    with pytest.raises(ValidationError) as exc:
        services.item_return(user=cast.committee, item=item, reason="  ")
    assert "reason" in exc.value.message_dict
    services.item_return(user=cast.committee, item=item, reason="佐证材料不全")
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_PROGRESS and item.return_count == 1
    assert ItemTransition.objects.get(item=item, action="returned").reason == "佐证材料不全"
    # Back in progress: the unit can ask again.
    services.item_request_closeout(user=cast.secretary_a, item=item)


# Who may make each move: (user, claim, progress, request close-out, verify).
MATRIX = [
    ("admin", True, True, True, True),
    ("committee", False, False, False, True),
    ("secretary_a", True, True, True, False),
    ("secretary_b", False, False, False, False),
    ("other_committee", False, False, False, False),
    ("member_a", False, False, False, False),
    ("outsider", False, False, False, False),
]


def _advance(cast, item, to):
    if to in ("claimed", "in_progress", "closeout_requested"):
        services.item_claim(user=cast.admin, item=item)
    if to in ("in_progress", "closeout_requested"):
        _progress(cast.admin, item)
    if to == "closeout_requested":
        services.item_request_closeout(user=cast.admin, item=item)
    item.refresh_from_db()
    return item


@time_machine.travel(TODAY)
@pytest.mark.parametrize("user,claim,progress,closeout,verify", MATRIX)
def test_who_may_make_each_move(cast, ledger, make_item, user, claim, progress, closeout, verify):
    actor = getattr(cast, user)
    moves = [
        ("open", lambda i: services.item_claim(user=actor, item=i), claim),
        ("claimed", lambda i: _progress(actor, i), progress),
        ("in_progress", lambda i: services.item_request_closeout(user=actor, item=i), closeout),
        ("closeout_requested", lambda i: services.item_verify(user=actor, item=i), verify),
        ("closeout_requested", lambda i: services.item_return(user=actor, item=i, reason="不合格"), verify),
    ]
    for state, move, allowed in moves:
        item = _advance(cast, make_item(ledger), state)
        if allowed:
            move(item)
        else:
            with pytest.raises(PermissionDenied):
                move(item)


@time_machine.travel(TODAY)
def test_a_branch_never_verifies_its_own_item(cast, make_item):
    """A ledger the branch issued to itself (组织生活会检视): the secretary works it; the committee
    above verifies it."""
    own = services.ledger_create(
        user=cast.secretary_a,
        issuer=cast.a,
        source="life_review",
        title="甲党支部组织生活会检视问题清单",
        issued_on=datetime.date(2026, 3, 1),
        deadline=datetime.date(2026, 6, 30),
    )
    item = make_item(own, cast.a)
    services.item_claim(user=cast.secretary_a, item=item)
    _progress(cast.secretary_a, item)
    services.item_request_closeout(user=cast.secretary_a, item=item)
    item = Item.objects.get(pk=item.pk)
    assert access.allowed_actions(cast.secretary_a, item) == []
    with pytest.raises(PermissionDenied):
        services.item_verify(user=cast.secretary_a, item=item)
    assert "verify" in access.allowed_actions(cast.committee, Item.objects.get(pk=item.pk))
    services.item_verify(user=cast.committee, item=item)


@time_machine.travel(TODAY)
def test_a_committee_officer_who_also_runs_the_branch_cannot_verify(cast, item):
    from branches.models import Grant
    from branches.scoping import forget_scope

    Grant.objects.create(user=cast.secretary_a, organization=cast.c1)
    forget_scope(cast.secretary_a)
    services.item_claim(user=cast.secretary_a, item=item)
    _progress(cast.secretary_a, item)
    services.item_request_closeout(user=cast.secretary_a, item=item)
    with pytest.raises(PermissionDenied):
        services.item_verify(user=cast.secretary_a, item=item)


@time_machine.travel(TODAY)
def test_moves_out_of_order_are_refused_with_a_message(cast, item):
    with pytest.raises(ValidationError, match="请先认领"):
        _progress(cast.secretary_a, item)
    services.item_claim(user=cast.secretary_a, item=item)
    with pytest.raises(ValidationError, match="认领"):
        services.item_claim(user=cast.secretary_a, item=item)
    with pytest.raises(ValidationError, match="推进情况"):
        services.item_request_closeout(user=cast.secretary_a, item=item)
    with pytest.raises(ValidationError, match="验收销号"):
        services.item_verify(user=cast.committee, item=item)


@time_machine.travel(TODAY)
def test_a_responsible_person_may_report_progress(cast, ledger, make_item):
    item = make_item(ledger, responsible_people=[cast.mem_a])
    services.item_claim(user=cast.secretary_a, item=item)
    _progress(cast.member_a, item)
    with pytest.raises(PermissionDenied):
        services.item_request_closeout(user=cast.member_a, item=item)


@time_machine.travel(TODAY)
def test_evidence_type_and_size_limits_name_the_file(cast, item, settings):
    services.item_claim(user=cast.secretary_a, item=item)
    exe = SimpleUploadedFile("病毒.exe", b"MZ")
    with pytest.raises(ValidationError) as exc:
        services.item_progress_add(user=cast.secretary_a, item=item, text="x", files=[exe])
    assert "病毒.exe" in str(exc.value.message_dict["files"])
    big = SimpleUploadedFile("照片.jpg", b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as exc:
        services.item_progress_add(user=cast.secretary_a, item=item, text="x", files=[big])
    assert "照片.jpg" in str(exc.value.message_dict["files"]) and "10 MB" in str(
        exc.value.message_dict["files"]
    )
    many = [SimpleUploadedFile(f"{i}.pdf", b"%PDF") for i in range(6)]
    with pytest.raises(ValidationError, match="最多上传5个"):
        services.item_progress_add(user=cast.secretary_a, item=item, text="x", files=many)
    assert not item.updates.exists()  # nothing partially written
    ok = SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4")
    update = services.item_progress_add(user=cast.secretary_a, item=item, text="已整改", files=[ok])
    assert update.evidence.get().name == "会议记录.pdf"


def test_item_validation_names_the_fields(cast, ledger):
    with pytest.raises(ValidationError) as exc:
        services.item_create(
            user=cast.committee,
            ledger=ledger,
            problem="",
            units=[cast.d],
            measures=["  "],
            deadline=datetime.date(2026, 9, 30),
        )
    errors = exc.value.message_dict
    assert set(errors) >= {"problem", "units", "measures", "deadline_reason"}
    assert "丁党支部" in errors["units"][0]
    # Beyond the ledger's deadline with a reason: accepted.
    item = services.item_create(
        user=cast.committee,
        ledger=ledger,
        problem="阵地建设不达标",
        units=[cast.a],
        measures=["改造活动室"],
        deadline=datetime.date(2026, 9, 30),
        deadline_reason="需列入下半年预算",
    )
    assert item.seq == 1


def test_only_the_issuer_side_adds_items(cast, ledger):
    with pytest.raises(PermissionDenied):
        services.item_create(
            user=cast.secretary_a,
            ledger=ledger,
            problem="x",
            units=[cast.a],
            measures=["y"],
            deadline=datetime.date(2026, 6, 30),
        )
