"""Keep the rollups current: this app listens to the lower apps' models (they never import it).

- a meeting saved or deleted (minutes locked or unlocked, a meeting recorded or cancelled) → its
  branch, for the periods of the day it was held;
- a dues payment saved (recorded, or reversed by a reversing row), a remittance → its branch, for
  the periods of the payment and of the months it paid;
- a month's obligations generated (the dues ledger's `dues.month.generated` audit entry) → the
  whole tree for that month's periods, as a task (set-based);
- a rectification item saved or its responsible units changed → those branches, today's periods
  and the periods it was closed in;
- a member saved (status, branch) → the branch's periods for today and its membership structure.

Each change only records what to refresh; one refresh per transaction runs after the commit
(as a Celery task when a broker is configured, inline otherwise)."""

import threading

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

_pending = threading.local()


def _state():
    state = getattr(_pending, "state", None)
    if state is None:
        state = _pending.state = {
            "branches": set(),
            "days": set(),
            "structure": set(),
            "payments": set(),
            "items": set(),
            "months": set(),
        }
    # Registered on each change: after a rollback the next transaction still flushes; a flush that
    # finds nothing left does nothing.
    transaction.on_commit(_flush)
    return state


def schedule(branch_ids, days=()):
    """Refresh these branches for the periods of `days` (and of today) once the transaction commits.
    No query here: the lower apps' query counts stay what they are."""
    state = _state()
    state["branches"].update(pk for pk in branch_ids if pk)
    state["days"].update(d for d in days if d)


def _flush():
    state = getattr(_pending, "state", None)
    _pending.state = None
    if not state or not any(state.values()):
        return
    from .tasks import rebuild_month, refresh_rollups

    for month in sorted(state["months"]):
        rebuild_month.delay(month)
    if not (state["branches"] or state["payments"] or state["items"]):
        return
    refresh_rollups.delay(
        branch_ids=sorted(state["branches"]),
        days=sorted(d.isoformat() for d in {*state["days"], timezone.localdate()}),
        structure_ids=sorted(state["structure"]),
        payment_ids=sorted(state["payments"]),
        item_ids=sorted(state["items"]),
    )


def discard_pending():
    """Forget what this transaction scheduled (the scale data builds every rollup itself)."""
    _pending.state = None


def _meeting_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        schedule([instance.organization_id], [instance.held_on])


def _payment_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        schedule([instance.branch_id], [instance.paid_on])
        _state()["payments"].add(instance.pk)  # the months it paid are read after the commit


def _remittance_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        from dues.models import period_start

        schedule(
            [instance.branch_id], [period_start(instance.start_period), period_start(instance.end_period)]
        )


def _audit_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created or instance.action != "dues.month.generated":
        return
    period = (instance.data or {}).get("period", "")
    if period:
        _state()["months"].add(period)


def _item_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        closed = timezone.localdate(instance.closed_at) if instance.closed_at else None
        schedule([], [closed])
        _state()["items"].add(instance.pk)  # its units are read after the commit


def _item_units_changed(sender, instance, action, pk_set, **kwargs):
    if action in ("post_add", "post_remove") and pk_set:
        from rectifications.models import Item

        if isinstance(instance, Item):
            schedule(list(pk_set))
        else:
            schedule([instance.pk])


def _member_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.branch_id:
        schedule([instance.branch_id])
        _state()["structure"].add(instance.branch_id)


def connect():
    from audit.models import AuditEntry
    from dues.models import DuesPayment, Remittance
    from meetings.models import Meeting
    from members.models import Member
    from rectifications.models import Item

    uid = "dashboards"
    post_save.connect(_meeting_saved, sender=Meeting, dispatch_uid=f"{uid}.meeting")
    post_delete.connect(_meeting_saved, sender=Meeting, dispatch_uid=f"{uid}.meeting.delete")
    post_save.connect(_payment_saved, sender=DuesPayment, dispatch_uid=f"{uid}.payment")
    post_save.connect(_remittance_saved, sender=Remittance, dispatch_uid=f"{uid}.remittance")
    post_save.connect(_audit_saved, sender=AuditEntry, dispatch_uid=f"{uid}.audit")
    post_save.connect(_item_saved, sender=Item, dispatch_uid=f"{uid}.item")
    m2m_changed.connect(_item_units_changed, sender=Item.units.through, dispatch_uid=f"{uid}.item.units")
    post_save.connect(_member_saved, sender=Member, dispatch_uid=f"{uid}.member")
