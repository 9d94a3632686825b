"""The suggestion box: signed and anonymous suggestions, replies, the receipt code, turning one
into a ledger item — and no trace of an anonymous author anywhere in the database."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from audit.models import AuditEntry
from rectifications import services
from rectifications.models import Item, Suggestion, SuggestionReply


def _dump_rows(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_anonymous_suggestion_leaves_no_trace_of_its_author(cast, client_for):
    """Submitted through the page (the request's user is the author): nothing in the suggestion
    rows, their replies or the whole audit trail names or points at them."""
    client = client_for(cast.member_a)
    AuditEntry.objects.all().delete()
    response = client.post(
        reverse("rectifications:suggestion_create"),
        {
            "recipient": cast.c1.pk,
            "kind": "complaint",
            "subject": "支部会议经常临时改期",
            "body": "希望提前一周通知",
            "anonymous": "on",
        },
    )
    assert response.status_code == 200
    code = response.context["code"]
    suggestion = Suggestion.objects.get()
    assert suggestion.author is None and suggestion.anonymous
    # The recipient answers; that entry carries the committee, not the author.
    services.suggestion_reply(user=cast.committee, suggestion=suggestion, body="已要求各支部提前通知")

    user, member = cast.member_a, cast.mem_a
    needles = {user.username, user.name, member.name}
    ids = {user.pk, member.pk}
    for table in ("rectifications_suggestion", "rectifications_suggestionreply"):
        for row in _dump_rows(table):
            text = json.dumps(row, default=str, ensure_ascii=False)
            assert not any(n in text for n in needles), (table, row)
            for column, value in row.items():
                if column.endswith("_id") and column != "recipient_id" and column != "suggestion_id":
                    assert value not in ids or column == "replied_by_id" and value == cast.committee.pk
    assert not Suggestion.objects.filter(author=member).exists()
    for entry in AuditEntry.objects.all():
        assert entry.actor_id != user.pk
        text = json.dumps(
            [entry.actor_repr, entry.object_repr, entry.changes, entry.data], default=str, ensure_ascii=False
        )
        assert not any(n in text for n in needles), entry
    submitted = AuditEntry.objects.get(action="rectifications.suggestion.submitted")
    assert submitted.actor is None and submitted.actor_repr == ""
    assert submitted.at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).time() == datetime.time(0)
    # Nothing in the session ties the code to the login either.
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        assert code not in json.dumps(session.get_decoded(), default=str)
    # The code is the way back to the reply.
    page = client.post(reverse("rectifications:suggestion_receipt"), {"code": code.lower().replace("-", "")})
    assert "已要求各支部提前通知" in page.content.decode()
    # And the author's own list does not show it (nothing links it to them).
    assert "支部会议经常临时改期" not in client.get(reverse("rectifications:suggestions")).content.decode()


def test_signed_suggestion_reply_is_visible_to_the_author(cast, client_for):
    suggestion, code = services.suggestion_submit(
        user=cast.member_a, recipient=cast.a, subject="学习资料更新慢", body="建议每月更新"
    )
    assert code is None and suggestion.author == cast.mem_a
    services.suggestion_reply(user=cast.secretary_a, suggestion=suggestion, body="下月起每月更新")
    body = (
        client_for(cast.member_a)
        .get(reverse("rectifications:suggestion", args=[suggestion.pk]))
        .content.decode()
    )
    assert "下月起每月更新" in body and "已答复" in body
    entry = AuditEntry.objects.get(action="rectifications.suggestion.submitted")
    assert entry.actor == cast.member_a


def test_recipients_are_the_members_branch_and_the_committees_above(cast):
    with pytest.raises(ValidationError) as exc:
        services.suggestion_submit(user=cast.member_a, recipient=cast.b, subject="x", body="y")
    assert "recipient" in exc.value.message_dict
    services.suggestion_submit(user=cast.member_a, recipient=cast.root, subject="x", body="y")
    with pytest.raises(PermissionDenied):
        services.suggestion_submit(user=cast.outsider, recipient=cast.a, subject="x", body="y")


def test_who_may_answer(cast):
    suggestion, _ = services.suggestion_submit(user=cast.member_a, recipient=cast.a, subject="x", body="y")
    for user in (cast.secretary_b, cast.other_committee, cast.member_a):
        with pytest.raises(PermissionDenied):
            services.suggestion_reply(user=user, suggestion=suggestion, body="z")
    services.suggestion_reply(user=cast.committee, suggestion=suggestion, body="z")
    assert SuggestionReply.objects.count() == 1


def test_turn_a_suggestion_into_a_linked_item(cast, client_for):
    suggestion, code = services.suggestion_submit(
        user=cast.member_a,
        recipient=cast.c1,
        subject="活动室长期闲置",
        body="建议开放给党员学习",
        anonymous=True,
    )
    client = client_for(cast.committee)
    response = client.post(
        reverse("rectifications:suggestion_convert", args=[suggestion.pk]),
        {
            "problem": "活动室长期闲置",
            "measures": "制定开放时间\n安排专人管理",
            "units": [cast.a.pk],
            "deadline": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert item.source_suggestion == suggestion
    assert item.ledger.source == "suggestion_box" and item.ledger.issuer == cast.c1
    assert [m.text for m in item.measures.all()] == ["制定开放时间", "安排专人管理"]
    # What became of it shows on the suggestion, in the inbox and to the anonymous author.
    inbox = client.get(reverse("rectifications:suggestions")).content.decode()
    assert "已转整改" in inbox
    looked_up = client_for(cast.member_a).post(reverse("rectifications:suggestion_receipt"), {"code": code})
    assert "已列入整改台账" in looked_up.content.decode()
    with pytest.raises(ValidationError, match="已经转为"):
        services.suggestion_convert(
            user=cast.committee,
            suggestion=suggestion,
            units=[cast.a],
            deadline=datetime.date.today(),
            measures=["x"],
        )


def test_unknown_receipt_code_says_so(cast, client_for):
    page = client_for(cast.member_a).post(
        reverse("rectifications:suggestion_receipt"), {"code": "AAAA-BBBB-CCCC"}
    )
    assert "没有找到这个回执码" in page.content.decode()


def test_suggestion_list_is_scoped(cast, client_for):
    services.suggestion_submit(user=cast.member_a, recipient=cast.a, subject="甲支部的意见", body="y")
    assert (
        "甲支部的意见"
        in client_for(cast.secretary_a).get(reverse("rectifications:suggestions")).content.decode()
    )
    assert (
        "甲支部的意见"
        in client_for(cast.committee).get(reverse("rectifications:suggestions")).content.decode()
    )
    for user in (cast.secretary_b, cast.other_committee):
        assert (
            "甲支部的意见" not in client_for(user).get(reverse("rectifications:suggestions")).content.decode()
        )
    pk = Suggestion.objects.get().pk
    assert (
        client_for(cast.secretary_b).get(reverse("rectifications:suggestion", args=[pk])).status_code == 404
    )
