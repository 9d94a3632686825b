"""Organisational relationship transfers (组织关系转接): within the system (the receiving branch
confirms, history is kept), out of and into the system, cancellation, the outstanding-dues
acknowledgement, the 3-month validity and the 已过期未回执 flag at their boundaries, the printable
介绍信, the permission matrix and the list pages' query counts."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from members.models import (
    DevelopmentStep,
    Member,
    MemberStatus,
    StatusChange,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from members.protected import id_check_digit
from members.selectors_transfers import (
    outstanding_dues_months,
    overdue_transfers,
    transfers_visible_to,
    with_transfer_flags,
)
from members.services import transfers as svc
from tests.conftest import make_member

TZ = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TZ)


def frozen(year, month, day, hour=10, minute=0):
    return time_machine.travel(at(year, month, day, hour, minute), tick=False)


def valid_id(prefix17):
    return prefix17 + id_check_digit(prefix17)


@pytest.fixture(autouse=True)
def _today():
    with frozen(2026, 12, 15):
        yield


def internal(cast, member, to=None, **kw):
    args = {
        "user": cast.secretary_a,
        "member": member,
        "to_branch": to or cast.b,
        "issued_on": datetime.date(2026, 12, 15),
        "dues_paid_through": "2026-11",
        "letter_no": "甲转2026-01",
    }
    args.update(kw)
    return svc.transfer_internal_start(**args)


def out(cast, member, user=None, **kw):
    args = {
        "user": user or cast.secretary_a,
        "member": member,
        "external_org": "中共外省某某公司委员会",
        "letter_no": "甲外2026-07",
        "issued_on": datetime.date(2026, 12, 15),
        "dues_paid_through": "2026-11",
    }
    args.update(kw)
    return svc.transfer_out_start(**args)


def errors_of(excinfo):
    return excinfo.value.message_dict


# --- Within the system ---------------------------------------------------------------------------


def test_internal_letter_is_valid_three_months_by_default(cast):
    transfer = internal(cast, cast.mem_a)
    assert transfer.direction == TransferDirection.INTERNAL
    assert transfer.status == TransferStatus.PENDING
    assert (transfer.from_branch, transfer.to_branch) == (cast.a, cast.b)
    assert transfer.valid_until == datetime.date(2027, 3, 15)
    assert transfer.created_by == cast.secretary_a
    # Month ends clamp: 30 Nov + 3 months is 28 Feb (not 2 March).
    Transfer.objects.all().delete()
    transfer = internal(cast, cast.mem_a, issued_on=datetime.date(2026, 11, 30))
    assert transfer.valid_until == datetime.date(2027, 2, 28)


def test_internal_start_rules(cast):
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, to=cast.a)
    assert "to_branch" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, to=cast.c1)
    assert "只能转入党支部" in errors_of(exc)["to_branch"][0]
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, issued_on=datetime.date(2026, 12, 16))
    assert "issued_on" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, dues_paid_through="2026/11")
    assert "YYYY-MM" in errors_of(exc)["dues_paid_through"][0]
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, dues_paid_through="")
    assert "dues_paid_through" in errors_of(exc)  # a party member's letter states it
    # An officer hands over the post first.
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.sec_a)
    assert "离任" in errors_of(exc)["member"][0]
    # Only one pending transfer per member.
    internal(cast, cast.mem_a)
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, to=cast.d)
    assert "待办结" in errors_of(exc)["member"][0]
    # Only the member's own branch (or the committee above) issues the letter.
    other = make_member(cast.a, "甲二")
    with pytest.raises(PermissionDenied):
        internal(cast, other, user=cast.secretary_b)
    with pytest.raises(PermissionDenied):
        internal(cast, other, user=cast.member_a)


def test_pipeline_people_move_without_dues(cast):
    applicant = make_member(cast.a, "申请人", status=MemberStatus.ACTIVIST)
    transfer = internal(cast, applicant, dues_paid_through="")
    assert transfer.dues_paid_through == ""


@pytest.mark.parametrize("confirmer", ["secretary_b", "committee", "admin"])
def test_receiving_branch_confirms_and_the_history_moves_with_the_member(cast, client_for, confirmer):
    member = cast.mem_a
    DevelopmentStep.objects.create(member=member, step_no=1, done_on=datetime.date(2020, 1, 1))
    StatusChange.objects.create(
        member=member, from_status="", to_status="full", changed_on=datetime.date(2022, 1, 1), reason="建档"
    )
    transfer = internal(cast, member)
    # The sender cannot confirm its own letter; an unrelated committee cannot either.
    for user in (cast.secretary_a, cast.other_committee, cast.member_a):
        with pytest.raises(PermissionDenied):
            svc.transfer_confirm(user=user, transfer=transfer)
    svc.transfer_confirm(user=getattr(cast, confirmer), transfer=transfer)

    transfer.refresh_from_db()
    member.refresh_from_db()
    assert transfer.status == TransferStatus.COMPLETED
    assert transfer.receipt_on == datetime.date(2026, 12, 15)
    assert transfer.confirmed_by == getattr(cast, confirmer)
    assert member.branch == cast.b
    assert member.party_group is None
    assert member.status == MemberStatus.FULL
    assert member.development_steps.count() == 1
    assert member.status_changes.count() == 1
    assert AuditEntry.objects.filter(action="members.member.updated", object_id=str(member.pk)).exists()

    # Now the receiving branch's member; the old branch's secretary no longer reaches them.
    assert Member.objects.visible_to(cast.secretary_b).filter(pk=member.pk).exists()
    assert not Member.objects.visible_to(cast.secretary_a).filter(pk=member.pk).exists()
    assert (
        client_for(cast.secretary_a).get(reverse("members:transfer_start", args=[member.pk])).status_code
        == 404
    )
    assert (
        client_for(cast.secretary_b).get(reverse("members:transfer_start", args=[member.pk])).status_code
        == 200
    )
    # Both branches keep the transfer itself on record.
    for user in (cast.secretary_a, cast.secretary_b, cast.member_a):
        assert client_for(user).get(reverse("members:transfer_detail", args=[transfer.pk])).status_code == 200
    with pytest.raises(ValidationError):
        svc.transfer_confirm(user=cast.secretary_b, transfer=transfer)  # already done


def test_an_expired_letter_cannot_be_accepted(cast):
    with frozen(2026, 9, 1):
        transfer = internal(
            cast, cast.mem_a, issued_on=datetime.date(2026, 9, 1), dues_paid_through="2026-08"
        )
    assert transfer.valid_until == datetime.date(2026, 12, 1)
    with frozen(2026, 12, 2, 9), pytest.raises(ValidationError) as exc:
        svc.transfer_confirm(user=cast.secretary_b, transfer=transfer)
    assert "过期" in errors_of(exc)["receipt_on"][0]
    with frozen(2026, 12, 1, 23, 59):
        svc.transfer_confirm(user=cast.secretary_b, transfer=transfer)  # the last valid day
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.COMPLETED


def test_confirm_page(cast, client_for):
    transfer = internal(cast, cast.mem_a)
    url = reverse("members:transfer_confirm", args=[transfer.pk])
    assert client_for(cast.secretary_a).get(url).status_code == 403  # visible, not theirs to confirm
    assert client_for(cast.other_committee).get(url).status_code == 404
    client = client_for(cast.secretary_b)
    response = client.post(url, {"receipt_on": "2026-12-16"})
    assert response.status_code == 200
    assert "晚于今天" in response.content.decode()
    response = client.post(url, {"receipt_on": "2026-12-15"})
    assert response.status_code == 302
    cast.mem_a.refresh_from_db()
    assert cast.mem_a.branch == cast.b


# --- Out of the system ---------------------------------------------------------------------------


def test_out_transfer_marks_the_member_transferred_out_and_the_receipt_completes_it(cast):
    member = make_member(cast.a, "甲二", status=MemberStatus.PROBATIONARY)
    transfer = out(cast, member)
    member.refresh_from_db()
    assert member.status == MemberStatus.TRANSFERRED_OUT
    change = member.status_changes.get(to_status=MemberStatus.TRANSFERRED_OUT)
    assert change.from_status == MemberStatus.PROBATIONARY
    assert "甲外2026-07" in change.reason and "外省某某公司" in change.reason
    assert transfer.status == TransferStatus.PENDING
    assert transfer.valid_until == datetime.date(2027, 3, 15)

    with pytest.raises(PermissionDenied):
        svc.transfer_receipt(user=cast.secretary_b, transfer=transfer, receipt_on=datetime.date(2026, 12, 15))
    with pytest.raises(ValidationError) as exc:
        svc.transfer_receipt(user=cast.secretary_a, transfer=transfer, receipt_on=datetime.date(2026, 12, 14))
    assert "receipt_on" in errors_of(exc)
    with pytest.raises(ValidationError):
        svc.transfer_receipt(user=cast.secretary_a, transfer=transfer, receipt_on=datetime.date(2026, 12, 16))
    svc.transfer_receipt(user=cast.secretary_a, transfer=transfer, receipt_on=datetime.date(2026, 12, 15))
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.COMPLETED
    assert transfer.receipt_on == datetime.date(2026, 12, 15)


def test_out_transfer_rules(cast):
    member = make_member(cast.a, "甲二")
    with pytest.raises(ValidationError) as exc:
        out(cast, member, external_org=" ", letter_no="")
    assert {"external_org", "letter_no"} <= set(errors_of(exc))
    # Up to six months for a cross-province transfer, not a day more.
    with pytest.raises(ValidationError) as exc:
        out(cast, member, valid_until=datetime.date(2027, 6, 16))
    assert "6个月" in errors_of(exc)["valid_until"][0]
    transfer = out(cast, member, valid_until=datetime.date(2027, 6, 15))
    assert transfer.valid_until == datetime.date(2027, 6, 15)
    activist = make_member(cast.a, "积极分子", status=MemberStatus.ACTIVIST)
    with pytest.raises(ValidationError) as exc:
        out(cast, activist, letter_no="x2")
    assert "member" in errors_of(exc)


def test_out_transfer_page_and_field_errors(cast, client_for):
    member = make_member(cast.a, "甲二")
    client = client_for(cast.secretary_a)
    url = reverse("members:transfer_start", args=[member.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"direction": "out", "issued_on": "2026-12-15", "dues_paid_through": "2026-11"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "external_org" in form.errors and "letter_no" in form.errors
    response = client.post(
        url,
        {
            "direction": "out",
            "external_org": "中共外省某某公司委员会",
            "letter_no": "甲外2026-08",
            "issued_on": "2026-12-15",
            "dues_paid_through": "2026-11",
        },
    )
    transfer = Transfer.objects.get(member=member)
    assert response.status_code == 302
    assert response.url == reverse("members:transfer_detail", args=[transfer.pk])
    member.refresh_from_db()
    assert member.status == MemberStatus.TRANSFERRED_OUT


# --- Cancellation --------------------------------------------------------------------------------


def test_cancelling_an_out_transfer_restores_the_previous_status(cast):
    member = make_member(cast.a, "甲二", status=MemberStatus.PROBATIONARY)
    transfer = out(cast, member)
    with pytest.raises(ValidationError) as exc:
        svc.transfer_cancel(user=cast.secretary_a, transfer=transfer, reason=" ")
    assert "reason" in errors_of(exc)
    with pytest.raises(PermissionDenied):
        svc.transfer_cancel(user=cast.secretary_b, transfer=transfer, reason="对方不接收")
    svc.transfer_cancel(user=cast.secretary_a, transfer=transfer, reason="对方不接收")
    member.refresh_from_db()
    transfer.refresh_from_db()
    assert member.status == MemberStatus.PROBATIONARY
    assert transfer.status == TransferStatus.CANCELLED
    entry = AuditEntry.objects.get(action="members.transfer.cancelled", object_id=str(transfer.pk))
    assert entry.data == {"reason": "对方不接收"}
    # Cancelled is final; a new letter may be issued.
    with pytest.raises(ValidationError):
        svc.transfer_cancel(user=cast.secretary_a, transfer=transfer, reason="再撤销")
    out(cast, member, letter_no="甲外2026-09")


def test_cancelling_an_internal_transfer_leaves_the_member_in_place(cast, client_for):
    transfer = internal(cast, cast.mem_a)
    # The receiving branch cannot cancel the sender's letter.
    assert (
        client_for(cast.secretary_b)
        .post(reverse("members:transfer_cancel", args=[transfer.pk]), {"reason": "x"})
        .status_code
        == 403
    )
    response = client_for(cast.secretary_a).post(
        reverse("members:transfer_cancel", args=[transfer.pk]), {"reason": "本人放弃调动"}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    cast.mem_a.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    assert (cast.mem_a.branch, cast.mem_a.status) == (cast.a, MemberStatus.FULL)
    with pytest.raises(ValidationError):
        svc.transfer_confirm(user=cast.secretary_b, transfer=transfer)


# --- Outstanding dues ----------------------------------------------------------------------------


def test_outstanding_months_run_from_the_month_after_paid_through_to_last_month():
    today = datetime.date(2026, 12, 15)
    assert outstanding_dues_months(None, "2026-05", today) == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert outstanding_dues_months(None, "2026-11", today) == []  # this month is not yet due
    assert outstanding_dues_months(None, "2027-02", today) == []  # prepaid
    assert outstanding_dues_months(None, "2025-12", datetime.date(2026, 2, 1)) == ["2026-01"]
    assert outstanding_dues_months(None, "bad", today) == []


def test_outstanding_dues_must_be_acknowledged_before_a_letter(cast):
    member = make_member(cast.a, "甲二")
    with pytest.raises(ValidationError) as exc:
        out(cast, member, dues_paid_through="2026-05")
    assert errors_of(exc)["outstanding_dues_acknowledged"] == [
        "党费交至2026-05，尚欠6个月（2026-06至2026-11），请确认后再办理转出。"
    ]
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, dues_paid_through="2026-10")
    assert errors_of(exc)["outstanding_dues_acknowledged"] == [
        "党费交至2026-10，尚欠1个月（2026-11），请确认后再办理转出。"
    ]
    transfer = out(cast, member, dues_paid_through="2026-05", outstanding_dues_acknowledged=True)
    assert transfer.outstanding_dues_acknowledged is True
    # Prepayment covers at most six months (党费规定).
    with pytest.raises(ValidationError) as exc:
        internal(cast, cast.mem_a, dues_paid_through="2027-07")
    assert "2027-06" in errors_of(exc)["dues_paid_through"][0]


def test_the_month_boundary_decides_whether_last_month_is_owed(cast):
    member = make_member(cast.a, "甲二")
    with frozen(2026, 11, 30, 23, 59):
        transfer = out(cast, member, dues_paid_through="2026-10", issued_on=datetime.date(2026, 11, 30))
    svc.transfer_cancel(user=cast.secretary_a, transfer=transfer, reason="重开")
    with frozen(2026, 12, 1, 0, 0), pytest.raises(ValidationError) as exc:
        out(cast, member, dues_paid_through="2026-10", issued_on=datetime.date(2026, 12, 1), letter_no="x3")
    assert "尚欠1个月（2026-11）" in errors_of(exc)["outstanding_dues_acknowledged"][0]


def test_the_acknowledgement_shows_on_the_form(cast, client_for):
    response = client_for(cast.secretary_a).post(
        reverse("members:transfer_start", args=[cast.mem_a.pk]),
        {
            "direction": "internal",
            "to_branch": cast.b.pk,
            "issued_on": "2026-12-15",
            "dues_paid_through": "2026-05",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["outstanding_dues_acknowledged"] == [
        "党费交至2026-05，尚欠6个月（2026-06至2026-11），请确认后再办理转出。"
    ]
    assert not Transfer.objects.exists()


# --- Overdue letters -----------------------------------------------------------------------------


def test_a_letter_past_its_validity_without_receipt_is_flagged(cast, client_for):
    member = make_member(cast.a, "甲二")
    with frozen(2026, 1, 10):
        transfer = out(cast, member, issued_on=datetime.date(2026, 1, 10), dues_paid_through="2025-12")
    assert transfer.valid_until == datetime.date(2026, 4, 10)

    def flagged():
        row = with_transfer_flags(Transfer.objects.filter(pk=transfer.pk)).get()
        return row.is_overdue, overdue_transfers(Transfer.objects.all()).exists()

    with frozen(2026, 4, 10, 23, 59):
        assert flagged() == (False, False)
    with frozen(2026, 4, 11, 0, 0):
        assert flagged() == (True, True)
        client = client_for(cast.secretary_a)
        page = client.get(reverse("members:transfer_list") + "?overdue=on")
        assert [t.pk for t in page.context["page"].object_list] == [transfer.pk]
        assert page.context["overdue_count"] == 1
        assert "已过期未回执" in page.content.decode()
        assert (
            "已过期未回执"
            in client.get(reverse("members:transfer_detail", args=[transfer.pk])).content.decode()
        )
        # A late receipt is still recorded and clears the flag.
        svc.transfer_receipt(user=cast.secretary_a, transfer=transfer, receipt_on=datetime.date(2026, 4, 11))
        assert flagged() == (False, False)


# --- Into the system -----------------------------------------------------------------------------

PERSON = {"name": "外来党员", "gender": "male", "ethnicity": "回族"}


def incoming(cast, **kw):
    args = {
        "user": cast.secretary_a,
        "branch": cast.a,
        "external_org": "中共外省某某县委组织部",
        "letter_no": "外转2026-118",
        "issued_on": datetime.date(2026, 12, 1),
        "dues_paid_through": "2026-11",
        **PERSON,
    }
    args.update(kw)
    return svc.transfer_in_external(**args)


def test_a_member_arriving_from_outside_is_entered_with_a_completed_transfer(cast):
    id_number = valid_id("11010519800101001")
    member = incoming(cast, id_number=id_number)
    assert (member.branch, member.status, member.ethnicity) == (cast.a, MemberStatus.FULL, "回族")
    assert member.id_masked == f"110105********{id_number[-4:]}"
    transfer = member.transfers.get()
    assert transfer.direction == TransferDirection.IN
    assert transfer.status == TransferStatus.COMPLETED
    assert (transfer.from_branch, transfer.to_branch) == (None, cast.a)
    assert transfer.valid_until == datetime.date(2027, 3, 1)
    assert transfer.receipt_on == datetime.date(2026, 12, 15)
    assert transfers_visible_to(cast.secretary_a).filter(pk=transfer.pk).exists()
    assert not transfers_visible_to(cast.secretary_b).filter(pk=transfer.pk).exists()
    # The same person cannot arrive twice (keyed on 身份证号).
    with pytest.raises(ValidationError) as exc:
        incoming(cast, id_number=id_number, letter_no="外转2026-119")
    assert "id_number" in errors_of(exc)


def test_incoming_rules_roll_back_the_member(cast):
    with pytest.raises(ValidationError) as exc:
        incoming(cast, status=MemberStatus.ACTIVIST, external_org="", id_number="110105198001010011")
    assert {"status", "external_org", "id_number"} <= set(errors_of(exc))
    with pytest.raises(ValidationError) as exc:
        incoming(cast, issued_on=datetime.date(2026, 9, 1), valid_until=datetime.date(2026, 12, 1))
    assert "过期" in errors_of(exc)["valid_until"][0]
    with pytest.raises(ValidationError) as exc:
        incoming(cast, status=MemberStatus.PROBATIONARY)
    assert "admitted_on" in errors_of(exc)
    assert not Member.objects.filter(name="外来党员").exists()
    with pytest.raises(PermissionDenied):
        incoming(cast, user=cast.secretary_b)


def test_incoming_page(cast, client_for):
    url = reverse("members:transfer_incoming")
    assert client_for(cast.member_a).get(url).status_code == 403
    assert client_for(cast.outsider).get(url).status_code == 403
    client = client_for(cast.secretary_a)
    page = client.get(url)
    assert list(page.context["form"].fields["branch"].queryset) == [cast.a]
    response = client.post(
        url,
        {
            "branch": cast.a.pk,
            "name": "外来党员",
            "gender": "female",
            "ethnicity": "汉族",
            "status": "probationary",
            "external_org": "中共外省某某县委组织部",
            "letter_no": "外转2026-120",
            "issued_on": "2026-12-01",
            "dues_paid_through": "2026-11",
        },
    )
    assert response.status_code == 200
    assert "admitted_on" in response.context["form"].errors
    response = client.post(
        url,
        {
            "branch": cast.a.pk,
            "name": "外来党员",
            "gender": "female",
            "ethnicity": "汉族",
            "status": "probationary",
            "admitted_on": "2026-06-01",
            "external_org": "中共外省某某县委组织部",
            "letter_no": "外转2026-120",
            "issued_on": "2026-12-01",
            "dues_paid_through": "2026-11",
        },
    )
    assert response.status_code == 302
    member = Member.objects.get(name="外来党员")
    assert member.status == MemberStatus.PROBATIONARY
    assert response.url == reverse("members:transfer_detail", args=[member.transfers.get().pk])


# --- The printable letter ------------------------------------------------------------------------


def test_the_printable_letter_has_the_standard_fields(cast, client_for):
    id_number = valid_id("11010519900315002")  # born 1990-03-15, female (odd 17th digit is male)
    member = Member.objects.create(
        name="李红",
        gender="female",
        ethnicity="满族",
        birth_date=datetime.date(1990, 3, 15),
        branch=cast.a,
        id_number=id_number,
        status="full",
    )
    transfer = out(cast, member, dues_paid_through="2026-11", letter_no="甲外2026-11")
    response = client_for(cast.secretary_a).get(reverse("members:transfer_letter", args=[transfer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "中国共产党党员组织关系介绍信",
        "甲外2026-11",
        "李红同志（女，36岁，满族）",
        f"110105********{id_number[-4:]}",
        "系中共正式党员",  # the status held when the letter was issued, not 已转出
        "组织关系由甲党支部转到中共外省某某公司委员会",
        "党费已交到 2026 年 11 月",
        "有效期 90 天，至 2027年3月15日",
        "中共甲党支部（盖章）",
        "2026年12月15日",
        "回执",
        "特此回执",
        "d-print-none",
    ):
        assert text in html, text
    assert id_number not in html
    # In-transfers have no letter of ours; a foreign letter is a 404.
    arrived = incoming(cast).transfers.get()
    assert (
        client_for(cast.secretary_a).get(reverse("members:transfer_letter", args=[arrived.pk])).status_code
        == 404
    )
    assert (
        client_for(cast.secretary_b).get(reverse("members:transfer_letter", args=[transfer.pk])).status_code
        == 404
    )


def test_internal_letter_names_the_receiving_branch(cast, client_for):
    transfer = internal(cast, cast.mem_a)
    html = (
        client_for(cast.secretary_b)
        .get(reverse("members:transfer_letter", args=[transfer.pk]))
        .content.decode()
    )
    assert "组织关系由甲党支部转到乙党支部" in html
    assert "有效期 90 天" in html


# --- Permission matrix ---------------------------------------------------------------------------

ROLES = (
    "admin",
    "committee",
    "other_committee",
    "secretary_a",
    "secretary_b",
    "member_a",
    "outsider",
    "anonymous",
)
# Which of the two out-transfers (issued by branch a / sibling branch b) each role may see and act on.
SEES = {
    "admin": {"a", "b"},
    "committee": {"a", "b"},
    "other_committee": set(),
    "secretary_a": {"a"},
    "secretary_b": {"b"},
    "member_a": set(),
    "outsider": set(),
    "anonymous": set(),
}
# Officers and committee staff act on what they see; a member sees only their own transfers.
ACTS = {role: SEES[role] for role in ROLES if role != "member_a"} | {"member_a": set()}


@pytest.fixture
def two_letters(cast):
    mine = make_member(cast.a, "甲二")
    sibling = make_member(cast.b, "乙二")
    return {
        "a": out(cast, mine, letter_no="A-1"),
        "b": out(cast, sibling, user=cast.secretary_b, letter_no="B-1"),
    }


def _user(cast, role):
    return None if role == "anonymous" else getattr(cast, role)


def _expect(role, target, allowed):
    if role == "anonymous":
        return "login"
    return allowed if target in SEES[role] else 404


@pytest.mark.parametrize("target", ["a", "b"])
@pytest.mark.parametrize("role", ROLES)
def test_transfer_permission_matrix(cast, client_for, two_letters, role, target):
    transfer = two_letters[target]
    client = client_for(_user(cast, role))
    pages = {
        "transfer_detail": 200,
        "transfer_letter": 200,
        "transfer_receipt": 200 if target in ACTS[role] else 403,
        "transfer_cancel": 200 if target in ACTS[role] else 403,
    }
    for name, allowed in pages.items():
        url = reverse(f"members:{name}", args=[transfer.pk])
        response = client.get(url)
        expected = _expect(role, target, allowed)
        if expected == "login":
            assert response.status_code == 302 and "/accounts/login/" in response.url, name
        else:
            assert response.status_code == expected, name
    # A write: cancel it.
    response = client.post(reverse("members:transfer_cancel", args=[transfer.pk]), {"reason": "测试"})
    transfer.refresh_from_db()
    expected = _expect(role, target, 302 if target in ACTS[role] else 403)
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response.url
    else:
        assert response.status_code == expected
    assert (transfer.status == TransferStatus.CANCELLED) == (expected == 302)
    # The list shows exactly what the role may see.
    if role != "anonymous":
        listed = {t.pk for t in client.get(reverse("members:transfer_list")).context["page"].object_list}
        assert listed == {two_letters[t].pk for t in SEES[role]}


@pytest.mark.parametrize(
    ("role", "own", "sibling"),
    [
        ("admin", 200, 200),
        ("committee", 200, 200),
        ("other_committee", 404, 404),
        ("secretary_a", 200, 404),
        ("secretary_b", 404, 200),
        ("member_a", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_start_page_permission_matrix(cast, client_for, role, own, sibling):
    client = client_for(getattr(cast, role))
    mine, theirs = make_member(cast.a, "甲二"), make_member(cast.b, "乙二")
    assert client.get(reverse("members:transfer_start", args=[mine.pk])).status_code == own
    assert client.get(reverse("members:transfer_start", args=[theirs.pk])).status_code == sibling


def test_a_member_sees_only_their_own_transfers_and_cannot_act(cast, client_for):
    own = internal(cast, cast.mem_a)
    other = out(cast, make_member(cast.a, "甲二"), letter_no="A-2")
    client = client_for(cast.member_a)
    listed = [t.pk for t in client.get(reverse("members:transfer_list")).context["page"].object_list]
    assert listed == [own.pk]
    assert client.get(reverse("members:transfer_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("members:transfer_letter", args=[own.pk])).status_code == 200
    assert client.get(reverse("members:transfer_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("members:transfer_cancel", args=[own.pk])).status_code == 403
    assert client.get(reverse("members:transfer_start", args=[cast.mem_a.pk])).status_code == 403


def test_lists_are_empty_with_a_message(cast, client_for):
    response = client_for(cast.outsider).get(reverse("members:transfer_list"))
    assert response.status_code == 200
    assert 'data-testid="empty"' in response.content.decode()
    response = client_for(cast.secretary_a).get(reverse("members:transfer_list") + "?status=completed")
    assert "没有符合条件的转接记录" in response.content.decode()


# --- Query counts --------------------------------------------------------------------------------


def _bulk_transfers(cast, n):
    members = Member.objects.bulk_create(
        Member(name=f"批量{i}", gender="male", branch=cast.a, status="full") for i in range(n)
    )
    Transfer.objects.bulk_create(
        Transfer(
            member=m,
            direction=TransferDirection.INTERNAL if i % 2 else TransferDirection.OUT,
            from_branch=cast.a,
            to_branch=cast.b if i % 2 else None,
            external_org="" if i % 2 else "外单位",
            letter_no=f"L{i}",
            dues_paid_through="2026-11",
            issued_on=datetime.date(2026, 8, 1),
            valid_until=datetime.date(2026, 11, 1),
        )
        for i, m in enumerate(members)
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("query", ["", "?overdue=on", "?status=pending&direction=out&q=批量"])
def test_transfer_list_costs_the_same_for_1_and_50_rows(cast, client_for, query):
    """Per request: session, user, scope (grants, posts, member rows), the overdue badge count,
    the page count and the page rows (member and branches joined) — never a query per row."""
    client = client_for(cast.committee)
    url = reverse("members:transfer_list") + query
    _bulk_transfers(cast, 1)
    one, response = _count(client, url)
    assert len(response.context["page"].object_list) == 1
    _bulk_transfers(cast, 49)
    fifty, response = _count(client, url)
    assert len(response.context["page"].object_list) > 1
    assert fifty == one


def test_letter_validity_comes_from_the_rule_table_with_subtree_overrides(cast):
    import datetime as dt

    from members.models import DevelopmentRule
    from members.services.transfers import transfer_out_start

    DevelopmentRule.objects.create(
        code="transfer_valid_months", value=2, effective_from=dt.date(2020, 1, 1), organization=cast.c1
    )
    with time_machine.travel(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC), tick=False):
        transfer = transfer_out_start(
            user=cast.secretary_a,
            member=cast.mem_a,
            external_org="中共某县委组织部",
            letter_no="转字001",
            issued_on=dt.date(2026, 11, 20),
            dues_paid_through="2026-10",
            outstanding_dues_acknowledged=True,
        )
    assert transfer.valid_until == dt.date(2027, 1, 20)
