"""The members API: the permission matrix over the standing cast, the audited reveal, masked values
only in lists, filters and search, development steps with warnings and hard rules, and query counts
that do not grow with the rows.

The cast (tests/conftest.py): branch a holds 甲书记 (secretary_a) and 甲党员 (member_a); sibling
branch b holds 乙书记 (secretary_b); branch d under the other committee holds 丁党员. A member
outside the user's scope is 404 (never 403); a visible member the user may not change is 403; an id
in a body naming a foreign branch or member reads exactly like a missing one (400)."""

import datetime

import pytest
import time_machine

from audit.models import AuditEntry
from branches.models import Organization
from members.models import Assessment, DevelopmentStep, Member, MemberStatus
from members.protected import id_check_digit
from members.services.records import member_create
from tests.conftest import make_member

API = "/api/v1/members/"
STEPS = "/api/v1/development-steps/"
ASSESSMENTS = "/api/v1/assessments/"
SCHEDULE = "/api/v1/development-schedule/"
ANON_API = "anon"
ROLES = ("admin", "committee", "other_committee", "secretary_a", "secretary_b", "member_a", "outsider")
TZ = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.date(2026, 3, 16)
PHONE = "13812345678"


def at(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=TZ), tick=False)


@pytest.fixture(autouse=True)
def _frozen():
    with at(TODAY):
        yield


def id_number(birth, seq=123, region="110105"):
    """A valid 身份证号 (GB 11643): odd sequence digit = male."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


MEM_A_ID = id_number(datetime.date(1990, 5, 17), 351)  # male


@pytest.fixture
def people(cast):
    """The cast's four members by target name, 甲党员 with a 身份证号 and phone."""
    mem_a = Member.objects.get(pk=cast.mem_a.pk)
    mem_a.id_number, mem_a.phone, mem_a.birth_date = MEM_A_ID, PHONE, datetime.date(1990, 5, 17)
    mem_a.save()
    return {
        "mem_a": mem_a,
        "sec_b": cast.sec_b,
        "ding": Member.objects.get(name="丁党员"),
        "sec_a": cast.sec_a,
    }


def user_of(cast, role):
    return None if role == "anonymous" else getattr(cast, role)


def assert_status(response, expected):
    if expected == ANON_API:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == expected, getattr(response, "data", response.content[:300])


def matrix(rows, targets):
    flat = [
        (role, target, expected)
        for role, statuses in rows.items()
        for target, expected in zip(targets, statuses, strict=True)
    ]
    assert {r for r, _, _ in flat} == {*ROLES, "anonymous"}
    return flat


def ids(rows):
    return [f"{role}-{target}-{expected}" for role, target, expected in rows]


# --------------------------------------------------------------------------------------------
# Permission matrix
# --------------------------------------------------------------------------------------------

VISIBLE = {
    "admin": {"sec_a", "mem_a", "sec_b", "ding"},
    "committee": {"sec_a", "mem_a", "sec_b"},
    "other_committee": {"ding"},
    "secretary_a": {"sec_a", "mem_a"},
    "secretary_b": {"sec_b"},
    "member_a": {"mem_a"},  # a plain member sees only their own record
    "outsider": set(),
}


@pytest.mark.parametrize("role", ROLES)
def test_list_returns_exactly_the_visible_members(people, cast, api_for, role):
    response = api_for(user_of(cast, role)).get(API)
    assert response.status_code == 200
    assert {row["id"] for row in response.data["results"]} == {people[n].pk for n in VISIBLE[role]}
    assert response.data["count"] == len(VISIBLE[role])


def test_list_refuses_anonymous(cast, api_for):
    assert api_for(None).get(API).status_code in (401, 403)


TARGETS = ("mem_a", "sec_b", "ding")
RETRIEVE = matrix(
    {
        "admin": (200, 200, 200),
        "committee": (200, 200, 404),
        "other_committee": (404, 404, 200),
        "secretary_a": (200, 404, 404),
        "secretary_b": (404, 200, 404),  # a sibling branch's secretary: our members are 404
        "member_a": (200, 404, 404),
        "outsider": (404, 404, 404),
        "anonymous": (ANON_API,) * 3,
    },
    TARGETS,
)


@pytest.mark.parametrize(("role", "target", "expected"), RETRIEVE, ids=ids(RETRIEVE))
def test_retrieve(people, cast, api_for, role, target, expected):
    member = people[target]
    response = api_for(user_of(cast, role)).get(f"{API}{member.pk}/")
    assert_status(response, expected)
    if expected == 200:
        assert response.data["name"] == member.name
        assert response.data["status_display"] == "正式党员"


def test_retrieve_table_matches_visibility():
    for role, target, expected in RETRIEVE:
        if role != "anonymous":
            assert (expected == 200) == (target in VISIBLE[role]), (role, target)


PATCH = matrix(
    {
        "admin": (200, 200, 200),
        "committee": (200, 200, 404),
        "other_committee": (404, 404, 200),
        "secretary_a": (200, 404, 404),
        "secretary_b": (404, 200, 404),
        "member_a": (403, 404, 404),  # their own record is read-only here
        "outsider": (404, 404, 404),
        "anonymous": (ANON_API,) * 3,
    },
    TARGETS,
)


@pytest.mark.parametrize(("role", "target", "expected"), PATCH, ids=ids(PATCH))
def test_partial_update(people, cast, api_for, role, target, expected):
    member = people[target]
    response = api_for(user_of(cast, role)).patch(f"{API}{member.pk}/", {"ethnicity": "回族"}, format="json")
    assert_status(response, expected)
    member.refresh_from_db()
    assert (member.ethnicity == "回族") == (expected == 200)
    if expected == 200:
        assert response.data["ethnicity"] == "回族"


BRANCHES = ("a", "b", "d")
# 400 = the branch id is answered "does not exist" (outside the user's scope).
CREATE = matrix(
    {
        "admin": (201, 201, 201),
        "committee": (201, 201, 400),
        "other_committee": (400, 400, 201),
        "secretary_a": (201, 400, 400),
        "secretary_b": (400, 201, 400),
        "member_a": (403, 400, 400),  # sees branch a, may not keep its roster
        "outsider": (400, 400, 400),
        "anonymous": (ANON_API,) * 3,
    },
    BRANCHES,
)


@pytest.mark.parametrize(("role", "target", "expected"), CREATE, ids=ids(CREATE))
def test_create(cast, api_for, role, target, expected):
    branch = getattr(cast, target)
    response = api_for(user_of(cast, role)).post(
        API, {"branch": branch.pk, "name": "新党员", "gender": "female"}, format="json"
    )
    assert_status(response, expected)
    created = Member.objects.filter(name="新党员").first()
    if expected == 201:
        assert created.branch_id == branch.pk
        assert response.data["id"] == created.pk
        assert created.status_changes.get().reason == "建档"
    else:
        assert created is None
    if expected == 400:
        assert list(response.data) == ["branch"]


def test_a_foreign_branch_reads_like_a_missing_one(cast, api_for):
    api = api_for(cast.secretary_a)
    missing = cast.a_group.pk + 1000
    answers = []
    for pk in (cast.b.pk, missing):
        response = api.post(API, {"branch": pk, "name": "x", "gender": "male"}, format="json")
        assert response.status_code == 400
        answers.append(str(response.data["branch"][0]).replace(str(pk), "N"))
    assert answers[0] == answers[1]
    assert "乙党支部" not in answers[0]


# Who may see a member's record in the API is exactly who may see the full values (the person,
# their branch officers, the committee above), so a refusal is the 404 of an invisible member; the
# service's own 403 is for callers that reach a member some other way.
REVEAL = matrix(
    {
        "admin": (200, 200),
        "committee": (200, 200),
        "other_committee": (404, 404),
        "secretary_a": (200, 200),
        "secretary_b": (404, 404),
        "member_a": (200, 404),  # their own full number, nobody else's
        "outsider": (404, 404),
        "anonymous": (ANON_API,) * 2,
    },
    ("mem_a", "sec_a"),
)


@pytest.mark.parametrize(("role", "target", "expected"), REVEAL, ids=ids(REVEAL))
def test_reveal_is_allowed_to_the_person_and_their_officers_and_audited(
    people, cast, api_for, role, target, expected
):
    member = people[target]
    before = AuditEntry.objects.filter(action="members.member.revealed").count()
    response = api_for(user_of(cast, role)).post(
        f"{API}{member.pk}/reveal/", {"field": "phone"}, format="json"
    )
    assert_status(response, expected)
    revealed = AuditEntry.objects.filter(action="members.member.revealed")
    if expected == 200:
        assert response.data == {"field": "phone", "value": member.phone}
        entry = revealed.latest("pk")
        assert entry.object_id == str(member.pk)
        assert entry.actor_id == user_of(cast, role).pk
        assert entry.data["field"] == "phone"
        assert revealed.count() == before + 1
    else:
        assert revealed.count() == before


def test_reveal_of_the_id_number_and_an_unknown_field(people, cast, api_for):
    api = api_for(cast.secretary_a)
    url = f"{API}{people['mem_a'].pk}/reveal/"
    response = api.post(url, {"field": "id_number"}, format="json")
    assert response.status_code == 200
    assert response.data["value"] == MEM_A_ID
    response = api.post(url, {"field": "name"}, format="json")
    assert response.status_code == 400
    assert "field" in response.data


def test_lists_and_details_never_carry_the_plaintext(people, cast, api_for):
    api = api_for(cast.admin)
    for url in (API, f"{API}{people['mem_a'].pk}/", f"{API}?q={MEM_A_ID[-4:]}"):
        body = api.get(url).content.decode()
        assert MEM_A_ID not in body and PHONE not in body
        assert f"110105********{MEM_A_ID[-4:]}" in body and "138****5678" in body
    row = api.get(f"{API}{people['mem_a'].pk}/").data
    assert "id_number" not in row and "phone" not in row
    assert row["id_masked"] == MEM_A_ID[:6] + "********" + MEM_A_ID[14:]


# --------------------------------------------------------------------------------------------
# Writes through the services
# --------------------------------------------------------------------------------------------


def test_create_validates_the_id_number_and_keeps_it_write_only(cast, api_for):
    api = api_for(cast.secretary_a)
    bad = MEM_A_ID[:-1] + ("0" if MEM_A_ID[-1] != "0" else "1")
    response = api.post(
        API, {"branch": cast.a.pk, "name": "王芳", "id_number": bad, "gender": "male"}, format="json"
    )
    assert response.status_code == 400
    assert "校验位" in str(response.data["id_number"][0])
    response = api.post(
        API,
        {"branch": cast.a.pk, "name": "王芳", "id_number": MEM_A_ID, "phone": "139 0000 1111"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["gender"] == "male"  # derived from the 身份证号
    assert response.data["birth_date"] == "1990-05-17"
    assert response.data["phone_masked"] == "139****1111"
    assert "id_number" not in response.data and MEM_A_ID not in str(response.data)
    assert Member.objects.with_id_number(MEM_A_ID).get().name == "王芳"


def test_create_with_a_pipeline_status_and_its_schedule(cast, api_for):
    response = api_for(cast.secretary_a).post(
        API,
        {
            "branch": cast.a.pk,
            "name": "李明",
            "gender": "male",
            "birth_date": "2000-01-01",
            "status": "applicant",
            "applied_on": "2026-03-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["status"] == "applicant"
    assert response.data["next_step_no"] == 2
    assert response.data["next_step_name"] == "党组织派人谈话"
    assert response.data["next_step_due"] == "2026-03-31"


def test_create_refuses_an_end_status(cast, api_for):
    response = api_for(cast.secretary_a).post(
        API, {"branch": cast.a.pk, "name": "x", "gender": "male", "status": "expelled"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.data


def test_status_and_branch_are_not_edited_by_update(people, cast, api_for):
    api = api_for(cast.committee)
    url = f"{API}{people['mem_a'].pk}/"
    response = api.patch(url, {"status": "probationary", "branch": cast.b.pk}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"status", "branch"}
    member = Member.objects.get(pk=people["mem_a"].pk)
    assert (member.status, member.branch_id) == (MemberStatus.FULL, cast.a.pk)
    assert api.put(url, {"name": "x"}, format="json").status_code == 405


def test_update_keeps_field_errors_per_field(people, cast, api_for):
    response = api_for(cast.secretary_a).patch(
        f"{API}{people['mem_a'].pk}/",
        {"quorum_excluded": True, "phone": "12345"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.data) == {"phone", "quorum_exclusion_reason"}


def test_party_group_of_another_branch_is_refused(people, cast, api_for):
    response = api_for(cast.committee).patch(
        f"{API}{people['sec_b'].pk}/", {"party_group": cast.a_group.pk}, format="json"
    )
    assert response.status_code == 400
    assert "党小组" in str(response.data["party_group"][0])


# --------------------------------------------------------------------------------------------
# Filters and search
# --------------------------------------------------------------------------------------------


@pytest.fixture
def roster(cast):
    """A few more people in branch a, with statuses, flags and a 身份证号."""
    zhang = member_create(
        user=cast.admin,
        branch=cast.a,
        name="张晓明",
        id_number=id_number(datetime.date(1985, 2, 3), 777),
        dues_category="retired",
    )
    Member.objects.filter(pk=zhang.pk).update(is_mobile=True)
    chen = member_create(
        user=cast.admin,
        branch=cast.a,
        name="陈思远",
        gender="female",
        status="activist",
        activist_on=datetime.date(2025, 6, 1),
        birth_date=datetime.date(2001, 1, 1),
    )
    gone = make_member(cast.b, "赵离册", status="lapsed")
    return {"zhang": zhang, "chen": chen, "gone": gone}


def names(api, params):
    response = api.get(API, params)
    assert response.status_code == 200, response.data
    return {row["name"] for row in response.data["results"]}


def test_filters(roster, cast, api_for):
    api = api_for(cast.committee)
    everyone = {"甲书记", "甲党员", "乙书记", "张晓明", "陈思远", "赵离册"}
    assert names(api, {}) == everyone  # the default shows every status
    assert names(api, {"current": "true"}) == everyone - {"赵离册"}
    assert names(api, {"current": "false"}) == {"赵离册"}
    assert names(api, {"status": "activist"}) == {"陈思远"}
    assert names(api, {"status": ["activist", "lapsed"]}) == {"陈思远", "赵离册"}
    assert names(api, {"branch": cast.b.pk}) == {"乙书记", "赵离册"}
    assert names(api, {"within": cast.c1.pk}) == everyone
    assert names(api, {"within": cast.a.pk}) == {"甲书记", "甲党员", "张晓明", "陈思远"}
    assert names(api, {"within": cast.c2.pk}) == set()  # a foreign org: like a missing one
    assert names(api, {"party_group": cast.a_group.pk}) == {"甲书记", "甲党员"}
    assert names(api, {"dues_category": "retired"}) == {"张晓明"}
    assert names(api, {"is_mobile": "true"}) == {"张晓明"}
    assert names(api, {"is_mobile": "false", "branch": cast.a.pk}) == {"甲书记", "甲党员", "陈思远"}
    rows = api.get(API, {"ordering": "-birth_date", "status": ["activist", "full"]}).data["results"]
    # (where NULL birth dates sort depends on the database)
    assert [r["name"] for r in rows if r["birth_date"]] == ["陈思远", "张晓明"]


def test_search_by_name_initials_and_id_tail(roster, cast, api_for):
    api = api_for(cast.secretary_a)
    assert names(api, {"q": "晓明"}) == {"张晓明"}
    assert names(api, {"q": "zxm"}) == {"张晓明"}
    assert names(api, {"q": "ZX"}) == {"张晓明"}
    assert names(api, {"q": "csy"}) == {"陈思远"}
    tail = roster["zhang"].id_masked[-4:]
    assert names(api, {"q": tail}) == {"张晓明"}
    assert names(api, {"q": tail.lower()}) == {"张晓明"}
    assert names(api, {"q": "甲"}) == {"甲书记", "甲党员"}
    assert names(api, {"q": "乙书记"}) == set()  # secretary_a cannot find branch b's people


# --------------------------------------------------------------------------------------------
# Development steps, assessments and the schedule
# --------------------------------------------------------------------------------------------


@pytest.fixture
def applicant(cast):
    return member_create(
        user=cast.secretary_a,
        branch=cast.a,
        status="applicant",
        name="刘申请",
        gender="male",
        birth_date=datetime.date(2000, 4, 1),
        applied_on=datetime.date(2026, 1, 5),
    )


def test_a_late_talk_is_a_warning_until_confirmed(applicant, cast, api_for):
    api = api_for(cast.secretary_a)
    body = {"member": applicant.pk, "step_no": 2, "done_on": "2026-03-02", "note": "谈话"}
    response = api.post(STEPS, body, format="json")
    assert response.status_code == 400
    assert "逾期" in response.data["warnings"][0]
    assert "confirm_warnings" in response.data["detail"]
    assert not DevelopmentStep.objects.filter(member=applicant, step_no=2).exists()
    response = api.post(STEPS, {**body, "confirm_warnings": True}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["step_name"] == "党组织派人谈话"
    assert response.data["detail"]["warnings"]
    assert response.data["recorded_by_name"] == "secretary_a"
    member = api.get(f"{API}{applicant.pk}/").data
    assert (member["next_step_no"], member["next_step_name"]) == (3, "推荐和确定入党积极分子")


def test_a_hard_rule_answers_with_its_message(cast, api_for):
    young = member_create(
        user=cast.secretary_a,
        branch=cast.a,
        status="applicant",
        name="少年",
        gender="male",
        birth_date=datetime.date(2008, 6, 1),
    )
    response = api_for(cast.secretary_a).post(
        STEPS, {"member": young.pk, "step_no": 1, "done_on": "2026-03-01", "confirm_warnings": True}
    )
    assert response.status_code == 400
    assert "年满18周岁" in str(response.data["done_on"][0])
    assert "warnings" not in response.data


def test_steps_must_come_in_order(applicant, cast, api_for):
    response = api_for(cast.secretary_a).post(
        STEPS, {"member": applicant.pk, "step_no": 5, "done_on": "2026-03-01"}, format="json"
    )
    assert response.status_code == 400
    assert "下一步是第2步" in str(response.data["step_no"][0])


STEP_ACCESS = {
    # role: (sees the step, create answer)
    "admin": (True, 201),
    "committee": (True, 201),
    "other_committee": (False, 400),
    "secretary_a": (True, 201),
    "secretary_b": (False, 400),  # the member id reads as missing
    "member_a": (False, 400),
    "outsider": (False, 400),
}


@pytest.mark.parametrize("role", ROLES)
def test_steps_are_visible_through_the_member(applicant, cast, api_for, role):
    sees, create = STEP_ACCESS[role]
    step = DevelopmentStep.objects.get(member=applicant, step_no=1)
    api = api_for(user_of(cast, role))
    listed = {row["id"] for row in api.get(STEPS).data["results"]}
    assert listed == ({step.pk} if sees else set())
    assert api.get(f"{STEPS}{step.pk}/").status_code == (200 if sees else 404)
    response = api.post(STEPS, {"member": applicant.pk, "step_no": 2, "done_on": "2026-01-20"}, format="json")
    assert_status(response, create)
    assert DevelopmentStep.objects.filter(member=applicant, step_no=2).exists() == (create == 201)


def test_a_member_cannot_record_their_own_step(cast, api_for):
    me = Member.objects.get(pk=cast.mem_a.pk)
    Member.objects.filter(pk=me.pk).update(status="applicant", birth_date=datetime.date(2000, 1, 1))
    response = api_for(cast.member_a).post(
        STEPS, {"member": me.pk, "step_no": 1, "done_on": "2026-03-01"}, format="json"
    )
    assert response.status_code == 403


def test_steps_filters(applicant, cast, api_for):
    api = api_for(cast.secretary_a)
    api.post(STEPS, {"member": applicant.pk, "step_no": 2, "done_on": "2026-01-20"}, format="json")
    rows = api.get(STEPS, {"member": applicant.pk}).data["results"]
    assert [r["step_no"] for r in rows] == [1, 2]
    assert [r["step_no"] for r in api.get(STEPS, {"step_no": 2}).data["results"]] == [2]
    assert api.get(STEPS, {"member": cast.sec_b.pk}).data["results"] == []


def test_assessments(cast, api_for):
    activist = member_create(
        user=cast.secretary_a,
        branch=cast.a,
        status="activist",
        name="考察对象",
        gender="female",
        birth_date=datetime.date(1999, 1, 1),
        activist_on=datetime.date(2025, 6, 1),
    )
    api = api_for(cast.secretary_a)
    assert api.get(f"{API}{activist.pk}/").data["next_step_due"] == "2025-12-01"  # overdue assessment
    response = api.post(
        ASSESSMENTS,
        {"member": activist.pk, "kind": "assessment", "done_on": "2026-03-10", "summary": "表现良好"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["kind_display"] == "培养考察"
    assert Assessment.objects.filter(member=activist).count() == 1
    assert api.get(f"{API}{activist.pk}/").data["next_step_due"] == "2026-09-10"
    assert [r["id"] for r in api.get(ASSESSMENTS).data["results"]] == [response.data["id"]]
    assert api_for(cast.secretary_b).get(ASSESSMENTS).data["results"] == []
    refused = api_for(cast.secretary_b).post(
        ASSESSMENTS, {"member": activist.pk, "kind": "assessment", "done_on": "2026-03-10"}, format="json"
    )
    assert refused.status_code == 400 and list(refused.data) == ["member"]
    full = api.post(
        ASSESSMENTS, {"member": cast.sec_a.pk, "kind": "assessment", "done_on": "2026-03-10"}, format="json"
    )
    assert full.status_code == 400


def test_schedule_orders_by_due_and_filters_overdue(applicant, cast, api_for):
    late = member_create(
        user=cast.secretary_a,
        branch=cast.a,
        status="applicant",
        name="逾期者",
        gender="male",
        birth_date=datetime.date(2000, 1, 1),
        applied_on=datetime.date(2025, 12, 1),
    )
    other = member_create(
        user=cast.secretary_b,
        branch=cast.b,
        status="applicant",
        name="乙申请",
        gender="male",
        birth_date=datetime.date(2000, 1, 1),
        applied_on=datetime.date(2026, 3, 10),
    )
    api = api_for(cast.committee)
    rows = api.get(SCHEDULE).data["results"]
    assert [r["name"] for r in rows] == ["逾期者", "刘申请", "乙申请"]
    assert [r["overdue"] for r in rows] == [True, True, False]
    assert rows[0]["next_step_due"] == "2025-12-31"
    assert rows[0]["next_step_name"] == "党组织派人谈话"
    assert {r["name"] for r in api.get(SCHEDULE, {"overdue": "true"}).data["results"]} == {
        late.name,
        applicant.name,
    }
    assert [r["name"] for r in api.get(SCHEDULE, {"overdue": "false"}).data["results"]] == [other.name]
    assert [r["name"] for r in api.get(SCHEDULE, {"within": cast.b.pk}).data["results"]] == [other.name]
    assert api.get(SCHEDULE, {"within": cast.d.pk}).data["results"] == []
    assert [r["name"] for r in api_for(cast.secretary_b).get(SCHEDULE).data["results"]] == ["乙申请"]


# --------------------------------------------------------------------------------------------
# Query counts: the same for 1 row as for 50
# --------------------------------------------------------------------------------------------


@pytest.fixture
def token_api():
    """Token auth, as API consumers use it: each request loads the user (and its scope) afresh."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def login(user):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return api

    return login


def get(api, path, assert_queries, count):
    api.get(path)  # warm the per-process caches (content types)
    with assert_queries(count):
        response = api.get(path)
    assert response.status_code == 200
    return response


def fill(cast, rows):
    """`rows` people in branch b (with 身份证号, phone and party group), each with one step."""
    group = Organization.objects.add_child(
        cast.b, {"name": "乙第一党小组", "kind": "party_group", "field": "organ"}
    )
    people = []
    for i in range(rows):
        person = Member(
            name=f"批量{i}",
            gender="male",
            branch=cast.b,
            party_group=group,
            status=MemberStatus.APPLICANT,
            birth_date=datetime.date(1990, 1, 1),
            id_number=id_number(datetime.date(1990, 1, 1), 101 + 2 * i, region="320102"),
            phone=f"1391234{i:04d}",
            applied_on=datetime.date(2026, 3, 1),
            next_step_no=2,
            next_step_due=datetime.date(2026, 3, 31),
        )
        person.derive_protected()
        people.append(person)
    Member.objects.bulk_create(people)
    DevelopmentStep.objects.bulk_create(
        DevelopmentStep(member=p, step_no=1, done_on=datetime.date(2026, 3, 1), recorded_by=cast.secretary_b)
        for p in Member.objects.filter(name__startswith="批量")
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_members_list_queries(cast, token_api, django_assert_num_queries, rows):
    fill(cast, rows)
    api = token_api(cast.secretary_b)
    # 1     token joined to its user
    # 2-4   scope: grants, officer posts, member record
    # 5     COUNT of the visible members (paginator)
    # 6     the page of members with branch and party group (select_related), ciphertext deferred
    response = get(api, API, django_assert_num_queries, 6)
    assert response.data["count"] == rows + 1  # and the secretary
    assert len(response.data["results"]) == min(rows + 1, 50)


@pytest.mark.parametrize("rows", [1, 50])
def test_members_search_queries(cast, token_api, django_assert_num_queries, rows):
    fill(cast, rows)
    api = token_api(cast.committee)
    # 1-4   token, scope; 5 the `within` anchor among visible organisations; 6 COUNT; 7 the page
    response = get(api, f"{API}?within={cast.c1.pk}&q=pl&current=true", django_assert_num_queries, 7)
    assert len(response.data["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_steps_list_queries(cast, token_api, django_assert_num_queries, rows):
    fill(cast, rows)
    api = token_api(cast.secretary_b)
    # 1     token joined to its user
    # 2-4   scope: grants, officer posts, member record
    # 5     COUNT of the steps of visible members (the members as a subquery)
    # 6     the page of steps with member, branch and recorder (select_related)
    response = get(api, STEPS, django_assert_num_queries, 6)
    assert len(response.data["results"]) == rows
    assert all(r["member_name"] and r["recorded_by_name"] for r in response.data["results"])


@pytest.mark.parametrize("rows", [1, 50])
def test_schedule_queries(cast, token_api, django_assert_num_queries, rows):
    fill(cast, rows)
    api = token_api(cast.committee)
    # 1-4   token, scope; 5 COUNT; 6 the page with branch (select_related)
    response = get(api, SCHEDULE, django_assert_num_queries, 6)
    assert len(response.data["results"]) == rows
