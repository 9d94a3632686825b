"""Rectification pages as their users see them: the permission matrix (roles × own subtree ×
sibling), the paper layout with its filters, the item page's actions, and query counts that stay
the same for 1 and 50 rows on every list page."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectifications import selectors, services
from rectifications.models import Item, ItemStatus, Measure, Suggestion

pytestmark = pytest.mark.usefixtures("media_root")
TODAY = datetime.datetime(2026, 7, 10, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def b_item(ledger, make_item, cast):
    return make_item(ledger, cast.b, problem="乙支部的问题")


# (user, ledger page, item of a, item of b, add item, ledger list shows the ledger)
MATRIX = [
    ("admin", 200, 200, 200, 200),
    ("committee", 200, 200, 200, 200),
    ("secretary_a", 200, 200, 404, 403),
    ("secretary_b", 200, 404, 200, 403),
    ("other_committee", 404, 404, 404, 404),
    ("member_a", 404, 404, 404, 404),
    ("outsider", 404, 404, 404, 404),
]


@pytest.mark.parametrize("user,ledger_page,a_page,b_page,add", MATRIX)
def test_permission_matrix(cast, client_for, ledger, item, b_item, user, ledger_page, a_page, b_page, add):
    client = client_for(getattr(cast, user))
    assert client.get(reverse("rectifications:ledger", args=[ledger.pk])).status_code == ledger_page
    assert client.get(reverse("rectifications:item", args=[item.pk])).status_code == a_page
    assert client.get(reverse("rectifications:item", args=[b_item.pk])).status_code == b_page
    assert client.get(reverse("rectifications:item_create", args=[ledger.pk])).status_code == add
    listed = ledger.title in client.get(reverse("rectifications:ledgers")).content.decode()
    assert listed == (ledger_page == 200)


def test_a_branch_sees_only_its_items_in_the_committees_ledger(cast, client_for, ledger, item, b_item):
    body = (
        client_for(cast.secretary_a).get(reverse("rectifications:ledger", args=[ledger.pk])).content.decode()
    )
    assert "三会一课记录不规范" in body and "乙支部的问题" not in body
    body = client_for(cast.committee).get(reverse("rectifications:ledger", args=[ledger.pk])).content.decode()
    assert "三会一课记录不规范" in body and "乙支部的问题" in body
    for header in ("序号", "问题", "整改措施", "责任人", "责任单位", "整改时限", "推进情况", "状态"):
        assert f">{header}<" in body


@time_machine.travel(TODAY)
def test_filters_status_overdue_unit_category(cast, client_for, ledger, make_item):
    make_item(ledger, cast.a, problem="甲-逾期", deadline=datetime.date(2026, 7, 1))
    make_item(ledger, cast.b, problem="乙-未到期", category="作风建设", deadline=datetime.date(2026, 8, 1))
    claimed = make_item(ledger, cast.b, problem="乙-已认领", deadline=datetime.date(2026, 8, 1))
    services.item_claim(user=cast.secretary_b, item=claimed)
    client = client_for(cast.committee)
    url = reverse("rectifications:ledger", args=[ledger.pk])

    def shown(**params):
        body = client.get(url, params).content.decode()
        return {p for p in ("甲-逾期", "乙-未到期", "乙-已认领") if p in body}

    assert shown() == {"甲-逾期", "乙-未到期", "乙-已认领"}
    assert shown(overdue="1") == {"甲-逾期"}
    assert shown(unit=cast.b.pk) == {"乙-未到期", "乙-已认领"}
    assert shown(category="作风建设") == {"乙-未到期"}
    assert shown(status="claimed") == {"乙-已认领"}
    overdue = client.get(reverse("rectifications:overdue")).content.decode()
    assert "甲-逾期" in overdue and "乙-未到期" not in overdue and "逾期9天" in overdue


@pytest.mark.parametrize("walk_from", [1, 10_000])  # the subtree walk, the plain semi-join
def test_the_unit_filter_lists_the_ledgers_units_in_path_order(
    cast, client_for, ledger, make_item, monkeypatch, walk_from
):
    """Whichever way the units are found (selectors.filter_units), the 责任单位 filter offers the
    units of the ledger's items that the viewer sees, in path order, each once, at most 300."""
    monkeypatch.setattr(selectors, "WALK_FROM_ITEMS", walk_from)
    make_item(ledger, cast.b, problem="乙的问题")
    make_item(ledger, cast.a, problem="甲的问题")
    make_item(ledger, cast.a, problem="甲的第二个问题", units=[cast.a, cast.b])
    other = services.ledger_create(
        user=cast.committee,
        issuer=cast.c1,
        source="inspection",
        title="另一本台账",
        issued_on=datetime.date(2026, 3, 1),
        deadline=datetime.date(2026, 8, 31),
    )
    make_item(other, cast.a_group, problem="别的台账的问题")
    url = reverse("rectifications:ledger", args=[ledger.pk])

    def units(user):
        return client_for(user).get(url).context["form"].fields["unit"].choices[1:]

    assert units(cast.committee) == [(cast.a.pk, "甲党支部"), (cast.b.pk, "乙党支部")]
    # 甲's secretary sees 甲's items; the item shared with 乙 brings 乙 along as its other unit.
    assert units(cast.secretary_a) == [(cast.a.pk, "甲党支部"), (cast.b.pk, "乙党支部")]
    items = Item.objects.filter(ledger=ledger)
    assert selectors.filter_units(items, ledger=ledger, total=3, limit=1) == [(cast.a.pk, "甲党支部")]
    # 乙 moves to the other committee: its items stay in this ledger, and so does it in the filter.
    from branches.services import organization_move

    organization_move(user=cast.admin, org=cast.b, new_parent=cast.c2)
    assert units(cast.committee) == [(cast.a.pk, "甲党支部"), (cast.b.pk, "乙党支部")]


@time_machine.travel(TODAY)
def test_item_page_offers_each_viewer_their_actions(cast, client_for, item):
    def actions(user):
        response = client_for(user).get(reverse("rectifications:item", args=[item.pk]))
        return set(response.context["actions"])

    assert actions(cast.secretary_a) == {"claim"}
    assert actions(cast.committee) == set()
    client = client_for(cast.secretary_a)
    client.post(reverse("rectifications:item_action", args=[item.pk, "claim"]))
    assert actions(cast.secretary_a) == {"progress"}
    response = client.post(
        reverse("rectifications:item_action", args=[item.pk, "progress"]), {"on": "2026-07-10", "text": ""}
    )
    assert response.status_code == 400 and "请填写推进情况" in response.content.decode()
    client.post(
        reverse("rectifications:item_action", args=[item.pk, "progress"]),
        {"on": "2026-07-10", "text": "已整改完毕"},
    )
    assert actions(cast.secretary_a) == {"progress", "request_closeout"}
    client.post(
        reverse("rectifications:item_action", args=[item.pk, "request_closeout"]), {"summary": "完成"}
    )
    assert actions(cast.secretary_a) == set()
    assert actions(cast.committee) == {"verify", "return"}
    committee = client_for(cast.committee)
    response = committee.post(reverse("rectifications:item_action", args=[item.pk, "return"]), {"reason": ""})
    assert response.status_code == 400 and "请填写退回理由" in response.content.decode()
    committee.post(reverse("rectifications:item_action", args=[item.pk, "verify"]), {"comment": "通过"})
    page = committee.get(reverse("rectifications:item", args=[item.pk])).content.decode()
    assert "已销号" in page and "验收销号" in page and "已整改完毕" in page  # timeline


def test_branch_forging_a_verify_post_is_refused(cast, client_for, item):
    services.item_claim(user=cast.secretary_a, item=item)
    services.item_progress_add(user=cast.secretary_a, item=item, text="x")
    services.item_request_closeout(user=cast.secretary_a, item=item)
    response = client_for(cast.secretary_a).post(
        reverse("rectifications:item_action", args=[item.pk, "verify"]), {}
    )
    assert response.status_code == 403
    assert Item.objects.get(pk=item.pk).status == ItemStatus.CLOSEOUT_REQUESTED
    response = client_for(cast.secretary_b).post(
        reverse("rectifications:item_action", args=[item.pk, "claim"])
    )
    assert response.status_code == 404


def test_committee_creates_ledger_and_item_through_the_forms(cast, client_for):
    client = client_for(cast.committee)
    response = client.post(
        reverse("rectifications:ledger_create"),
        {
            "issuer": cast.c1.pk,
            "source": "unannounced_visit",
            "title": "明察暗访问题台账",
            "issued_on": "2026-03-01",
            "deadline": "2026-02-01",
        },
    )
    assert response.status_code == 200 and "不能早于下达日期" in response.content.decode()
    client.post(
        reverse("rectifications:ledger_create"),
        {
            "issuer": cast.c1.pk,
            "source": "unannounced_visit",
            "title": "明察暗访问题台账",
            "issued_on": "2026-03-01",
            "deadline": "2026-08-31",
        },
    )
    from rectifications.models import Ledger

    ledger = Ledger.objects.get(title="明察暗访问题台账")
    people = client.get(
        reverse("rectifications:ledger_pick", args=[ledger.pk, "lead_person"]), {"units": [cast.a.pk]}
    )
    assert "甲书记" in people.content.decode() and "乙书记" not in people.content.decode()
    response = client.post(
        reverse("rectifications:item_create", args=[ledger.pk]),
        {
            "problem": "值班制度落实不到位",
            "category": "作风建设",
            "measures": "完善值班表\n\n每周抽查",
            "units": [cast.a.pk],
            "lead_person": cast.sec_a.pk,
            "responsible_people": [cast.mem_a.pk],
            "deadline": "2026-09-30",
            "resolution_level": "timetabled",
        },
    )
    assert response.status_code == 200 and "请说明理由" in response.content.decode()
    client.post(
        reverse("rectifications:item_create", args=[ledger.pk]),
        {
            "problem": "值班制度落实不到位",
            "measures": "完善值班表\n\n每周抽查",
            "units": [cast.a.pk],
            "lead_person": cast.sec_a.pk,
            "responsible_people": [cast.mem_a.pk],
            "deadline": "2026-08-31",
            "resolution_level": "immediate",
        },
    )
    item = Item.objects.get()
    assert list(Measure.objects.filter(item=item).values_list("text", flat=True)) == [
        "完善值班表",
        "每周抽查",
    ]
    assert item.lead_person == cast.sec_a and list(item.responsible_people.all()) == [cast.mem_a]
    # The responsible member finds it under 我的整改事项.
    body = client_for(cast.member_a).get(reverse("rectifications:mine")).content.decode()
    assert "值班制度落实不到位" in body


@time_machine.travel(TODAY)
def test_overdue_items_escalate_on_the_issuers_page(cast, client_for, ledger, make_item):
    make_item(ledger, cast.a, problem="逾期未改的问题", deadline=datetime.date(2026, 7, 1))
    body = client_for(cast.committee).get(reverse("orgs:detail", args=[cast.c1.pk])).content.decode()
    assert "rect-escalation" in body and "逾期未改的问题" in body
    body = client_for(cast.secretary_a).get(reverse("orgs:detail", args=[cast.a.pk])).content.decode()
    assert "rect-escalation" not in body  # escalated upward, to the issuer


# ---------------------------------------------------------------------------------------------
# Query counts: 1 row and 50 rows cost the same on every list page.
# ---------------------------------------------------------------------------------------------


def _fill_items(cast, ledger, n):
    Item.objects.all().delete()
    for i in range(n):
        unit = cast.a if i % 2 == 0 else cast.b
        item = services.item_create(
            user=cast.committee,
            ledger=ledger,
            problem=f"问题{i}",
            category=f"类别{i % 3}",
            units=[unit],
            measures=["措施一", "措施二"],
            lead_person=cast.sec_a if unit == cast.a else cast.sec_b,
            responsible_people=[cast.mem_a] if unit == cast.a else [],
            deadline=datetime.date(2026, 7, 1),
        )
        if i % 3 == 0:
            services.item_claim(user=cast.admin, item=item)
            services.item_progress_add(user=cast.admin, item=item, text="进展")


def _counts(client, url, fill):
    counts = []
    for n in (1, 50):
        fill(n)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts


LIST_PAGES = [
    (page, user)
    for page in ("ledger", "items", "overdue", "mine")
    for user in ("committee", "secretary_a", "member_a")
    if not (page == "ledger" and user == "member_a")  # a member reaches items through 'mine'
]


@time_machine.travel(TODAY)
@pytest.mark.parametrize("page,user", LIST_PAGES)
def test_list_pages_query_count_is_the_same_for_1_and_50_rows(cast, client_for, ledger, page, user):
    url = (
        reverse("rectifications:ledger", args=[ledger.pk])
        if page == "ledger"
        else reverse(f"rectifications:{page}")
    )
    counts = _counts(client_for(getattr(cast, user)), url, lambda n: _fill_items(cast, ledger, n))
    assert counts[0] == counts[1], counts


def test_ledger_list_query_count_is_the_same_for_1_and_50_ledgers(cast, client_for):
    from rectifications.models import Ledger

    def fill(n):
        Ledger.objects.all().delete()
        for i in range(n):
            ledger = services.ledger_create(
                user=cast.committee,
                issuer=cast.c1,
                source="other",
                title=f"台账{i}",
                deadline=datetime.date(2030, 1, 1),
            )
            services.item_create(
                user=cast.committee,
                ledger=ledger,
                problem="p",
                units=[cast.a],
                measures=["m"],
                deadline=datetime.date(2029, 1, 1),
            )

    for user in (cast.committee, cast.secretary_a):
        counts = _counts(client_for(user), reverse("rectifications:ledgers"), fill)
        assert counts[0] == counts[1], counts


def test_suggestion_list_query_count_is_the_same_for_1_and_50(cast, client_for):
    def fill(n):
        Suggestion.objects.all().delete()
        for i in range(n):
            s, _ = services.suggestion_submit(
                user=cast.member_a, recipient=cast.a, subject=f"意见{i}", body="b", anonymous=i % 2 == 1
            )
            if i % 3 == 0:
                services.suggestion_reply(user=cast.secretary_a, suggestion=s, body="r")

    for user in (cast.secretary_a, cast.committee, cast.member_a):
        counts = _counts(client_for(user), reverse("rectifications:suggestions"), fill)
        assert counts[0] == counts[1], counts


def test_item_links_to_its_source_meeting(cast, client_for, make_item):
    from django.core.exceptions import ValidationError

    from meetings.models import Meeting

    own = services.ledger_create(
        user=cast.secretary_a,
        issuer=cast.a,
        source="life_review",
        title="组织生活会检视问题清单",
        deadline=datetime.date(2030, 1, 1),
    )
    meeting = Meeting.objects.create(organization=cast.a, kind="org_life", topic="年度组织生活会")
    item = make_item(own, cast.a, source_meeting=meeting, deadline=datetime.date(2029, 1, 1))
    body = client_for(cast.secretary_a).get(reverse("rectifications:item", args=[item.pk])).content.decode()
    assert reverse("meetings:detail", args=[meeting.pk]) in body and "年度组织生活会" in body
    foreign = Meeting.objects.create(organization=cast.b, kind="org_life", topic="乙支部的会")
    with pytest.raises(ValidationError) as exc:
        make_item(own, cast.a, source_meeting=foreign, deadline=datetime.date(2029, 1, 1))
    assert "source_meeting" in exc.value.message_dict


@pytest.mark.parametrize("user", ["admin", "committee", "secretary_a", "secretary_b", "member_a"])
def test_the_items_of_a_ledger_are_the_visible_ones(cast, ledger, make_item, user):
    """Item.objects.in_ledger skips the semi-join for whoever may edit the issuer; it must give
    exactly what visible_to gives, for every kind of user."""
    from members.models import Member
    from rectifications.models import Item

    make_item(ledger)
    make_item(ledger, unit=cast.b)
    mine = make_item(ledger, unit=cast.b)
    mine.responsible_people.set([Member.objects.get(user=cast.member_a)])
    make_item(ledger, unit=cast.c1)
    who = getattr(cast, user)
    expected = set(Item.objects.visible_to(who).filter(ledger=ledger).values_list("pk", flat=True))
    assert set(Item.objects.in_ledger(ledger, who).values_list("pk", flat=True)) == expected


@time_machine.travel(TODAY)
def test_the_ledger_page_counts_its_items_once(cast, client_for, ledger, make_item):
    """Unfiltered, the paginator takes the total from the ledger's aggregate; filtered, it counts."""
    for _ in range(3):
        make_item(ledger)
    client = client_for(cast.committee)
    url = reverse("rectifications:ledger", args=[ledger.pk])
    with CaptureQueriesContext(connection) as plain:
        page = client.get(url).context["page"]
    assert page.paginator.count == 3
    assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in plain.captured_queries)
    with CaptureQueriesContext(connection) as filtered:
        page = client.get(url, {"status": "closed"}).context["page"]
    assert page.paginator.count == 0
    assert sum(q["sql"].startswith("SELECT COUNT(*)") for q in filtered.captured_queries) == 1


@pytest.mark.parametrize("value", ["", "open", '<&">', None])
def test_the_filter_select_is_written_as_the_select_template_writes_it(value):
    from django import forms

    from branches.widgets import ListSelect

    choices = [("", "全部"), ("open", "待认领"), ('<&">', "<b>&\"'"), (7, 7)]
    for attrs in ({}, {"aria-label": "状态 <", "class": "x&y", "disabled": True, "hidden": False}):

        class Form(forms.Form):
            plain = forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs=attrs))
            listed = forms.ChoiceField(choices=choices, required=False, widget=ListSelect(attrs=attrs))

        form = Form({"plain": value, "listed": value} if value is not None else None)
        assert str(form["listed"]) == str(form["plain"]).replace("plain", "listed")


@time_machine.travel(TODAY)
def test_the_paper_layout_row_shows_people_progress_and_badges(cast, client_for, ledger, make_item):
    from tests.conftest import make_member

    lead, other = make_member(cast.a, "李<四>"), make_member(cast.a, "王&五")
    item = make_item(
        ledger,
        cast.a,
        problem="问" * 130,
        category="作风<建设>",
        lead_person=lead,
        responsible_people=[lead, other],
    )
    services.item_claim(user=cast.secretary_a, item=item)
    item = Item.objects.get(pk=item.pk)
    services.item_progress_add(
        user=cast.secretary_a, item=item, text="已整改<一半>", on=datetime.date(2026, 7, 2)
    )
    services.item_request_closeout(user=cast.secretary_a, item=Item.objects.get(pk=item.pk), summary="完成")
    services.item_return(user=cast.committee, item=Item.objects.get(pk=item.pk), reason="材料不全")
    body = client_for(cast.committee).get(reverse("rectifications:ledger", args=[ledger.pk])).content.decode()
    assert '<span class="badge text-bg-light">作风&lt;建设&gt;</span>' in body
    link = f'<a href="{reverse("rectifications:item", args=[item.pk])}">{"问" * 100}'
    assert link in body and "问" * 121 not in body  # truncatechars:120
    assert '<div><span class="text-secondary">总负责人</span> 李&lt;四&gt;</div>王&amp;五</td>' in body
    assert '<div class="text-secondary">2026-07-02</div>已整改&lt;一半&gt;' in body
    assert (  # the fixture's deadline: 2026-06-30
        'data-testid="item-status">整改中</span> <span class="badge text-bg-danger" data-testid="overdue">'
        '逾期10天</span> <span class="badge text-bg-warning">被退回</span>'
    ) in body


@time_machine.travel(TODAY)
def test_a_ledgers_summary_counts_as_the_ledger_list_does(cast, ledger, make_item):
    """The ledger page's one aggregate per category gives the list's counts and the categories."""
    make_item(ledger, cast.a, problem="逾期", deadline=datetime.date(2026, 7, 1))
    make_item(ledger, cast.b, problem="未到期", category="作风建设", deadline=datetime.date(2026, 8, 1))
    make_item(ledger, cast.b, problem="无类别", category="", deadline=datetime.date(2026, 8, 1))
    items = Item.objects.in_ledger(ledger, cast.committee)
    listed = selectors.with_counts([ledger], cast.committee, items=items)[0]
    expected = (listed.item_total, listed.item_closed, listed.item_overdue, listed.item_waiting)
    summary, categories = selectors.ledger_summary(ledger, items)
    assert (summary.item_total, summary.item_closed, summary.item_overdue, summary.item_waiting) == expected
    assert expected == (3, 0, 1, 0)
    assert categories == selectors.categories(items) == ["作风建设", "组织建设"]
