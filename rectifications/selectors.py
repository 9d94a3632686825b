"""Reads for the ledger pages, the export and the API: the paper layout's rows and filters, ledger
summaries, an item's timeline and the overdue escalation — each a fixed number of queries."""

import datetime
import re

from django.db.models import BooleanField, Count, F, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import BRANCH_KINDS, Organization, OrgKind

from .models import ACTIVE_STATUSES, Item, ItemStatus, ItemTransition, Measure, ProgressUpdate
from .models.ledger import update_due_on
from .models.rules import DueDayResolver

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


# The paper layout's rows (`table_rows`): the item's own columns, then one query each for its
# measures, units, people and newest progress update.
ROW_FIELDS = (
    "id",
    "seq",
    "category",
    "problem",
    "deadline",
    "status",
    "return_count",
    "last_update_on",
    "claimed_at",
    "lead_person_id",
    "lead_person__name",
    "ledger__title",
    "ledger__issuer__path",
    "is_overdue",
)


def table_rows(qs, today=None):
    """The paper layout's rows as plain dicts: `qs` a page of
    `Item.objects.with_overdue(today).values(*ROW_FIELDS)`, each row given its `measures`
    [(seq, text)], `units` [name], `people` [(member id, name)], `latest` (the newest progress
    update's (on, text), or None), `update_due` and `update_is_late` (the monthly report) and
    `days_late`. A fixed number of queries whatever the rows (none for an empty page): the rows,
    then one each for measures, units, people and progress updates — values, no model instances
    (a page of 50 items made some 500)."""
    today = today or timezone.localdate()
    rows = list(qs)
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    measures, units, people, latest = {}, {}, {}, {}
    for item_id, seq, text in (
        Measure.objects.filter(item_id__in=ids).order_by("seq", "pk").values_list("item_id", "seq", "text")
    ):
        measures.setdefault(item_id, []).append((seq, text))
    for item_id, name in (
        Item.units.through.objects.filter(item_id__in=ids)
        .order_by("organization__path")
        .values_list("item_id", "organization__name")
    ):
        units.setdefault(item_id, []).append(name)
    for item_id, member_id, name in (
        Item.responsible_people.through.objects.filter(item_id__in=ids)
        .order_by("member__branch__path", "member__name", "member_id")  # Member's order
        .values_list("item_id", "member_id", "member__name")
    ):
        people.setdefault(item_id, []).append((member_id, name))
    for item_id, on, text in (
        ProgressUpdate.objects.filter(item_id__in=ids)
        .order_by("-on", "-pk")
        .values_list("item_id", "on", "text")
    ):
        latest.setdefault(item_id, (on, text))
    resolver = DueDayResolver(today)
    for row in rows:
        pk = row["id"]
        due_day = resolver.due_day_at(row["ledger__issuer__path"])
        due = update_due_on(row["status"], row["last_update_on"], row["claimed_at"], due_day, today)
        row.update(
            measures=measures.get(pk, ()),
            units=units.get(pk, ()),
            people=people.get(pk, ()),
            latest=latest.get(pk),
            update_due=due,
            update_is_late=due is not None and due < today,
            days_late=(today - row["deadline"]).days if row["is_overdue"] else 0,
        )
    return rows


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


FILTER_UNITS = 300  # the 责任单位 filter's choices at most
# From this many items, a ledger's filter units are found by walking its issuer's subtree in path
# order (see filter_units).
WALK_FROM_ITEMS = 1000


def filter_units(qs, *, ledger=None, total=None, limit=FILTER_UNITS):
    """(id, name) of the responsible units of the items `qs`, in path order, `limit` at most.

    `ledger`: the ledger `qs` holds every item of (its issuer's editors see them all), or None.
    For such a ledger of `total` ≥ WALK_FROM_ITEMS items the organisations of its issuer's subtree
    are walked in path order and each is kept when it is a unit of one of the items, until `limit`
    are found: a scalar subquery per organisation, which PostgreSQL cannot turn into a semi-join
    over every unit row (the root's 10,000-item ledger at tier M: 4,745 units of 10,239 rows,
    14 ms hashed, 5 ms walked). Units outside the subtree (moved elsewhere since the item was
    made) are added by the plain semi-join when the subtree leaves room. A small ledger, or a
    part of one, or items of several ledgers take the semi-join alone: there the walk could cross
    a whole subtree to find a handful of units."""
    links = Item.units.through.objects
    semi_join = Organization.objects.filter(pk__in=links.filter(item__in=qs).values("organization_id"))
    if ledger is None or total is None or total < WALK_FROM_ITEMS:
        return list(semi_join.order_by("path").values_list("pk", "name")[:limit])
    issuer = ledger.issuer
    one = links.filter(organization_id=OuterRef("pk"), item__in=qs).annotate(one=Value(True))
    inside = (
        Organization.objects.filter(path__startswith=issuer.path)
        .annotate(is_unit=Subquery(one.values("one")[:1], output_field=BooleanField()))
        .filter(is_unit=True)
        .order_by("path")
        .values_list("path", "pk", "name")[:limit]
    )
    found = list(inside)
    if len(found) < limit and issuer.depth > 1:  # under the root nothing lies outside
        outside = semi_join.exclude(path__startswith=issuer.path).order_by("path")
        found = sorted([*found, *outside.values_list("path", "pk", "name")[: limit - len(found)]])
    return [(pk, name) for _path, pk, name in found[:limit]]


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


def ledger_summary(ledger, items, today=None):
    """One ledger's counts (as `with_counts`) and its categories (as `categories`) from one
    aggregate per category over `items` (its visible items): one index-only scan of the
    (ledger, category) index instead of two. Returns (ledger, categories)."""
    today = today or timezone.localdate()
    rows = list(items.order_by("category").values("category").annotate(**_counts(today)))
    _set_counts(ledger, {key: sum(r[key] for r in rows) for key in COUNT_KEYS})
    return ledger, [r["category"] for r in rows if r["category"]][:100]  # in the database's order


COUNT_KEYS = ("total", "closed", "overdue", "waiting")  # what `_counts` counts


def _set_counts(ledger, counts):
    """The ledger's item_total / item_closed / item_overdue / item_waiting from `_counts` figures."""
    for key in COUNT_KEYS:
        setattr(ledger, f"item_{key}", counts.get(key, 0))


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
        _set_counts(ledger, counts.get(ledger.pk, {}))
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


# The item form's choices. The form validates against these; the pickers search within them (and
# within what the user may see), a bounded number of rows at a time.
PICK_LIMIT = 20
DATE_QUERY = re.compile(r"^(\d{4})(?:[-./年](\d{1,2})(?:[-./月](\d{1,2})日?)?月?)?年?$")


def unit_choices(issuer):
    """Responsible units: the issuer's subtree; a committee's party groups are too small to own an
    item (a branch may hand one to its own 党小组)."""
    units = Organization.objects.filter(path__startswith=issuer.path)
    if issuer.kind not in BRANCH_KINDS:
        units = units.exclude(kind=OrgKind.PARTY_GROUP)
    return units.order_by("path")


def people_choices(issuer, unit_paths):
    """Active members of the chosen units (none until a unit is chosen)."""
    from members.models import Member

    if not unit_paths:
        return Member.objects.none()
    within = Q()
    for path in unit_paths:
        within |= Q(branch__path__startswith=path)
    return (
        Member.objects.active()
        .filter(branch__path__startswith=issuer.path)
        .filter(within)
        .select_related("branch")
        .order_by("branch__path", "name", "pk")
    )


def meeting_choices(issuer):
    from meetings.models import Meeting

    return (
        Meeting.objects.filter(organization__path__startswith=issuer.path)
        .select_related("organization")
        .order_by(F("held_on").desc(nulls_last=True), "-pk")
    )


def _limited(qs):
    """One query: PICK_LIMIT rows and whether there are more."""
    rows = list(qs[: PICK_LIMIT + 1])
    return rows[:PICK_LIMIT], len(rows) > PICK_LIMIT


def pick_units(qs, text, *, issuer):
    """Name or short name contains, or the 组织代码 starts with, the text; with no text the issuer
    and its direct children (the usual choice), in tree order."""
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__istartswith=text))
    else:
        qs = qs.filter(depth__lte=issuer.depth + 1)
    return _limited(qs.order_by("path"))


def pick_people(qs, text):
    """The roster's search (name, pinyin initials, 身份证号 tail), by branch then name."""
    from members.selectors import search_q

    return _limited(qs.filter(search_q(text)))


def _date_range(text):
    match = DATE_QUERY.match(text)
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day:
            start = end = datetime.date(year, month, day)
        elif month:
            start = datetime.date(year, month, 1)
            end = (start + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
        else:
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        return None
    return start, end


def pick_meetings(qs, text):
    """A date (2026, 2026-03, 2026-03-05) picks the meetings held then; other text matches the
    topic or the organisation's name. Newest first."""
    text = (text or "").strip()
    days = _date_range(text)
    if days:
        qs = qs.filter(held_on__range=days)
    elif text:
        qs = qs.filter(Q(topic__icontains=text) | Q(organization__name__icontains=text))
    return _limited(qs)
