"""The notifications card on the branch page (the user's own notifications about the branch) and
on the member page (all of the user's own): the latest few, unread marked, the inbox link, the empty
state, scoping, and a query count that is the same for 1 and 50 notifications."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.branch_page import NOTIFICATIONS
from notifications.models import Channel, Delivery, DeliveryStatus, ReminderKind

from .conftest import SHANGHAI, TODAY

pytestmark = pytest.mark.django_db


def notes(
    user,
    n,
    *,
    org=None,
    title="提醒",
    read=False,
    channel=Channel.IN_APP,
    status=DeliveryStatus.SENT,
    days_ago=0,
):
    """`n` notifications for `user` a day apart, the last one `days_ago` days before today."""
    first = TODAY - datetime.timedelta(days=days_ago + n)
    Delivery.objects.bulk_create(
        Delivery(
            kind=ReminderKind.MINUTES_UNSIGNED,
            subject=f"{title}:{i}",
            period="",
            recipient=user,
            channel=channel,
            organization=org,
            status=status,
            sent_at=first,
            created_at=first + datetime.timedelta(days=i),
            read_at=first if read else None,
            title=f"{title}{i}",
            url="/meetings/",
        )
        for i in range(n)
    )


def get(client, url):
    with time_machine.travel(TODAY):
        response = client.get(url)
    assert response.status_code == 200
    return response


def card(response):
    return response.context["notifications"]


def test_branch_page_lists_the_users_latest_about_the_branch(cast, client_for):
    notes(cast.secretary_a, 3, org=cast.a, title="已读", read=True, days_ago=30)
    notes(cast.secretary_a, 7, org=cast.a, title="甲支部")
    notes(cast.secretary_a, 2, org=cast.b, title="乙支部")  # another branch: not on a's page
    notes(cast.secretary_a, 1, title="无组织")  # about no branch: the inbox and the member page
    notes(cast.secretary_a, 1, org=cast.a, title="邮件", channel=Channel.EMAIL)  # not in-app
    notes(cast.secretary_b, 2, org=cast.a, title="别人的")  # someone else's
    response = get(client_for(cast.secretary_a), f"/dashboard/branch/{cast.a.pk}/")
    shown = card(response)["latest"]
    assert [n.title for n in shown] == [f"甲支部{i}" for i in range(6, 6 - NOTIFICATIONS, -1)]
    assert card(response)["unread"] == 7
    html = response.content.decode()
    assert html.count('data-testid="note" data-read="0"') == NOTIFICATIONS
    assert 'data-testid="notes-unread">7 条未读<' in html
    assert f'href="/notifications/{shown[0].pk}/open/"' in html
    assert 'data-testid="notes-inbox"' in html and 'href="/notifications/"' in html
    for foreign in ("乙支部", "无组织", "邮件", "别人的"):
        assert foreign not in html


def test_read_notifications_are_listed_unmarked(cast, client_for):
    notes(cast.secretary_a, 2, org=cast.a, read=True)
    html = get(client_for(cast.secretary_a), f"/dashboard/branch/{cast.a.pk}/").content.decode()
    assert html.count('data-testid="note" data-read="1"') == 2
    assert "notes-unread" not in html and 'data-read="0"' not in html


def test_a_committee_sees_its_own_notifications_on_a_branch_page(cast, client_for):
    notes(cast.secretary_a, 2, org=cast.a, title="书记的")
    notes(cast.committee, 1, org=cast.a, title="上级的")
    response = get(client_for(cast.committee), f"/dashboard/branch/{cast.a.pk}/")
    assert [n.title for n in card(response)["latest"]] == ["上级的0"]
    assert "书记的" not in response.content.decode()


def test_empty_states(cast, client_for):
    client = client_for(cast.member_a)
    html = get(client, "/dashboard/me/").content.decode()
    assert 'data-testid="notes-empty"' in html and "暂无通知。" in html
    html = get(client_for(cast.secretary_a), f"/dashboard/branch/{cast.a.pk}/").content.decode()
    assert "暂无与本支部相关的通知。" in html


def test_member_page_lists_all_of_the_users_own(cast, client_for):
    notes(cast.member_a, 1, org=cast.a, title="支部")
    notes(cast.member_a, 1, title="个人")
    notes(cast.secretary_a, 1, title="别人的")
    response = get(client_for(cast.member_a), "/dashboard/me/")
    assert {n.title for n in card(response)["latest"]} == {"支部0", "个人0"}
    assert card(response)["unread"] == 2
    assert "别人的" not in response.content.decode()


def test_withdrawn_notifications_are_not_listed(cast, client_for):
    notes(cast.member_a, 1, title="撤回", status=DeliveryStatus.WITHDRAWN)
    response = get(client_for(cast.member_a), "/dashboard/me/")
    assert card(response)["latest"] == [] and card(response)["unread"] == 0


def _count(client, url):
    with time_machine.travel(TODAY), CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["branch", "member"])
def test_query_count_one_and_fifty_notifications(cast, client_for, page):
    user = cast.secretary_a
    url = f"/dashboard/branch/{cast.a.pk}/" if page == "branch" else "/dashboard/me/"
    client = client_for(user)
    notes(user, 1, org=cast.a, title="一")
    one = _count(client, url)
    notes(user, 49, org=cast.a, title="多")
    assert _count(client, url) == one


def test_times_are_shown_in_shanghai(cast, client_for):
    # 23:30 UTC on 9 July is 07:30 on 10 July in Shanghai.
    late = datetime.datetime(2026, 7, 9, 23, 30, tzinfo=datetime.UTC)
    Delivery.objects.create(
        kind=ReminderKind.DUES_UNPAID,
        subject="member:1",
        recipient=cast.member_a,
        channel=Channel.IN_APP,
        status=DeliveryStatus.SENT,
        created_at=late,
        title="本月党费未交",
    )
    html = get(client_for(cast.member_a), "/dashboard/me/").content.decode()
    assert late.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "07-10 07:30"
    assert "07-10 07:30" in html
