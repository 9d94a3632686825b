"""The item form's pickers: the page renders only what is chosen (its size and query count stay the
same for 1 and 50 organisations, members and meetings); the searches find a few matches among the
field's choices that the user may see (a sibling committee's never), in a fixed number of queries;
the posted ids are still validated on the server; without JavaScript 搜索 posts the form back with
the matches to tick."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Organization
from meetings.models import Meeting
from rectifications import services
from rectifications.models import Item

from ..conftest import make_member

pytestmark = pytest.mark.usefixtures("media_root")


def grow(cast, start, stop):
    """Branches under c1, members of a and meetings of a, numbered start..stop-1."""
    c1 = Organization.objects.get(pk=cast.c1.pk)
    for i in range(start, stop):
        c1.add_child(name=f"新建第{i}党支部", kind="branch", field="organ", code=f"NEW-{i:03}")
        c1.refresh_from_db()
        make_member(cast.a, f"新党员{i}")
        Meeting.objects.create(
            organization=cast.a, kind="study", topic=f"专题学习会{i}", held_on=datetime.date(2026, 1, 1)
        )


def measure(client, method, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    return response, len(queries)


def pick(client, ledger, field, text="", **params):
    url = reverse("rectifications:ledger_pick", args=[ledger.pk, field])
    return client.get(url, {f"{field}_q": text, **params})


def test_form_page_size_and_queries_do_not_grow_with_the_subtree(cast, client_for, ledger):
    # ledger's source is 巡察: the form has 来源会议 too.
    client = client_for(cast.committee)
    url = reverse("rectifications:item_create", args=[ledger.pk])
    posted = {"problem": "x", "units": [cast.c1.pk], "lead_person": cast.sec_a.pk}
    grow(cast, 0, 1)
    page_1, queries_1 = measure(client, "get", url)
    post_1, post_queries_1 = measure(client, "post", url, posted)
    grow(cast, 1, 50)
    page_50, queries_50 = measure(client, "get", url)
    post_50, post_queries_50 = measure(client, "post", url, posted)
    assert queries_1 == queries_50 and post_queries_1 == post_queries_50
    # The page grows by at most the digits of the new ids, not by a line per row.
    assert abs(len(page_50.content) - len(page_1.content)) < 200
    assert abs(len(post_50.content) - len(post_1.content)) < 200
    body = page_50.content.decode() + post_50.content.decode()
    for name in ("新建第0党支部", "新建第49党支部", "新党员0", "新党员49", "专题学习会49"):
        assert name not in body
    # What was chosen is shown (as a chip), and stays chosen.
    chosen = post_50.content.decode()
    assert f'name="units" value="{cast.c1.pk}" checked' in chosen
    assert f'name="lead_person" value="{cast.sec_a.pk}" checked' in chosen


@pytest.mark.parametrize("field", ["units", "responsible_people", "source_meeting"])
def test_search_queries_are_the_same_for_1_and_50_matches(cast, client_for, ledger, field):
    client = client_for(cast.committee)
    text = {"units": "新建", "responsible_people": "新党员", "source_meeting": "专题学习"}[field]
    grow(cast, 0, 1)
    url = reverse("rectifications:ledger_pick", args=[ledger.pk, field])
    params = {f"{field}_q": text, "units": [cast.a.pk]}
    one, queries_1 = measure(client, "get", url, params)
    grow(cast, 1, 50)
    many, queries_50 = measure(client, "get", url, params)
    assert queries_1 == queries_50
    assert one.content.decode().count("data-picker-result") == 1
    assert many.content.decode().count("data-picker-result") == 20
    assert "只显示前 20 条" in many.content.decode() and "只显示前" not in one.content.decode()


def test_units_by_name_or_code_and_the_direct_children_first(cast, client_for, ledger):
    client = client_for(cast.committee)
    Organization.objects.filter(pk=cast.b.pk).update(code="JC-B-01")
    body = pick(client, ledger, "units", "甲").content.decode()
    assert "甲党支部" in body and "乙党支部" not in body
    assert "甲第一党小组" not in body  # a committee does not hand items to party groups
    assert "乙党支部" in pick(client, ledger, "units", "jc-b").content.decode()
    # No text: the issuer and its direct children, in tree order.
    body = pick(client, ledger, "units").content.decode()
    assert body.index("第一机关党委") < body.index("甲党支部") < body.index("乙党支部")
    assert 'type="checkbox" name="units"' in body


def test_people_among_the_chosen_units_with_their_branch(cast, client_for, ledger):
    client = client_for(cast.committee)
    body = pick(client, ledger, "lead_person", units=[cast.a.pk]).content.decode()
    assert "甲书记" in body and "甲党员" in body and "乙书记" not in body
    assert 'type="radio" name="lead_person"' in body and "甲党支部" in body
    assert "甲书记" in pick(client, ledger, "lead_person", "jsj", units=[cast.a.pk]).content.decode()
    both = pick(client, ledger, "responsible_people", units=[cast.a.pk, cast.b.pk]).content.decode()
    assert "甲书记" in both and "乙书记" in both
    # No unit chosen: nobody.
    assert "data-picker-result" not in pick(client, ledger, "lead_person").content.decode()


def test_meetings_by_topic_date_or_organisation_newest_first(cast, client_for, ledger):
    client = client_for(cast.committee)
    Meeting.objects.create(
        organization=cast.a, kind="study", topic="三月学习", held_on=datetime.date(2026, 3, 5)
    )
    Meeting.objects.create(
        organization=cast.b, kind="study", topic="五月学习", held_on=datetime.date(2026, 5, 9)
    )
    body = pick(client, ledger, "source_meeting", "学习").content.decode()
    assert body.index("2026-05-09 五月学习") < body.index("2026-03-05 三月学习")
    assert "乙党支部" in body  # the organisation beside
    by_month = pick(client, ledger, "source_meeting", "2026-03").content.decode()
    assert "三月学习" in by_month and "五月学习" not in by_month
    by_org = pick(client, ledger, "source_meeting", "乙党支部").content.decode()
    assert "五月学习" in by_org and "三月学习" not in by_org


def test_a_sibling_committees_units_members_and_meetings_never_appear(cast, client_for, ledger, item):
    Meeting.objects.create(
        organization=cast.d, kind="study", topic="丁支部学习", held_on=datetime.date(2026, 3, 5)
    )
    client = client_for(cast.committee)
    assert "丁党支部" not in pick(client, ledger, "units", "党支部").content.decode()
    # A foreign unit sent along is ignored: its members are not among the choices.
    body = pick(client, ledger, "lead_person", "丁", units=[cast.d.pk]).content.decode()
    assert "丁党员" not in body
    assert "丁支部学习" not in pick(client, ledger, "source_meeting", "学习").content.decode()
    # The other committee cannot reach the ledger at all; branch a's secretary sees it (their
    # item) but cannot issue for c1.
    assert pick(client_for(cast.other_committee), ledger, "units", "甲").status_code == 404
    assert pick(client_for(cast.secretary_a), ledger, "units", "甲").status_code == 403
    assert pick(client_for(cast.committee), ledger, "problem").status_code == 404


def test_a_branch_issuer_searches_its_own_branch_and_party_groups(cast, client_for):
    ledger = services.ledger_create(
        user=cast.secretary_a,
        issuer=cast.a,
        source="democratic_appraisal",
        title="甲支部民主评议问题整改",
        issued_on=datetime.date(2026, 3, 1),
        deadline=datetime.date(2026, 8, 31),
    )
    client = client_for(cast.secretary_a)
    body = pick(client, ledger, "units").content.decode()
    assert "甲党支部" in body and "甲第一党小组" in body and "乙党支部" not in body
    # 民主评议对象: among the chosen units' members, like the people pickers.
    body = pick(client, ledger, "source_member", "甲党员", units=[cast.a.pk]).content.decode()
    assert f'type="radio" name="source_member" value="{cast.mem_a.pk}"' in body
    assert pick(client, ledger, "source_meeting").status_code == 404  # no 来源会议 for this source


def test_posted_ids_are_validated_on_the_server(cast, client_for, ledger):
    Meeting.objects.create(
        organization=cast.d, kind="study", topic="丁支部学习", held_on=datetime.date(2026, 3, 5)
    )
    foreign_meeting = Meeting.objects.get(topic="丁支部学习")
    client = client_for(cast.committee)
    url = reverse("rectifications:item_create", args=[ledger.pk])
    base = {"problem": "p", "measures": "m", "deadline": "2026-06-30", "resolution_level": "timetabled"}

    def errors_for(**fields):
        response = client.post(url, {**base, **fields})
        assert response.status_code == 200
        return response.context["form"].errors

    assert "units" in errors_for(units=[cast.d.pk])  # another committee's branch
    assert "units" in errors_for(units=[cast.a.pk, cast.a_group.pk])  # a party group
    assert "units" in errors_for(units=["abc"])
    assert "lead_person" in errors_for(units=[cast.a.pk], lead_person=cast.sec_b.pk)  # not in a
    assert "responsible_people" in errors_for(units=[cast.a.pk], responsible_people=[cast.sec_b.pk])
    assert "source_meeting" in errors_for(units=[cast.a.pk], source_meeting=foreign_meeting.pk)
    page = client.post(url, {**base, "units": [cast.d.pk]}).content.decode()
    assert "责任单位" in page and "invalid-feedback" in page
    assert not Item.objects.exists()
    response = client.post(
        url,
        {**base, "units": [cast.a.pk], "lead_person": cast.sec_a.pk, "responsible_people": [cast.mem_a.pk]},
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert list(item.units.all()) == [cast.a] and item.lead_person == cast.sec_a


def test_without_javascript_search_posts_back_with_matches_to_tick(cast, client_for, ledger):
    client = client_for(cast.committee)
    url = reverse("rectifications:item_create", args=[ledger.pk])
    response = client.post(
        url,
        {
            "problem": "值班脱岗",
            "units": [cast.a.pk],
            "units_q": "乙",
            "responsible_people_q": "甲",
            "_search": "units",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and not Item.objects.exists()
    assert "值班脱岗" in body and "invalid-feedback" not in body  # kept, not judged yet
    assert f'name="units" value="{cast.a.pk}" checked' in body  # chosen stays chosen
    assert f'name="units" value="{cast.b.pk}" data-label="乙党支部"' in body  # a match to tick
    # The people search typed in ran too, among the chosen unit's members.
    assert f'name="responsible_people" value="{cast.sec_a.pk}" data-label="甲书记（甲党支部）"' in body


def test_people_refresh_drops_people_outside_the_units(cast, client_for, ledger):
    client = client_for(cast.committee)
    url = reverse("rectifications:item_people", args=[ledger.pk])
    body = client.get(url, {"units": [cast.a.pk], "responsible_people": [cast.sec_a.pk, cast.sec_b.pk]})
    body = body.content.decode()
    assert f'value="{cast.sec_a.pk}" checked' in body and "乙书记" not in body
    assert "invalid-feedback" not in body


def test_suggestion_conversion_picks_units_and_validates_them(cast, client_for):
    suggestion, _ = services.suggestion_submit(user=cast.member_a, recipient=cast.c1, subject="s", body="b")
    url = reverse("rectifications:suggestion_pick_units", args=[suggestion.pk])
    client = client_for(cast.committee)
    body = client.get(url, {"units_q": "党支部"}).content.decode()
    assert "甲党支部" in body and "乙党支部" in body and "丁党支部" not in body
    assert client_for(cast.other_committee).get(url).status_code == 404
    assert client_for(cast.member_a).get(url).status_code == 403
    client = client_for(cast.committee)
    detail = client.get(reverse("rectifications:suggestion", args=[suggestion.pk])).content.decode()
    assert "丁党支部" not in detail and f'name="units" value="{cast.c1.pk}" checked' in detail
    convert = reverse("rectifications:suggestion_convert", args=[suggestion.pk])
    posted = {"problem": "p", "measures": "m", "deadline": "2026-09-30"}
    response = client.post(convert, {**posted, "units": [cast.d.pk]})
    assert response.status_code == 400 and "units" in response.context["convert_form"].errors
    response = client.post(convert, {**posted, "units": [cast.a.pk], "units_q": "乙", "_search": "units"})
    assert response.status_code == 200 and not Item.objects.exists()
    assert f'name="units" value="{cast.b.pk}" data-label="乙党支部"' in response.content.decode()
