"""Reads for the secretary's branch page and the member's page — each a fixed number of queries.

The branch's to-do list: what falls due this week (by today + 7 days, or already late) and the rest
of this month, each with the one action it needs:
- a meeting rule whose window ends this month and is still open (the compliance engine) → record it;
- minutes held but not yet signed and locked → sign them;
- a development step due by the month's end (or overdue) → the person's record;
- this month's dues not yet fully paid (the dues ledger) → the collection grid;
- a rectification item whose monthly update is owed by the month's end → report progress.

The period's compliance card reads the branch's rollup row when it was computed today (the same
figures compliance.metrics gives, one query) and computes them live otherwise. The notifications
card lists the user's own latest in-app notifications (about the branch, on the branch page)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import engine
from compliance.metrics import branch_metrics
from compliance.models import RuleCode
from compliance.periods import MONTH, containing

from .selectors import current_row

WEEK = datetime.timedelta(days=7)
OPEN_ITEMS = 10
NOTIFICATIONS = 5


@dataclass
class Todo:
    kind: str
    title: str
    due: datetime.date | None
    action: str
    url: str
    late: bool = False


def todo(org, user, today=None):
    """{"week": [Todo], "month": [Todo]} for a branch (see the module docstring)."""
    from meetings.models import Meeting, MeetingStatus
    from members.models import Member
    from members.pipeline import STEP_BY_NO
    from rectifications.models import WORKING_STATUSES, Item, RectificationRule

    today = today or timezone.localdate()
    month = containing(MONTH, today)
    items = []
    report = engine.evaluate(org, month, today=today)
    record = reverse("meetings:record_new") + f"?branch={org.pk}"
    for result in report.branches[:1]:
        for rule in result.rule_list:
            for w in rule.windows:
                if w.status == engine.OPEN and w.window.end <= month.end and w.held < w.required:
                    unit = f"（{w.unit}）" if w.unit else ""
                    items.append(
                        Todo(
                            "meeting",
                            _("%(rule)s%(unit)s：应开%(required)s次，已开%(held)s次")
                            % {
                                "rule": RuleCode(rule.code).label,
                                "unit": unit,
                                "required": w.required,
                                "held": w.held,
                            },
                            w.window.end,
                            _("记录会议"),
                            record,
                        )
                    )
    for m in (
        Meeting.objects.filter(organization=org, status=MeetingStatus.HELD, locked_at__isnull=True)
        .only("pk", "kind", "topic", "held_on")
        .order_by("held_on", "pk")[:20]
    ):
        items.append(
            Todo(
                "minutes",
                _("%(topic)s（%(day)s）的会议记录待签字") % {"topic": m.topic, "day": m.held_on},
                m.held_on,
                _("签字"),
                reverse("meetings:detail", args=[m.pk]),
            )
        )
    for person in (
        Member.objects.filter(branch=org, next_step_no__isnull=False, next_step_due__lte=month.end)
        .only("pk", "name", "next_step_no", "next_step_due")
        .order_by("next_step_due", "pk")[:20]
    ):
        step = STEP_BY_NO.get(person.next_step_no)
        items.append(
            Todo(
                "development",
                _("%(name)s：%(step)s") % {"name": person.name, "step": step.name if step else ""},
                person.next_step_due,
                _("办理"),
                reverse("members:detail", args=[person.pk]),
            )
        )
    unpaid = month_dues_unpaid(org, month)
    if unpaid > 0:
        items.append(
            Todo(
                "dues",
                _("本月党费：%(n)s人尚未交齐") % {"n": unpaid},
                month.end,
                _("收缴"),
                reverse("dues:grid", args=[org.pk]),
            )
        )
    due_day = RectificationRule.due_day_for(org, today)
    for item in (
        Item.objects.filter(units=org, status__in=WORKING_STATUSES)
        .select_related("ledger")
        .order_by("deadline", "pk")[:50]
    ):
        due = item.next_update_due(due_day, today)
        if due is not None and due <= month.end:
            items.append(
                Todo(
                    "item",
                    _("整改事项“%(problem)s”本月推进情况") % {"problem": item.problem[:40]},
                    due,
                    _("报送推进情况"),
                    reverse("rectifications:item", args=[item.pk]),
                )
            )
    week, rest = [], []
    for t in sorted(items, key=lambda t: (t.due or month.end, t.kind)):
        t.late = t.due is not None and t.due < today
        (week if t.due is None or t.due <= today + WEEK else rest).append(t)
    return {"week": week, "month": rest}


def month_dues_unpaid(org, month):
    """Member-months of `month` the branch is owed and not paid in full — from the dues ledger's
    summary, as compliance.metrics counts them (one query)."""
    from dues import summary
    from dues.models import period_of

    code = period_of(month.start)
    figures = summary.subtree_totals(org, code, code)
    return figures["owing"] - figures["paid_up"]


def period_row(org, period, today):
    """The branch's compliance.metrics row for `period`: its rollup row when computed today, else
    computed live (a period the rollups do not keep current)."""
    row = current_row(org, period, today)
    if row is None:
        rows = branch_metrics(org, period, today=today).branches
        row = rows[0] if rows else None
    return row


def notifications(user, org=None, n=NOTIFICATIONS):
    """The user's own latest `n` in-app notifications (those about `org` when given), newest
    first, and how many of those are unread — two queries."""
    from notifications.models import Delivery

    qs = Delivery.objects.visible_to(user).inbox()
    if org is not None:
        qs = qs.filter(organization=org)
    latest = list(qs.order_by("-created_at", "-pk").only("pk", "kind", "title", "created_at", "read_at")[:n])
    return {"latest": latest, "unread": qs.filter(read_at__isnull=True).count()}


def open_items(org, today=None):
    """The branch's open rectification items, nearest deadline first, with the overdue flag."""
    from rectifications.models import ACTIVE_STATUSES, Item

    today = today or timezone.localdate()
    qs = (
        Item.objects.filter(units=org, status__in=ACTIVE_STATUSES)
        .select_related("ledger")
        .order_by("deadline", "pk")
    )
    rows = list(qs[:OPEN_ITEMS])
    for row in rows:
        row.late = row.deadline < today
        row.url = reverse("rectifications:item", args=[row.pk])
    return rows


def member_context(member, user, today=None):
    """The member's page: dues (status and what is owed), upcoming meetings, the attendance record,
    action items, rectification items, the development step."""
    from dues import selectors as dues
    from dues.models import period_of
    from meetings.models import ATTENDED_STATUSES, Attendance, Meeting, MeetingStatus
    from meetings.selectors import open_action_items
    from members.pipeline import STEP_BY_NO
    from rectifications.models import ACTIVE_STATUSES, Item

    today = today or timezone.localdate()
    arrears = dues.arrears_for([member.pk], today).get(member.pk, dues.NO_ARREARS)
    this_month = dues.month_grid([member.pk], [period_of(today)], today)[member.pk][0]
    owed_now = arrears.amount + max(this_month.due - this_month.paid, 0)
    where = Q(organization_id=member.branch_id)
    if member.party_group_id:
        where |= Q(party_group_id=member.party_group_id)
    upcoming = list(
        Meeting.objects.filter(where, status=MeetingStatus.PLANNED, planned_on__gte=today)
        .only("pk", "kind", "topic", "planned_on", "place")
        .order_by("planned_on", "pk")[:10]
    )
    record = list(
        Attendance.objects.filter(
            member=member, meeting__status=MeetingStatus.HELD, meeting__held_on__lte=today
        )
        .select_related("meeting")
        .order_by("-meeting__held_on", "-pk")[:12]
    )
    year_start = today.replace(month=1, day=1)
    year_qs = Attendance.objects.filter(
        member=member, expected=True, meeting__status=MeetingStatus.HELD, meeting__held_on__gte=year_start
    )
    counts = year_qs.aggregate(
        expected=Count("pk"), attended=Count("pk", filter=Q(status__in=ATTENDED_STATUSES))
    )
    people = Item.responsible_people.through.objects.filter(member_id=member.pk).values("item_id")
    items = list(
        Item.objects.filter(Q(lead_person_id=member.pk) | Q(pk__in=people), status__in=ACTIVE_STATUSES)
        .select_related("ledger")
        .order_by("deadline", "pk")[:10]
    )
    for item in items:
        item.late = item.deadline < today
    step = STEP_BY_NO.get(member.next_step_no) if member.next_step_no else None
    return {
        "arrears": arrears,
        "this_month": this_month,
        "owed_now": owed_now,
        "upcoming": upcoming,
        "attendance": record,
        "attendance_year": counts,
        "attendance_rate": round(100 * counts["attended"] / counts["expected"])
        if counts["expected"]
        else None,
        "actions": list(open_action_items(user)[:10]),
        "items": items,
        "step": step,
        "step_due": member.next_step_due,
        "step_late": bool(member.next_step_due and member.next_step_due < today),
        "period_code": period_of(today),
    }
