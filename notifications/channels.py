"""Channel backends. Each `send(user, title, lines)` delivers one message (a digest of one or more
reminders) or raises `ChannelError` with the reason, which the delivery log keeps."""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Channel, WebhookFlavour

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    pass


def _text(title, lines):
    return "\n".join([title, *(f"· {line}" for line in lines)])


def send_email(user, pref, title, lines):
    if not user.email:
        raise ChannelError(_("未登记电子邮箱"))
    try:
        send_mail(title, _text(title, lines), settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError as exc:
        raise ChannelError(str(exc)) from exc


def webhook_payload(flavour, title, lines):
    """The JSON a group robot accepts: 企业微信 `{"msgtype": "markdown", "markdown": {"content"}}`,
    钉钉 `{"msgtype": "markdown", "markdown": {"title", "text"}}`."""
    body = "\n".join([f"**{title}**", *(f"> {line}" for line in lines)])
    if flavour == WebhookFlavour.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
    return {"msgtype": "markdown", "markdown": {"content": body}}


def send_webhook(user, pref, title, lines):
    if not pref.webhook_url:
        raise ChannelError(_("未设置群机器人地址"))
    data = json.dumps(webhook_payload(pref.webhook_flavour, title, lines), ensure_ascii=False).encode()
    request = urllib.request.Request(
        pref.webhook_url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ChannelError(str(exc)) from exc
    # Both robots answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; anything else is a refusal.
    if answer.get("errcode", 0) != 0:
        raise ChannelError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


class LoggingSMSBackend:
    """The default SMS backend: writes the message to the log (plug a carrier's gateway in through
    NOTIFICATIONS_SMS_BACKEND, a class with `send(phone, text)`)."""

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)


def _member_phone(user):
    member = getattr(user, "member", None)
    return member.phone if member is not None else ""


def send_sms(user, pref, title, lines):
    phone = _member_phone(user)
    if not phone:
        raise ChannelError(_("未登记手机号码"))
    backend = import_string(settings.NOTIFICATIONS_SMS_BACKEND)()
    try:
        backend.send(phone, _text(title, lines))
    except OSError as exc:
        raise ChannelError(str(exc)) from exc


SENDERS = {Channel.EMAIL: send_email, Channel.WEBHOOK: send_webhook, Channel.SMS: send_sms}
