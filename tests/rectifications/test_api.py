"""The rectifications API: scoping (foreign → 404), transitions and who may make them (403),
progress with evidence, suggestions (anonymous: the receipt code once, no author), and query counts
that stay the same for 1 and 50 rows on every list endpoint."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rectifications import services
from rectifications.models import Item, Ledger, ProgressUpdate, Suggestion, SuggestionReply

pytestmark = pytest.mark.usefixtures("media_root")
TODAY = datetime.datetime(2026, 7, 10, 10, 0, tzinfo=datetime.UTC)
API = "/api/v1"


# (user, GET ledger, GET item of a, POST claim on a's item)
MATRIX = [
    ("admin", 200, 200, 200),
    ("committee", 200, 200, 403),
    ("secretary_a", 200, 200, 200),
    ("secretary_b", 404, 404, 404),
    ("other_committee", 404, 404, 404),
    ("member_a", 404, 404, 404),
    ("outsider", 404, 404, 404),
]


@pytest.mark.parametrize("user,ledger_status,item_status,claim_status", MATRIX)
def test_permission_matrix(cast, api_for, ledger, item, user, ledger_status, item_status, claim_status):
    api = api_for(getattr(cast, user))
    assert api.get(f"{API}/rectification-ledgers/{ledger.pk}/").status_code == ledger_status
    assert api.get(f"{API}/rectification-items/{item.pk}/").status_code == item_status
    assert api.post(f"{API}/rectification-items/{item.pk}/claim/").status_code == claim_status


def test_anonymous_requests_are_refused(api_for, ledger):
    assert api_for(None).get(f"{API}/rectification-ledgers/").status_code in (401, 403)


@time_machine.travel(TODAY)
def test_cycle_through_the_api(cast, api_for, ledger):
    committee, secretary = api_for(cast.committee), api_for(cast.secretary_a)
    response = committee.post(
        f"{API}/rectification-items/",
        {
            "ledger": ledger.pk,
            "problem": "党员活动室管理混乱",
            "category": "阵地建设",
            "measures": ["制定管理制度", "每周检查"],
            "units": [cast.a.pk],
            "lead_person": cast.sec_a.pk,
            "responsible_people": [cast.mem_a.pk],
            "deadline": "2026-08-15",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["measure_list"] == ["制定管理制度", "每周检查"]
    assert response.json()["unit_list"] == [{"id": cast.a.pk, "name": "甲党支部"}]
    assert secretary.get(f"{API}/rectification-items/{pk}/allowed-actions/").json() == {"actions": ["claim"]}
    assert secretary.post(f"{API}/rectification-items/{pk}/claim/").json()["status"] == "claimed"
    response = secretary.post(
        f"{API}/rectification-updates/",
        {"item": pk, "text": "已制定管理制度", "files": [SimpleUploadedFile("制度.pdf", b"%PDF-1.4")]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["evidence"][0]["name"] == "制度.pdf"
    bad = secretary.post(
        f"{API}/rectification-updates/",
        {"item": pk, "text": "x", "files": [SimpleUploadedFile("a.exe", b"MZ")]},
        format="multipart",
    )
    assert bad.status_code == 400 and "a.exe" in str(bad.json()["files"])
    assert committee.post(f"{API}/rectification-items/{pk}/verify/").status_code == 400  # not requested yet
    assert (
        secretary.post(f"{API}/rectification-items/{pk}/request-closeout/", {"reason": "完成"}).status_code
        == 200
    )
    assert secretary.post(f"{API}/rectification-items/{pk}/verify/").status_code == 403
    response = committee.post(f"{API}/rectification-items/{pk}/return/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()
    assert (
        committee.post(f"{API}/rectification-items/{pk}/return/", {"reason": "材料不全"}).json()["status"]
        == "in_progress"
    )
    secretary.post(f"{API}/rectification-items/{pk}/request-closeout/")
    response = committee.post(f"{API}/rectification-items/{pk}/verify/", {"reason": "通过"})
    assert response.json()["status"] == "closed" and response.json()["status_display"] == "已销号"


def test_foreign_ids_in_a_body_are_rejected_like_missing_ones(cast, api_for, ledger):
    other = api_for(cast.other_committee)
    response = other.post(
        f"{API}/rectification-items/",
        {
            "ledger": ledger.pk,
            "problem": "x",
            "measures": ["y"],
            "units": [cast.d.pk],
            "deadline": "2026-07-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "ledger" in response.json()
    response = api_for(cast.committee).post(
        f"{API}/rectification-items/",
        {
            "ledger": ledger.pk,
            "problem": "x",
            "measures": ["y"],
            "units": [cast.d.pk],
            "deadline": "2026-07-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "units" in response.json()


def test_ledger_create_and_filters(cast, api_for, ledger, make_item):
    api = api_for(cast.committee)
    response = api.post(
        f"{API}/rectification-ledgers/",
        {
            "issuer": cast.c1.pk,
            "source": "superior_feedback",
            "title": "上级反馈问题",
            "issued_on": "2026-05-01",
            "deadline": "2026-04-01",
        },
    )
    assert response.status_code == 400 and "deadline" in response.json()
    assert api_for(cast.secretary_a).post(
        f"{API}/rectification-ledgers/",
        {"issuer": cast.c1.pk, "source": "other", "title": "t", "deadline": "2027-01-01"},
    ).status_code in (400, 403)
    make_item(ledger, cast.b, problem="乙的问题")
    make_item(ledger, cast.a)
    rows = api.get(f"{API}/rectification-items/", {"unit": cast.b.pk}).json()["results"]
    assert [r["problem"] for r in rows] == ["乙的问题"]
    listed = api_for(cast.secretary_b).get(f"{API}/rectification-ledgers/").json()["results"]
    assert [(r["id"], r["item_total"]) for r in listed] == [(ledger.pk, 1)]  # counts of visible items


def test_anonymous_suggestion_returns_the_code_once(cast, api_for):
    api = api_for(cast.member_a)
    response = api.post(
        f"{API}/suggestions/", {"recipient": cast.a.pk, "subject": "建议", "body": "内容", "anonymous": True}
    )
    assert response.status_code == 201, response.json()
    code = response.json()["receipt_code"]
    assert code and response.json()["author_name"] is None
    assert Suggestion.objects.get().author is None
    assert api.get(f"{API}/suggestions/").json()["results"] == []  # not linked to the author
    secretary = api_for(cast.secretary_a)
    row = secretary.get(f"{API}/suggestions/").json()["results"][0]
    assert row["receipt_code"] is None and row["answered"] is False
    assert (
        secretary.post(f"{API}/suggestion-replies/", {"suggestion": row["id"], "body": "收到"}).status_code
        == 201
    )
    assert secretary.get(f"{API}/suggestions/").json()["results"][0]["answered"] is True
    assert (
        api_for(cast.secretary_b)
        .post(f"{API}/suggestion-replies/", {"suggestion": row["id"], "body": "x"})
        .status_code
        == 400
    )
    assert services.suggestion_by_receipt(code).pk == row["id"]


def _count(api, url):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    "endpoint",
    [
        "rectification-ledgers",
        "rectification-items",
        "rectification-updates",
        "suggestions",
        "suggestion-replies",
    ],
)
@pytest.mark.parametrize("user", ["committee", "secretary_a"])
def test_list_endpoints_query_count_is_the_same_for_1_and_50_rows(cast, api_for, endpoint, user):
    api = api_for(getattr(cast, user))
    counts = []
    for n in (1, 50):
        Ledger.objects.all().delete()
        Suggestion.objects.all().delete()
        for i in range(n):
            ledger = services.ledger_create(
                user=cast.committee,
                issuer=cast.c1,
                source="other",
                title=f"台账{i}",
                deadline=datetime.date(2026, 12, 31),
            )
            item = services.item_create(
                user=cast.committee,
                ledger=ledger,
                problem=f"问题{i}",
                units=[cast.a],
                measures=["m1", "m2"],
                responsible_people=[cast.mem_a],
                lead_person=cast.sec_a,
                deadline=datetime.date(2026, 8, 1),
            )
            services.item_claim(user=cast.secretary_a, item=item)
            services.item_progress_add(
                user=cast.secretary_a, item=item, text="p", files=[SimpleUploadedFile("a.pdf", b"%PDF")]
            )
            s, _ = services.suggestion_submit(user=cast.member_a, recipient=cast.a, subject=f"s{i}", body="b")
            services.suggestion_reply(user=cast.secretary_a, suggestion=s, body="r")
            services.suggestion_convert(
                user=cast.secretary_a,
                suggestion=s,
                units=[cast.a],
                deadline=datetime.date(2026, 8, 1),
                measures=["x"],
            ) if i == 0 else None
        queries, rows = _count(api, f"{API}/{endpoint}/")
        assert rows >= n
        counts.append(queries)
    assert counts[0] == counts[1], counts
    assert Item.objects.exists() and ProgressUpdate.objects.exists() and SuggestionReply.objects.exists()
