"""GET /api/v1/compliance/: per-rule results for an organisation, per branch for a committee."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from branches.models import Organization

D = datetime.date
SH = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/compliance/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=SH), tick=False):
        yield


def test_branch_result_per_rule(cast, api_for, meeting):
    m = meeting(cast.a, "themed_day", D(2026, 9, 30))
    data = api_for(cast.secretary_a).get(URL, {"org": cast.a.pk, "period": "2026-Q3"}).json()
    assert data["org"] == {"id": cast.a.pk, "name": "甲党支部", "kind": "branch"}
    assert (data["period"], data["start"], data["end"]) == ("2026-Q3", "2026-07-01", "2026-09-30")
    assert data["count"] == 1
    rules = {r["code"]: r for r in data["branches"][0]["rules"]}
    themed = rules["themed_day"]
    assert (themed["status"], themed["required"], themed["held"], themed["meeting_ids"]) == (
        "missing",
        3,
        1,
        [m.pk],
    )
    assert [w["period"] for w in themed["windows"]] == ["2026-07", "2026-08", "2026-09"]
    assert [w["status"] for w in themed["windows"]] == ["missing", "missing", "met"]
    assert rules["committee_meeting"]["applicable"] is False and rules["committee_meeting"]["status"] == "n/a"
    rollup = {r["code"]: r for r in data["rules"]}
    assert rollup["themed_day"]["branches"]["missing"] == 1 and rollup["themed_day"]["status"] == "missing"


def test_committee_rolls_up_and_pages_its_branches(cast, api_for, meeting):
    meeting(cast.b, "general_meeting", D(2026, 7, 10))
    api = api_for(cast.committee)
    data = api.get(
        URL, {"org": cast.c1.pk, "period": "2026-Q3", "page_size": 1, "sort": "-general_meeting"}
    ).json()
    assert data["count"] == 2 and data["next"] and data["previous"] is None
    assert [b["id"] for b in data["branches"]] == [cast.a.pk]
    general = {r["code"]: r for r in data["rules"]}["general_meeting"]
    assert (
        general["branches"]["met"] == 1 and general["branches"]["missing"] == 1 and general["met_rate"] == 50
    )


def test_default_period_is_this_quarter(cast, api_for):
    assert api_for(cast.committee).get(URL, {"org": cast.c1.pk}).json()["period"] == "2026-Q4"


@pytest.mark.parametrize(
    ("period", "says"), [("2026-Q5", "Q1 至 Q4"), ("2026-13", "01 至 12"), ("Q3", "2026-Q3")]
)
def test_malformed_period_is_a_400_naming_the_parameter(cast, api_for, period, says):
    response = api_for(cast.committee).get(URL, {"org": cast.c1.pk, "period": period})
    assert response.status_code == 400
    assert list(response.json()) == ["period"] and says in response.json()["period"][0]


@pytest.mark.parametrize("org", ["", "abc"])
def test_missing_org_is_a_400_naming_the_parameter(cast, api_for, org):
    response = api_for(cast.committee).get(URL, {"org": org})
    assert response.status_code == 400 and list(response.json()) == ["org"]


def test_foreign_and_unknown_organisations_are_404(cast, api_for):
    api = api_for(cast.other_committee)
    assert api.get(URL, {"org": cast.c1.pk}).status_code == 404
    assert api.get(URL, {"org": cast.a.pk}).status_code == 404
    assert api.get(URL, {"org": 999_999}).status_code == 404
    assert api_for(cast.secretary_b).get(URL, {"org": cast.a.pk}).status_code == 404


def test_anonymous_is_refused(cast, api_for):
    assert api_for(None).get(URL, {"org": cast.a.pk}).status_code in (401, 403)


def test_documented_in_the_openapi_schema(cast, api_for):
    schema = api_for(cast.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/compliance/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"org", "period", "sort", "page", "page_size"} <= names
    assert {"200", "400", "404"} <= set(operation["responses"])


# --- A rolled-up committee: the summary and the order from the dashboards' rollups, the engine for
# the page's branches only.


def _rolled_up(cast, meeting, n=5):
    from compliance.periods import parse_period
    from dashboards import rollups

    parent = Organization.objects.get(pk=cast.c1.pk)
    for i in range(n):
        parent.refresh_from_db()
        branch = Organization.objects.add_child(parent, {"name": f"批量支部{i:02d}", "kind": "branch"})
        if i % 2:
            meeting(branch, "general_meeting", D(2026, 7, 10))
        if i % 3 == 0:
            meeting(branch, "themed_day", D(2026, 8, 10))
    meeting(cast.b, "general_meeting", D(2026, 7, 10))
    rollups.rebuild([parse_period("2026-Q3")])


def _everything(api, org, sort):
    """Every page of the API's answer for `sort`, two branches a page."""
    out, page, data = [], 1, None
    while True:
        data = api.get(
            URL, {"org": org.pk, "period": "2026-Q3", "sort": sort, "page": page, "page_size": 2}
        ).json()
        out += data["branches"]
        if not data["next"]:
            return data, out
        page += 1


@pytest.mark.parametrize("sort", ["name", "-name", "missing", "-missing", "general_meeting", "-themed_day"])
def test_a_rolled_up_committee_answers_as_the_whole_subtree_would(cast, api_for, meeting, sort):
    from compliance.api import RollUpSerializer, branches_json
    from compliance.engine import evaluate, sort_branches
    from compliance.periods import parse_period

    _rolled_up(cast, meeting)
    data, branches = _everything(api_for(cast.committee), cast.c1, sort)
    whole = evaluate(cast.c1, parse_period("2026-Q3"))
    assert data["rules"] == RollUpSerializer(whole.rules, many=True).data
    assert data["summary_as_of"] == "2026-10-01" and data["count"] == 7
    assert branches == branches_json(sort_branches(whole, sort.lstrip("-"), sort.startswith("-")))


def test_branches_json_is_what_the_documented_serializer_gives(cast, meeting):
    from compliance.api import BranchSerializer, branches_json
    from compliance.engine import evaluate
    from compliance.periods import parse_period

    meeting(cast.a, "group_meeting", D(2026, 8, 5), group=cast.a_group)
    meeting(cast.a, "themed_day", D(2026, 9, 30))
    report = evaluate(cast.c1, parse_period("2026-Q3"))
    assert branches_json(report.branches) == BranchSerializer(report.branches, many=True).data


def test_without_a_rollup_for_the_period_the_subtree_is_evaluated(cast, api_for, meeting):
    _rolled_up(cast, meeting, n=1)  # 2026-Q3 only
    data = api_for(cast.committee).get(URL, {"org": cast.c1.pk, "period": "2026-Q2"}).json()
    assert data["summary_as_of"] == "2026-10-01" and data["count"] == 3
    general = {r["code"]: r for r in data["rules"]}["general_meeting"]
    assert general["branches"]["missing"] == 3


@pytest.mark.parametrize("rows", [1, 50])
def test_a_rolled_up_committee_costs_the_same_for_1_and_50_branches(
    cast, api_for, meeting, rows, django_assert_num_queries
):
    """The user's scope (3) and the organisation, the rollup row, the count and the page of
    branches, the engine's five narrowed queries — whatever the subtree's size."""
    _rolled_up(cast, meeting, n=rows)
    api = api_for(cast.committee)
    with django_assert_num_queries(12):
        data = api.get(
            URL, {"org": cast.c1.pk, "period": "2026-Q3", "sort": "-missing", "page_size": 10}
        ).json()
    assert len(data["branches"]) == min(10, rows + 2)
