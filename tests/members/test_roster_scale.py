"""The roster at city scale: the name search through `name_search` (any part of a name, two
characters included) and, on PostgreSQL, through the trigram indexes; the total counted up to a
cap, with page navigation past it."""

import datetime
import importlib

import pytest
from django.db import connection
from django.urls import reverse

from branches import pagination
from members import selectors
from members.models import Member, search_text
from members.protected import compose_id_number
from members.services.records import member_create
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def roster_search(cast, q):
    qs = selectors.roster(Member.objects.visible_to(cast.committee), q=q)
    return sorted(qs.values_list("name", flat=True))


def test_search_text_makes_every_character_a_word():
    assert search_text("王芳") == " 王 芳 "
    assert search_text("John Smith") == " J O H N   S M I T H "
    assert search_text("") == ""


def test_the_stored_form_follows_the_name(cast):
    member = make_member(cast.a, "欧阳娜娜")
    assert member.name_search == " 欧 阳 娜 娜 "
    member.name = "欧阳娜"
    member.save(update_fields=["name"])
    member.refresh_from_db()
    assert member.name_search == " 欧 阳 娜 "


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("王芳", ["王芳", "王芳芳"]),  # two characters: the whole name, and within a longer one
        ("芳芳", ["王芳芳"]),
        ("王", ["王丽芳", "王芳", "王芳芳"]),
        ("丽芳", ["王丽芳"]),
        ("王丽芳", ["王丽芳"]),
        ("芳王", []),
        ("smith", ["John Smith"]),  # ignoring case, as before
        ("N SM", ["John Smith"]),
    ],
)
def test_name_search_finds_any_part_of_a_name(cast, q, found):
    for name in ("王芳", "王芳芳", "王丽芳", "李明", "John Smith"):
        make_member(cast.a, name)
    assert roster_search(cast, q) == found


def test_search_by_initials_and_id_tail_still_works(cast):
    birth = datetime.date(1980, 5, 17)
    zhang = member_create(
        user=cast.secretary_a,
        branch=cast.a,
        name="张建国",
        gender="male",
        birth_date=birth,
        id_number=compose_id_number("110105", birth, 123, "male"),
    )
    make_member(cast.a, "李明")
    assert roster_search(cast, "zjg") == ["张建国"]
    assert roster_search(cast, zhang.id_number[-4:]) == ["张建国"]


def test_the_members_api_searches_the_same_way(cast, api_for):
    make_member(cast.a, "王芳芳")
    make_member(cast.a, "李明")
    names = [
        m["name"] for m in api_for(cast.committee).get("/api/v1/members/", {"q": "芳芳"}).json()["results"]
    ]
    assert names == ["王芳芳"]


def test_the_migration_fills_the_search_form_of_existing_rows(cast):
    from django.apps import apps

    make_member(cast.a, "王芳")
    Member.objects.update(name_search="")
    migration = importlib.import_module("members.migrations.0008_member_name_search")
    migration.fill_name_search(apps, None)
    assert set(Member.objects.values_list("name_search", flat=True)) == {
        search_text(name) for name in Member.objects.values_list("name", flat=True)
    }


def _plan(qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # Only bitmap scans left: one needs an index whose condition the query can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("q", "indexes"),
    [
        ("王芳", ["member_name_search_trgm"]),
        ("王", ["member_name_search_trgm"]),
        ("wf", ["member_name_search_trgm", "name_initials"]),
        ("1234", ["member_name_search_trgm", "member_id_masked_trgm"]),
    ],
)
def test_every_branch_of_the_search_uses_an_index_on_postgres(cast, on_postgres, q, indexes):
    """With sequential and plain index scans priced out, the planner shows whether the search can
    use the indexes at all: an OR with one branch that no index serves scans every member."""
    make_member(cast.a, "王芳")
    plan = _plan(Member.objects.filter(selectors.search_q(q)))
    assert "Seq Scan" not in plan
    for index in indexes:
        assert f"Bitmap Index Scan on {index}" in plan or (
            index == "name_initials" and "Bitmap Index Scan on members_member_name_initials" in plan
        )


class TestCappedPaginator:
    def test_exact_up_to_the_cap(self):
        paginator = pagination.CappedPaginator(list(range(120)), 50, cap=200)
        page = paginator.get_page(3)
        assert paginator.exact and paginator.count == 120 and paginator.num_pages == 3
        assert list(page) == list(range(100, 120)) and not page.has_next() and page.has_previous()
        assert paginator.get_page(9).number == 3  # past the end: the last page, as Django's
        assert paginator.get_page("x").number == 1

    def test_past_the_cap_the_next_page_is_known_from_one_more_row(self):
        paginator = pagination.CappedPaginator(list(range(230)), 50, cap=100)
        assert not paginator.exact and paginator.count == 101
        page = paginator.get_page(4)
        assert list(page) == list(range(150, 200)) and page.has_next() and page.next_page_number() == 5
        last = paginator.get_page(5)
        assert list(last) == list(range(200, 230)) and not last.has_next()
        assert paginator.get_page(6).number == 1  # nothing there
        assert paginator.get_page(0).number == 1

    def test_a_queryset_is_counted_without_its_order_and_at_most_to_the_cap(
        self, cast, django_assert_num_queries
    ):
        for i in range(7):
            make_member(cast.a, f"党员{i}")
        qs = Member.objects.filter(branch=cast.a).select_related("branch").order_by("branch__path", "name")
        paginator = pagination.CappedPaginator(qs, 2, cap=4)
        with django_assert_num_queries(2) as captured:
            page = paginator.get_page(3)
            assert len(page) == 2 and page.has_next()
        count_sql = captured.captured_queries[0]["sql"]
        assert "COUNT" in count_sql and "ORDER BY" not in count_sql and "LIMIT 5" in count_sql


def test_the_roster_says_more_than_the_cap_and_pages_on(cast, client_for, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 60)
    Member.objects.bulk_create(
        [Member(name=f"党员{i:03d}", gender="male", branch=cast.a, status="full") for i in range(120)]
    )
    client = client_for(cast.committee)
    first = client.get(reverse("members:roster"))
    assert "第 1 页，共 60 条以上" in first.content.decode()
    assert first.context["page"].has_next()
    total = Member.objects.visible_to(cast.committee).current().count()  # 120 and the cast's
    third = client.get(reverse("members:roster"), {"page": 3})
    assert len(third.context["page"].object_list) == total - 100 and not third.context["page"].has_next()
    assert "上一页" in third.content.decode() and "下一页" not in third.content.decode()


def test_under_the_cap_the_roster_shows_the_exact_total(cast, client_for):
    Member.objects.bulk_create(
        [Member(name=f"党员{i:03d}", gender="male", branch=cast.a, status="full") for i in range(60)]
    )
    body = client_for(cast.committee).get(reverse("members:roster")).content.decode()
    total = Member.objects.visible_to(cast.committee).current().count()
    assert f"第 1 / 2 页，共 {total} 条" in body


def test_the_search_form_stays_out_of_the_audit_trail(cast):
    """Derived like the pinyin initials: a change of name is audited once, as the name."""
    from audit.models import AuditEntry

    member = make_member(cast.a, "王芳")
    member.name = "王芳芳"
    member.save(update_fields=["name"])
    entry = AuditEntry.objects.for_object(member).order_by("-pk").first()
    assert "name" in entry.changes and "name_search" not in entry.changes
