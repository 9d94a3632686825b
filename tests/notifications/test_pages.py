"""Pages and endpoints: the permission matrix (roles × own subtree × sibling), mark read, the
bell, and query counts that do not grow with the rows."""

import datetime

import pytest
from django.utils import timezone

from compliance.models import QuarterlyReport, ReportStatus
from notifications.models import Channel, Delivery, DeliveryStatus, ReminderKind

pytestmark = pytest.mark.django_db


def notes(user, n, **extra):
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            kind=ReminderKind.MINUTES_UNSIGNED,
            subject=f"meeting:{i}",
            period="",
            recipient=user,
            channel=Channel.IN_APP,
            status=DeliveryStatus.SENT,
            sent_at=now,
            title=f"提醒{i}",
            url="/meetings/",
            **extra,
        )
        for i in range(n)
    )
    return list(Delivery.objects.filter(recipient=user).order_by("pk"))


def test_inbox_bell_and_mark_read(cast, client_for):
    first, second = notes(cast.member_a, 2)
    notes(cast.secretary_a, 1)
    client = client_for(cast.member_a)
    page = client.get("/notifications/")
    assert page.status_code == 200 and "提醒0" in page.text and "提醒1" in page.text
    bell = client.get("/notifications/bell/")
    assert 'data-testid="bell-count">2<' in bell.text
    client.post("/notifications/read/", {"id": first.pk})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert 'data-testid="bell-count">1<' in client.get("/notifications/bell/").text
    client.post("/notifications/read/")
    assert "bell-count" not in client.get("/notifications/bell/").text
    # The secretary's notification was not touched by the member.
    assert Delivery.objects.filter(recipient=cast.secretary_a, read_at__isnull=True).count() == 1


def test_a_foreign_notification_is_not_found(cast, client_for, api_for):
    [theirs] = notes(cast.secretary_b, 1)
    assert client_for(cast.secretary_a).get(f"/notifications/{theirs.pk}/open/").status_code == 404
    client_for(cast.secretary_a).post("/notifications/read/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api_for(cast.secretary_a).get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    opened = client_for(cast.secretary_b).get(f"/notifications/{theirs.pk}/open/")
    assert opened.status_code == 302 and opened.url == "/meetings/"


def test_api_list_mark_read_and_unread(cast, api_for):
    notes(cast.member_a, 3)
    api = api_for(cast.member_a)
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 3}
    listed = api.get("/api/v1/notifications/").json()
    assert listed["count"] == 3 and listed["results"][0]["kind_label"] == "会议记录未签字"
    assert api.post(
        "/api/v1/notifications/mark-read/", {"ids": [listed["results"][0]["id"]]}, format="json"
    ).json() == {"marked": 1}
    assert api.get("/api/v1/notifications/?unread=1").json()["count"] == 2
    assert api_for(None).get("/api/v1/notifications/").status_code in (401, 403)


def test_preferences_form(cast, client_for):
    client = client_for(cast.secretary_a)
    bad = client.post(
        "/notifications/preferences/", {"webhook": "on", "webhook_flavour": "wecom", "quiet_start": "22:00"}
    )
    assert bad.status_code == 200 and "需填写机器人地址" in bad.text and "需同时填写" in bad.text
    ok = client.post(
        "/notifications/preferences/",
        {
            "email": "on",
            "webhook": "on",
            "webhook_flavour": "dingtalk",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert ok.status_code == 302
    pref = cast.secretary_a.notify_pref
    assert pref.webhook_flavour == "dingtalk" and pref.quiet_end == datetime.time(7)


def report(org, status=ReportStatus.DONE, media_root=None):
    from django.core.files.base import ContentFile

    r = QuarterlyReport.objects.create(organization=org, period="2026-Q2", status=status, branches=1)
    if status == ReportStatus.DONE:
        r.file.save(f"r{org.pk}.xlsx", ContentFile(b"PK"), save=True)
    return r


# Who may see and download which report: committee staff their subtree (the committee's and each
# branch's), a branch's officers their own branch's, nobody else (404).
MATRIX = [
    ("committee", "c1", 200),
    ("committee", "a", 200),
    ("committee", "d", 404),
    ("other_committee", "c1", 404),
    ("other_committee", "a", 404),
    ("other_committee", "d", 200),
    ("secretary_a", "a", 200),
    ("secretary_a", "b", 404),
    ("secretary_a", "c1", 404),
    ("secretary_b", "a", 404),
    ("member_a", "a", 404),
    ("outsider", "a", 404),
    ("admin", "d", 200),
]


@pytest.mark.parametrize(("role", "org", "status"), MATRIX)
def test_report_permission_matrix(cast, client_for, api_for, media_root, role, org, status):
    r = report(getattr(cast, org))
    user = getattr(cast, role)
    client = client_for(user)
    assert client.get(f"/compliance/reports/{r.pk}/").status_code == status
    assert client.get(f"/compliance/reports/{r.pk}/download/").status_code == status
    assert api_for(user).get(f"/api/v1/compliance/reports/{r.pk}/").status_code == status


@pytest.mark.parametrize(
    ("role", "org", "allowed"),
    [
        ("committee", "a", True),
        ("committee", "d", False),
        ("secretary_a", "a", True),
        ("secretary_a", "b", False),
        ("secretary_a", "c1", False),
        ("member_a", "a", False),
    ],
)
def test_who_may_request_a_report(
    cast, client_for, api_for, media_root, role, org, allowed, django_capture_on_commit_callbacks
):
    user, target = getattr(cast, role), getattr(cast, org)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post("/compliance/reports/new/", {"org": target.pk, "period": "2026-Q2"})
    assert (response.status_code == 302) is allowed
    assert QuarterlyReport.objects.filter(organization=target).exists() is allowed
    api = api_for(user).post(
        "/api/v1/compliance/reports/", {"organization": target.pk, "period": "2026-Q2"}, format="json"
    )
    assert api.status_code == (201 if allowed else 404)


def test_api_bad_period_is_a_400_naming_it(cast, api_for):
    response = api_for(cast.committee).post(
        "/api/v1/compliance/reports/", {"organization": cast.c1.pk, "period": "2026-13"}, format="json"
    )
    assert response.status_code == 400 and "period" in response.json()


def test_report_list_shows_only_visible_reports(cast, client_for, media_root):
    report(cast.c1)
    report(cast.d)
    page = client_for(cast.committee).get("/compliance/reports/")
    assert page.status_code == 200 and "第一机关党委" in page.text and "丁党支部" not in page.text
    assert client_for(cast.member_a).get("/compliance/reports/").status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_inbox_queries_do_not_grow(cast, client_for, django_assert_num_queries, rows):
    notes(cast.member_a, rows)
    client = client_for(cast.member_a)
    client.get("/notifications/")  # warm the session / scope caches
    # session, user, scope (grants, posts, member), the count and the page of rows — the bell's
    # count is fetched separately by htmx; the session is not written back within a minute
    with django_assert_num_queries(7):
        assert client.get("/notifications/").status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_notification_api_queries_do_not_grow(cast, api_for, django_assert_num_queries, rows):
    notes(cast.member_a, rows)
    api = api_for(cast.member_a)
    # count, page of rows
    with django_assert_num_queries(2):
        assert api.get("/api/v1/notifications/").status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_report_list_queries_do_not_grow(
    cast, client_for, api_for, django_assert_num_queries, rows, media_root
):
    from branches.models import Organization

    for i in range(rows):
        org = Organization.objects.add_child(
            cast.c1, {"name": f"支部{i}", "kind": "branch", "field": "organ"}
        )
        QuarterlyReport.objects.create(
            organization=org, period="2026-Q2", status=ReportStatus.DONE, branches=1
        )
    client = client_for(cast.committee)
    client.get("/compliance/reports/")
    # session, user, scope (3), the count, the page (organisation joined), the organisations to
    # request for; the session is not written back within a minute
    with django_assert_num_queries(8):
        assert client.get("/compliance/reports/").status_code == 200
    api = api_for(cast.committee)
    api.get("/api/v1/compliance/reports/")
    # count, page of rows with their organisation
    with django_assert_num_queries(2):
        assert api.get("/api/v1/compliance/reports/").status_code == 200
