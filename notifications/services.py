"""Writes: the reminder run (claim, then send), the dispatch of external channels with retries,
marking notifications read, and notifying people of a finished report.

Never twice: each reminder is claimed by inserting its delivery row; the unique constraint
(kind, subject, period, recipient, channel) makes the insert a no-op for a reminder already
claimed — by this run, an earlier run, a retry or a second beat process running at the same moment
(INSERT … ON CONFLICT DO NOTHING is atomic in PostgreSQL). Only rows a run inserted are sent.
"""

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .channels import SENDERS, ChannelError
from .models import (
    EXTERNAL_CHANNELS,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Preference,
    ReminderKind,
)
from .reminders import candidates

logger = logging.getLogger(__name__)

BATCH = 2000
# A claimed external delivery whose worker died is claimable again after the lease.
LEASE = datetime.timedelta(minutes=10)


def _backoff(attempts):
    """Minutes to wait before attempt `attempts + 1`: 1, 5, 25 … (NOTIFICATIONS_RETRY_BASE_MINUTES)."""
    return datetime.timedelta(minutes=settings.NOTIFICATIONS_RETRY_BASE_MINUTES * 5 ** (attempts - 1))


def _preferences(user_ids):
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    return {uid: prefs.get(uid) or Preference(user_id=uid) for uid in user_ids}


def _insert(rows):
    """Claim: insert the rows; an existing (kind, subject, period, recipient, channel) is skipped."""
    for start in range(0, len(rows), BATCH):
        Delivery.objects.bulk_create(rows[start : start + BATCH], ignore_conflicts=True)


def reminder_run(*, today=None, now=None):
    """Evaluate every reminder rule for today and claim the reminders due; withdraw unread ones
    whose cause has gone (a meeting signed, dues paid, an item closed). Returns counts."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    found = list(candidates(today))
    keys = {(c.kind, c.subject, c.period, c.recipient_id) for c in found}
    prefs = _preferences({c.recipient_id for c in found})
    rows = []
    for c in found:
        pref = prefs[c.recipient_id]
        fields = {
            "kind": c.kind,
            "subject": c.subject,
            "period": c.period,
            "recipient_id": c.recipient_id,
            "organization_id": c.organization_id,
            "title": c.title[:200],
            "body": c.body,
            "url": c.url,
            "created_at": now,
        }
        rows.append(Delivery(channel=Channel.IN_APP, status=DeliveryStatus.SENT, sent_at=now, **fields))
        for channel in EXTERNAL_CHANNELS:
            if pref.wants(channel):
                rows.append(Delivery(channel=channel, next_attempt_at=now, **fields))
    before = Delivery.objects.filter(created_at=now).count()
    _insert(rows)
    claimed = Delivery.objects.filter(created_at=now).count() - before
    withdrawn = _withdraw_stale(keys, today)
    sent = dispatch(now=now)
    return {"candidates": len(found), "claimed": claimed, "withdrawn": withdrawn, "sent": sent}


def _withdraw_stale(current_keys, today):
    """Unread in-app and unsent external reminders whose case no longer holds are withdrawn."""
    open_rows = (
        Delivery.objects.exclude(kind=ReminderKind.REPORT_READY)
        .filter(
            Q(channel=Channel.IN_APP, status=DeliveryStatus.SENT, read_at__isnull=True)
            | Q(status=DeliveryStatus.PENDING)
        )
        .values_list("pk", "kind", "subject", "period", "recipient_id")
    )
    stale = [pk for pk, *key in open_rows.iterator(chunk_size=5000) if tuple(key) not in current_keys]
    for start in range(0, len(stale), BATCH):
        Delivery.objects.filter(pk__in=stale[start : start + BATCH]).update(status=DeliveryStatus.WITHDRAWN)
    return len(stale)


def withdraw(*, kind, subject):
    """The cause of a reminder went away (signal handlers: a meeting locked, a payment recorded)."""
    return (
        Delivery.objects.filter(kind=kind, subject=subject)
        .filter(
            Q(channel=Channel.IN_APP, status=DeliveryStatus.SENT, read_at__isnull=True)
            | Q(status=DeliveryStatus.PENDING)
        )
        .update(status=DeliveryStatus.WITHDRAWN)
    )


def _claim(now):
    """Claim the due external deliveries: rows locked with SKIP LOCKED (PostgreSQL) and moved to
    `sending` with a lease, so two dispatchers never take the same row."""
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, next_attempt_at__lte=now
    )
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(due, channel__in=EXTERNAL_CHANNELS)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:20000]
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    return ids


def dispatch(*, now=None):
    """Send the due external deliveries: one message per person per channel (the digest of their
    reminders), outside quiet hours. A failure is retried with back-off, then marked failed; it
    never stops another channel or person. Returns the number of messages sent."""
    now = now or timezone.now()
    ids = _claim(now)
    if not ids:
        return 0
    User = get_user_model()
    groups = defaultdict(list)
    for d in Delivery.objects.filter(pk__in=ids).order_by("created_at", "pk"):
        groups[(d.recipient_id, d.channel)].append(d)
    users = User.objects.in_bulk({uid for uid, _channel in groups})
    members = {}
    from members.models import Member

    for m in Member.objects.filter(user_id__in=list(users)).only("pk", "user_id", "phone"):
        members[m.user_id] = m
    prefs = _preferences(list(users))
    sent = 0
    for (user_id, channel), items in groups.items():
        user, pref = users[user_id], prefs[user_id]
        if user_id in members:
            user.member = members[user_id]
        pks = [d.pk for d in items]
        if pref.is_quiet(now):
            Delivery.objects.filter(pk__in=pks).update(
                status=DeliveryStatus.PENDING,
                attempts=F("attempts") - 1,
                next_attempt_at=pref.quiet_until(now),
            )
            continue
        if len(items) == 1:
            title, lines = items[0].title, [items[0].body] if items[0].body else []
        else:
            title = _("党务提醒汇总（%(n)s条）") % {"n": len(items)}
            lines = [d.title for d in items]
        try:
            SENDERS[channel](user, pref, title, lines)
        except ChannelError as exc:
            _failed(items, str(exc), now)
            continue
        except Exception as exc:  # a backend's own error: logged with context, the others still go
            logger.exception("channel %s to user %s failed", channel, user_id)
            _failed(items, repr(exc), now)
            continue
        Delivery.objects.filter(pk__in=pks).update(status=DeliveryStatus.SENT, sent_at=now, last_error="")
        _log(items, channel, user_id, now, ok=True)
        sent += 1
    return sent


def _log(items, channel, user_id, now, *, ok, error=""):
    attempt = DeliveryAttempt.objects.create(
        channel=channel, recipient_id=user_id, at=now, ok=ok, error=error
    )
    attempt.deliveries.set(items)


def _failed(items, error, now):
    attempts = max(d.attempts for d in items)  # loaded after the claim counted this attempt
    final = attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    pks = [d.pk for d in items]
    if final:
        Delivery.objects.filter(pk__in=pks).update(status=DeliveryStatus.FAILED, last_error=error)
    else:
        Delivery.objects.filter(pk__in=pks).update(
            status=DeliveryStatus.PENDING, last_error=error, next_attempt_at=now + _backoff(attempts)
        )
    _log(items, items[0].channel, items[0].recipient_id, now, ok=False, error=error)


def notifications_mark_read(*, user, ids=None):
    """Mark the user's in-app notifications read (all unread when `ids` is None)."""
    qs = Delivery.objects.visible_to(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def notify(*, kind, subject, period, user_ids, title, url="", body="", organization=None):
    """A one-off notification (e.g. a report is ready) through the same claim and channels."""
    now = timezone.now()
    prefs = _preferences(set(user_ids))
    rows = []
    for uid in user_ids:
        fields = {
            "kind": kind,
            "subject": subject,
            "period": period,
            "recipient_id": uid,
            "title": title[:200],
            "body": body,
            "url": url,
            "organization": organization,
            "created_at": now,
        }
        rows.append(Delivery(channel=Channel.IN_APP, status=DeliveryStatus.SENT, sent_at=now, **fields))
        for channel in EXTERNAL_CHANNELS:
            if prefs[uid].wants(channel):
                rows.append(Delivery(channel=channel, next_attempt_at=now, **fields))
    _insert(rows)
    return dispatch(now=now)
