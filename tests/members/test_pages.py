"""Member pages as their users see them: the roster and its search, the record with timeline, the
forms' field errors, 我的档案, the audited full-ID view, permissions and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from members.models import Member, MemberStatus
from members.protected import compose_id_number
from members.services.records import member_create
from tests.conftest import make_member


def id_number(birth, serial=123, *, male=True):
    return compose_id_number("110105", birth, serial, "male" if male else "female")


@pytest.fixture
def zhang(cast):
    return member_create(
        user=cast.secretary_a,
        branch=cast.a,
        name="张建国",
        gender="male",
        birth_date=datetime.date(1980, 5, 17),
        id_number=id_number(datetime.date(1980, 5, 17)),
        phone="13812345678",
        party_group=cast.a_group,
        admitted_on=datetime.date(2005, 7, 1),
        regularised_on=datetime.date(2006, 7, 1),
    )


def test_roster_lists_own_branch_with_masked_numbers(cast, client_for, zhang):
    response = client_for(cast.secretary_a).get(reverse("members:roster"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "张建国" in body and "甲党员" in body
    assert "乙书记" not in body and "丁党员" not in body
    assert zhang.id_masked in body and "138****5678" in body
    assert zhang.id_number not in body and "13812345678" not in body


def test_roster_rows_show_labels_badges_and_empty_cells(cast, client_for, zhang):
    """The rows are prepared in the view (labels, links, the phone line, "—" for what is empty)."""
    applicant = make_member(cast.a, "甲申请", status=MemberStatus.APPLICANT)
    Member.objects.filter(pk=applicant.pk).update(
        is_mobile=True, quorum_excluded=True, quorum_exclusion_reason="长期外出", dues_category="student"
    )
    committee = client_for(cast.committee).get(reverse("members:roster")).content.decode()
    row = committee[committee.index(f'href="/members/{applicant.pk}/"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="badge text-bg-info">流动</span>' in row and "困难" not in row
    assert '<span class="badge text-bg-secondary" title="长期外出">不计应到</span>' in row
    assert '<div class="small text-secondary d-sm-none">男 · 甲党支部</div>' in row
    assert '<span class="badge text-bg-primary">入党申请人</span>' in row and ">学生<" in row
    assert row.count('<td class="pa-hide-sm">甲党支部</td>') == 1  # a committee sees the branch
    assert row.count(">—</td>") == 3  # no party group, 身份证号 or phone
    secretary = client_for(cast.secretary_a).get(reverse("members:roster")).content.decode()
    row = secretary[secretary.index(f'href="/members/{zhang.pk}/"') :]
    row = row[: row.index("</tr>")]
    line = f"男 · 甲第一党小组 · {zhang.id_masked[-4:]}"  # a secretary's own branch is not repeated
    assert f'<div class="small text-secondary d-sm-none">{line}</div>' in row
    assert "badge text-bg-danger" in row
    assert "甲党支部" not in row


@pytest.mark.parametrize("q", ["建国", "zjg", "ZJ", None])
def test_roster_search_by_name_initials_or_id_tail(cast, client_for, zhang, q):
    q = q or zhang.id_number[-4:]
    body = client_for(cast.secretary_a).get(reverse("members:roster"), {"q": q}).content.decode()
    assert "张建国" in body
    assert "甲党员" not in body


def test_roster_filters_by_status_group_and_flags(cast, client_for, zhang):
    make_member(cast.a, "甲预备", status=MemberStatus.PROBATIONARY)
    Member.objects.filter(pk=zhang.pk).update(is_hardship=True)
    client = client_for(cast.secretary_a)
    url = reverse("members:roster")
    assert "甲预备" in client.get(url, {"status": "probationary"}).content.decode()
    assert "张建国" not in client.get(url, {"status": "probationary"}).content.decode()
    body = client.get(url, {"flag": "hardship"}).content.decode()
    assert "张建国" in body and "甲党员" not in body
    body = client.get(url, {"party_group": cast.a_group.pk}).content.decode()
    assert "张建国" in body and "甲预备" not in body


def test_roster_hides_people_who_left_unless_asked(cast, client_for):
    make_member(cast.a, "已转出者", status=MemberStatus.TRANSFERRED_OUT)
    client = client_for(cast.secretary_a)
    assert "已转出者" not in client.get(reverse("members:roster")).content.decode()
    assert "已转出者" in client.get(reverse("members:roster"), {"status": "all"}).content.decode()


def test_committee_roster_narrows_to_a_subtree_and_foreign_subtree_is_404(cast, client_for):
    client = client_for(cast.committee)
    body = client.get(reverse("members:roster"), {"within": cast.b.pk}).content.decode()
    assert "乙书记" in body and "甲党员" not in body
    assert client.get(reverse("members:roster"), {"within": cast.d.pk}).status_code == 404


def test_empty_roster_says_what_to_do(cast, client_for):
    from branches.models import Organization

    empty = Organization.objects.add_child(
        cast.c1, {"name": "新建党支部", "kind": "branch", "field": "organ"}
    )
    body = client_for(cast.committee).get(reverse("members:roster"), {"within": empty.pk}).content.decode()
    assert "花名册还是空的" in body


def test_detail_shows_record_timeline_and_party_age(cast, client_for, zhang):
    body = client_for(cast.secretary_a).get(reverse("members:detail", args=[zhang.pk])).content.decode()
    assert "张建国" in body and "甲第一党小组" in body
    assert "建档" in body  # the timeline's first entry
    assert "党龄" in body


def test_create_form_reports_field_errors_and_saves_nothing(cast, client_for):
    bad_id = id_number(datetime.date(1990, 1, 1))[:-1] + "0"
    if bad_id == id_number(datetime.date(1990, 1, 1)):
        bad_id = bad_id[:-1] + "1"
    response = client_for(cast.secretary_a).post(
        reverse("members:create"),
        {
            "branch": cast.a.pk,
            "status": "full",
            "name": "错号码",
            "gender": "male",
            "ethnicity": "汉族",
            "dues_category": "in_service",
            "id_number": bad_id,
            "phone": "12345",
            "quorum_excluded": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "校验位不正确" in body
    assert "11位大陆手机号码" in body
    assert "必须说明原因" in body
    assert not Member.objects.filter(name="错号码").exists()


def test_create_then_edit_keeps_protected_values_unless_changed(cast, client_for):
    client = client_for(cast.secretary_a)
    birth = datetime.date(1992, 8, 8)
    response = client.post(
        reverse("members:create"),
        {
            "branch": cast.a.pk,
            "status": "applicant",
            "name": "新申请人",
            "gender": "female",
            "ethnicity": "回族",
            "dues_category": "in_service",
            "id_number": id_number(birth, male=False),
            "phone": "139 0000 1111",
        },
    )
    person = Member.objects.get(name="新申请人")
    assert response.status_code == 302 and response["Location"] == reverse("members:detail", args=[person.pk])
    assert person.birth_date == birth and person.phone == "13900001111"
    assert person.status == MemberStatus.APPLICANT and person.next_step_no == 1
    response = client.post(
        reverse("members:edit", args=[person.pk]),
        {
            "name": "新申请人",
            "gender": "female",
            "ethnicity": "回族",
            "dues_category": "student",
            "id_number": "",
            "phone": "",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.dues_category == "student" and person.id_number == id_number(birth, male=False)
    assert person.phone == "13900001111"


def test_status_is_not_editable_on_the_form(cast, client_for, zhang):
    client_for(cast.secretary_a).post(
        reverse("members:edit", args=[zhang.pk]),
        {
            "name": "张建国",
            "gender": "male",
            "ethnicity": "汉族",
            "dues_category": "in_service",
            "status": "lapsed",
        },
    )
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.FULL


def test_full_id_is_shown_only_on_request_and_each_view_is_audited(cast, client_for, zhang):
    client = client_for(cast.secretary_a)
    response = client.post(reverse("members:reveal", args=[zhang.pk, "id_number"]))
    assert zhang.id_number in response.content.decode()
    entry = AuditEntry.objects.filter(action="members.member.revealed").get()
    assert entry.actor == cast.secretary_a and entry.data["field"] == "id_number"
    assert zhang.id_number not in str(entry.changes) + str(entry.data)
    assert client.get(reverse("members:reveal", args=[zhang.pk, "id_number"])).status_code == 405


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("committee", 200),
        ("secretary_a", 200),
        ("member_a", 404),  # sees only their own record
        ("secretary_b", 404),
        ("other_committee", 404),
        ("outsider", 404),
    ],
)
def test_reveal_permission_matrix(cast, client_for, zhang, who, status):
    response = client_for(getattr(cast, who)).post(reverse("members:reveal", args=[zhang.pk, "phone"]))
    assert response.status_code == status


def test_a_member_sees_only_their_own_record_and_edits_only_contact_details(cast, client_for, zhang):
    client = client_for(cast.member_a)
    assert client.get(reverse("members:roster")).status_code == 302
    assert client.get(reverse("members:detail", args=[zhang.pk])).status_code == 404
    assert client.get(reverse("members:edit", args=[cast.mem_a.pk])).status_code == 403
    body = client.get(reverse("members:mine")).content.decode()
    assert "我的档案" in body and "修改联系方式" in body
    assert client.post(reverse("members:mine"), {"phone": "1381234"}).status_code == 200
    response = client.post(reverse("members:mine"), {"phone": "13698765432"})
    assert response.status_code == 302
    cast.mem_a.refresh_from_db()
    assert cast.mem_a.phone == "13698765432"
    assert client.post(reverse("members:reveal", args=[cast.mem_a.pk, "phone"])).status_code == 200


PAGES = ["members:detail", "members:edit", "members:step_create"]


@pytest.mark.parametrize(
    ("who", "own", "sibling"),
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
@pytest.mark.parametrize("page", PAGES)
def test_permission_matrix_own_and_sibling_branch(cast, client_for, who, own, sibling, page):
    ours = member_create(
        user=cast.admin,
        branch=cast.a,
        status="applicant",
        name="甲申请",
        gender="male",
        birth_date=datetime.date(2000, 1, 1),
    )
    theirs = member_create(
        user=cast.admin,
        branch=cast.b,
        status="applicant",
        name="乙申请",
        gender="male",
        birth_date=datetime.date(2000, 1, 1),
    )
    client = client_for(getattr(cast, who))
    assert client.get(reverse(page, args=[ours.pk])).status_code == own
    assert client.get(reverse(page, args=[theirs.pk])).status_code == sibling


def test_the_roster_and_create_need_a_branch_to_manage(cast, client_for):
    assert client_for(cast.outsider).get(reverse("members:create")).status_code == 403
    assert client_for(cast.member_a).get(reverse("members:create")).status_code == 403
    assert client_for(None).get(reverse("members:roster")).status_code == 302


def _fill(branch, n, status="full"):
    Member.objects.bulk_create(
        [
            Member(name=f"党员{i:03d}", gender="male", branch=branch, status=status, name_initials="dy")
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("user", ["secretary_a", "committee"])
def test_roster_query_count_is_the_same_for_1_and_50_rows(cast, client_for, user):
    client = client_for(getattr(cast, user))
    counts = []
    for n in (1, 50):
        Member.objects.filter(name__startswith="党员").delete()
        _fill(cast.a, n)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:roster")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_development_page_query_count_is_the_same_for_1_and_50_rows(cast, client_for):
    client = client_for(cast.committee)
    counts = []
    for n in (1, 50):
        Member.objects.filter(status="applicant").delete()
        Member.objects.bulk_create(
            [
                Member(
                    name=f"申请{i}",
                    gender="male",
                    branch=cast.a,
                    status="applicant",
                    next_step_no=2,
                    next_step_due=datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
                )
                for i in range(n)
            ]
        )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:development")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_development_page_shows_each_users_subtree_with_overdue_first(cast, client_for):
    import time_machine

    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
        for branch, name, applied in (
            (cast.a, "甲逾期", "2026-01-01"),
            (cast.a, "甲未到期", "2026-02-20"),
            (cast.b, "乙申请", "2026-02-25"),
            (cast.d, "丁申请", "2026-02-25"),
        ):
            member_create(
                user=cast.admin,
                branch=branch,
                status="applicant",
                name=name,
                gender="male",
                birth_date=datetime.date(2000, 1, 1),
                applied_on=datetime.date.fromisoformat(applied),
            )
        url = reverse("members:development")
        body = client_for(cast.secretary_a).get(url).content.decode()
        assert body.index("甲逾期") < body.index("甲未到期")
        assert "乙申请" not in body and "丁申请" not in body
        assert "逾期29天" in body  # talk due 31 January
        body = client_for(cast.committee).get(url).content.decode()
        assert "甲逾期" in body and "乙申请" in body and "丁申请" not in body
        overdue = client_for(cast.committee).get(url, {"state": "overdue"}).content.decode()
        assert "甲逾期" in overdue and "甲未到期" not in overdue
        assert client_for(cast.committee).get(url, {"within": cast.d.pk}).status_code == 404
        assert client_for(cast.member_a).get(url).status_code == 403


def test_recording_a_death_takes_the_person_off_the_roster_with_the_reason(cast, client_for, zhang):
    client = client_for(cast.secretary_a)
    response = client.post(
        reverse("members:end", args=[zhang.pk]), {"to_status": "deceased", "on": "2026-01-05", "reason": ""}
    )
    assert response.status_code == 400 and "invalid-feedback" in response.content.decode()
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.FULL
    response = client.post(
        reverse("members:end", args=[zhang.pk]),
        {"to_status": "deceased", "on": "2026-01-05", "reason": "因病去世"},
    )
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.status == MemberStatus.DECEASED
    assert zhang.status_changes.get(to_status="deceased").reason == "因病去世"
    assert "张建国" not in client.get(reverse("members:roster")).content.decode()
    assert client_for(cast.secretary_b).post(reverse("members:end", args=[zhang.pk]), {}).status_code == 404


def test_extending_a_probation_on_the_page_shows_errors_then_saves(cast, client_for):
    person = make_member(cast.a, "预备乙", status=MemberStatus.PROBATIONARY)
    Member.objects.filter(pk=person.pk).update(
        admitted_on=datetime.date(2025, 11, 1), probation_end_on=datetime.date(2026, 11, 1)
    )
    client = client_for(cast.secretary_a)
    url = reverse("members:probation_extend", args=[person.pk])
    response = client.post(url, {"months": 3, "decided_on": "2026-11-01", "approval_ref": "组字1号"})
    assert response.status_code == 400 and "延长期限为6至12个月" in response.content.decode()
    response = client.post(url, {"months": 6, "decided_on": "2026-11-01", "approval_ref": "组字1号"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.probation_end_on == datetime.date(2027, 5, 1) and person.probation_extension_months == 6
    assert client_for(cast.secretary_b).post(url, {}).status_code == 404


def test_an_assessment_in_the_future_is_refused_on_the_page(cast, client_for):
    person = make_member(cast.a, "积极分子丙", status=MemberStatus.ACTIVIST)
    client = client_for(cast.secretary_a)
    url = reverse("members:assessment_create", args=[person.pk])
    response = client.post(
        url, {"kind": "assessment", "done_on": "2999-01-01", "reviewer": "", "summary": ""}
    )
    assert response.status_code == 400 and "日期不能晚于今天" in response.content.decode()
    assert client.post(url, {"kind": "assessment", "done_on": "2026-01-05"}).status_code == 302
    assert person.assessments.get().done_on == datetime.date(2026, 1, 5)
