"""Reads for the ledger pages, the export and the API: the paper layout's rows and filters, ledger
summaries, an item's timeline and the overdue escalation — each a fixed number of queries."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ACTIVE_STATUSES, Item, ItemStatus, ItemTransition, ProgressUpdate

PAPER_COLUMNS = (
    _("序号"),
    _("问题"),
    _("整改措施"),
    _("责任人"),
    _("责任单位"),
    _("整改时限"),
    _("推进情况"),
    _("状态"),
)


def items_table(qs, *, status="", overdue="", unit=None, category="", today=None, user=None):
    """The ledger's filters: status, overdue (past the deadline, not closed), a responsible unit
    (its subtree), a category."""
    today = today or timezone.localdate()
    if status in ItemStatus.values:
        qs = qs.filter(status=status)
    if overdue in ("1", "true", True):
        qs = qs.overdue(today)
    if unit is not None:
        from branches.models import Organization

        orgs = Organization.objects.visible_to(user) if user is not None else Organization.objects.all()
        anchor = orgs.filter(pk=unit).values_list("path", flat=True).first()
        if anchor is None:
            return qs.none()
        units = Item.units.through.objects.filter(organization__path__startswith=anchor)
        qs = qs.filter(pk__in=units.values("item_id"))
    if category:
        qs = qs.filter(category=category)
    return qs


def people_text(item):
    lead = item.lead_person.name if item.lead_person_id else ""
    others = "、".join(m.name for m in item.responsible_people.all() if m.pk != item.lead_person_id)
    if lead and others:
        return _("总负责人：%(lead)s；责任人：%(others)s") % {"lead": lead, "others": others}
    if lead:
        return _("总负责人：%(lead)s") % {"lead": lead}
    return others


def units_text(item):
    return "、".join(u.name for u in item.units.all())


def measures_text(item):
    return "\n".join(f"{m.seq}. {m.text}" for m in item.measures.all())


def progress_text(item):
    latest = item.latest_update
    return f"{latest.on:%Y-%m-%d} {latest.text}" if latest else ""


def paper_row(item, today, *, overdue_label=""):
    status = str(item.get_status_display())
    if item.is_overdue:
        status += str(overdue_label)
    return [
        item.seq,
        item.problem,
        measures_text(item),
        str(people_text(item)),
        units_text(item),
        item.deadline,
        progress_text(item),
        status,
    ]


def categories(qs):
    return list(
        qs.exclude(category="").order_by("category").values_list("category", flat=True).distinct()[:100]
    )


def _counts(today):
    return {
        "total": Count("pk"),
        "closed": Count("pk", filter=Q(status=ItemStatus.CLOSED)),
        "overdue": Count("pk", filter=Q(deadline__lt=today, status__in=ACTIVE_STATUSES)),
        "waiting": Count("pk", filter=Q(status=ItemStatus.CLOSEOUT_REQUESTED)),
    }


def with_counts(ledgers, user, today=None, *, items=None):
    """Attach to each ledger (a page of them) the counts of the items the user may see in it —
    total, closed, overdue, waiting for verification — from one aggregate query (over `items`,
    the visible items of those ledgers, when the caller has them: `Item.objects.in_ledger`)."""
    today = today or timezone.localdate()
    ledgers = list(ledgers)
    if items is None:
        items = Item.objects.visible_to(user).filter(ledger_id__in=[lg.pk for lg in ledgers])
    rows = items.order_by().values("ledger_id").annotate(**_counts(today))
    counts = {r["ledger_id"]: r for r in rows} if ledgers else {}
    for ledger in ledgers:
        c = counts.get(ledger.pk, {})
        ledger.item_total = c.get("total", 0)
        ledger.item_closed = c.get("closed", 0)
        ledger.item_overdue = c.get("overdue", 0)
        ledger.item_waiting = c.get("waiting", 0)
    return ledgers


def timeline(item):
    """The item's moves and progress reports, newest first: (when, kind, title, text, who, extra)."""
    events = []
    for t in ItemTransition.objects.filter(item=item).select_related("by"):
        if t.action == "progressed":
            continue  # shown with its report below
        events.append((t.at, "transition", t.get_action_display(), t.reason, t.by, t))
    for u in ProgressUpdate.objects.filter(item=item).select_related("by").prefetch_related("evidence"):
        events.append((u.created_at, "progress", _("报送推进情况"), u.text, u.by, u))
    events.sort(key=lambda e: e[0], reverse=True)
    return events


def overdue_for_issuer(user, org, today=None, limit=10):
    """Escalation on the issuing organisation's page: its subtree's overdue items, oldest
    deadline first, and how many there are (two queries)."""
    today = today or timezone.localdate()
    qs = Item.objects.visible_to(user).filter(ledger__issuer__path__startswith=org.path).overdue(today)
    total = qs.count()
    if not total:
        return [], 0
    rows = list(qs.select_related("ledger").prefetch_related("units").order_by("deadline", "pk")[:limit])
    for row in rows:
        row.days_late = (today - row.deadline).days
    return rows, total
