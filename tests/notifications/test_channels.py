"""Each channel's payload; digest per person per channel; quiet hours; retries with back-off, then
failed — while the other channels still go."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from meetings.models import Meeting, MeetingStatus
from notifications.channels import webhook_payload
from notifications.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus, Preference, ReminderKind
from notifications.services import dispatch, reminder_run

from .conftest import at

pytestmark = pytest.mark.django_db


class Robot:
    """A local group robot: records each JSON body and answers like WeCom / DingTalk."""

    def __init__(self, answer=None, status=200):
        self.bodies = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                robot.bodies.append((self.headers["Content-Type"], json.loads(self.rfile.read(length))))
                payload = json.dumps(answer or {"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def unsigned(org, day, topic="支委会"):
    return Meeting.objects.create(
        organization=org, kind="committee_meeting", topic=topic, held_on=day, status=MeetingStatus.HELD
    )


def test_payload_shapes():
    wecom = webhook_payload("wecom", "标题", ["第一条", "第二条"])
    assert wecom == {"msgtype": "markdown", "markdown": {"content": "**标题**\n> 第一条\n> 第二条"}}
    ding = webhook_payload("dingtalk", "标题", ["第一条"])
    assert ding == {"msgtype": "markdown", "markdown": {"title": "标题", "text": "**标题**\n> 第一条"}}


@pytest.mark.parametrize("flavour", ["wecom", "dingtalk"])
def test_webhook_posts_the_robot_json(cast, flavour):
    with Robot() as robot:
        Preference.objects.create(
            user=cast.secretary_a, email=False, webhook=True, webhook_flavour=flavour, webhook_url=robot.url
        )
        unsigned(cast.a, datetime.date(2026, 6, 1))
        with at(2026, 6, 10):
            reminder_run()
    assert len(robot.bodies) == 1
    content_type, body = robot.bodies[0]
    assert content_type.startswith("application/json") and body["msgtype"] == "markdown"
    text = body["markdown"]["content" if flavour == "wecom" else "text"]
    assert "会议记录尚未签字锁定" in text
    if flavour == "dingtalk":
        assert "会议记录尚未签字锁定" in body["markdown"]["title"]
    [sent] = Delivery.objects.filter(channel=Channel.WEBHOOK, recipient=cast.secretary_a)
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 1


def test_email_digest_one_message_per_person(cast, mailbox):
    cast.secretary_a.email = "sec@example.org"
    cast.secretary_a.save()
    unsigned(cast.a, datetime.date(2026, 6, 1), "第一次支委会")
    unsigned(cast.a, datetime.date(2026, 6, 2), "第二次支委会")
    with at(2026, 6, 10):
        reminder_run()
    mine = [m for m in mailbox if m.to == ["sec@example.org"]]
    assert len(mine) == 1
    assert "汇总" in mine[0].subject and "第一次支委会" in mine[0].body and "第二次支委会" in mine[0].body
    with at(2026, 6, 11):
        reminder_run()  # the same reminders again: nothing new
    assert len([m for m in mailbox if m.to == ["sec@example.org"]]) == 1


def test_sms_goes_through_the_logging_backend(cast, caplog):
    cast.sec_a.phone = "13800138000"
    cast.sec_a.save()
    Preference.objects.create(user=cast.secretary_a, email=False, sms=True)
    unsigned(cast.a, datetime.date(2026, 6, 1))
    with caplog.at_level("INFO", logger="notifications.channels"), at(2026, 6, 10):
        reminder_run()
    assert any(
        "SMS to 13800138000" in r.getMessage() and "会议记录" in r.getMessage() for r in caplog.records
    )


def test_quiet_hours_defer_external_channels(cast, mailbox):
    cast.secretary_a.email = "sec@example.org"
    cast.secretary_a.save()
    Preference.objects.create(
        user=cast.secretary_a, quiet_start=datetime.time(22), quiet_end=datetime.time(7)
    )
    unsigned(cast.a, datetime.date(2026, 6, 1))
    with at(2026, 6, 10, 23):
        reminder_run()
    assert mailbox == []
    [pending] = Delivery.objects.filter(channel=Channel.EMAIL)
    assert pending.status == DeliveryStatus.PENDING and pending.attempts == 0
    # The in-app notification is there at once.
    assert Delivery.objects.filter(channel=Channel.IN_APP, recipient=cast.secretary_a).exists()
    with at(2026, 6, 11, 6, 59):
        dispatch()
    assert mailbox == []
    with at(2026, 6, 11, 7, 0):
        dispatch()
    assert len(mailbox) == 1


def test_a_failing_channel_is_retried_with_back_off_then_failed(cast, mailbox, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    cast.secretary_a.email = "sec@example.org"
    cast.secretary_a.save()
    with Robot(answer={"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
        Preference.objects.create(user=cast.secretary_a, webhook=True, webhook_url=robot.url)
        unsigned(cast.a, datetime.date(2026, 6, 1))
        with at(2026, 6, 10, 9):
            reminder_run()
        hook = Delivery.objects.get(channel=Channel.WEBHOOK)
        assert hook.status == DeliveryStatus.PENDING and hook.attempts == 1
        assert "93000" in hook.last_error
        assert hook.next_attempt_at == datetime.datetime(2026, 6, 10, 1, 1, tzinfo=datetime.UTC)  # +1 min
        # The e-mail went anyway.
        assert len(mailbox) == 1
        with at(2026, 6, 10, 9, 0, 30):
            dispatch()  # not yet due
        hook.refresh_from_db()
        assert hook.attempts == 1
        with at(2026, 6, 10, 9, 1):
            dispatch()
        hook.refresh_from_db()
        assert hook.attempts == 2 and hook.next_attempt_at == datetime.datetime(
            2026, 6, 10, 1, 6, tzinfo=datetime.UTC
        )
        with at(2026, 6, 10, 9, 6):
            dispatch()
    hook.refresh_from_db()
    assert (
        hook.status == DeliveryStatus.FAILED
        and hook.attempts == 3
        and "invalid webhook url" in hook.last_error
    )
    assert len(robot.bodies) == 3
    log = DeliveryAttempt.objects.filter(channel=Channel.WEBHOOK)
    assert [a.ok for a in log.order_by("at")] == [False, False, False]
    assert DeliveryAttempt.objects.filter(channel=Channel.EMAIL, ok=True).count() == 1


def test_an_email_without_address_is_logged_as_failed_reason(cast, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    unsigned(cast.a, datetime.date(2026, 6, 1))
    with at(2026, 6, 10):
        reminder_run()
    [mail] = Delivery.objects.filter(channel=Channel.EMAIL, kind=ReminderKind.MINUTES_UNSIGNED)
    assert mail.status == DeliveryStatus.FAILED and mail.last_error == "未登记电子邮箱"
