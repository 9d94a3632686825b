"""Who is due a reminder today, rule by rule — read from the apps that own the facts (the compliance
engine, the dues arrears selector, rectification items, the development schedule, transfer letters,
terms). Reads only; `services.reminder_run` claims and sends.

Each case yields `Candidate`s. The period makes a reminder repeatable where it should be (a month's
dues, a window's meeting) and one-off where it should not (a meeting's minutes, a step's deadline).
Stale data is excluded here, at the source: dues only for a month whose obligations were generated
(collection open) and only after the branch's collection day, to active members still in the branch
who owe; minutes only while unlocked; items only while not closed.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import BRANCH_KINDS, CommitteePost, Grant, Organization, PostRole

from .models import Recipients, ReminderKind, ReminderRule

# Defaults written by the migration (editable in admin): kind → (lead days, recipients).
DEFAULT_RULES = {
    ReminderKind.MEETING_MISSING: (7, Recipients.OFFICERS),
    ReminderKind.MINUTES_UNSIGNED: (3, Recipients.OFFICERS),
    ReminderKind.DUES_UNPAID: (0, Recipients.MEMBER),
    ReminderKind.DUES_THREE_MONTHS: (0, Recipients.OFFICERS),
    ReminderKind.DUES_SIX_MONTHS: (0, Recipients.COMMITTEE),
    ReminderKind.RECTIFICATION_DUE: (7, Recipients.RESPONSIBLE),
    ReminderKind.RECTIFICATION_OVERDUE: (0, Recipients.RESPONSIBLE),
    ReminderKind.RECTIFICATION_UPDATE: (3, Recipients.RESPONSIBLE),
    ReminderKind.DEVELOPMENT_DUE: (14, Recipients.OFFICERS),
    ReminderKind.DEVELOPMENT_OVERDUE: (0, Recipients.OFFICERS),
    ReminderKind.TRANSFER_EXPIRING: (14, Recipients.OFFICERS),
    ReminderKind.TERM_ENDING: (183, Recipients.OFFICERS_AND_COMMITTEE),
    ReminderKind.REPORT_READY: (0, Recipients.COMMITTEE),
}
SOURCE = _("提醒规则默认值")


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str
    subject: str
    period: str
    recipient_id: int
    organization_id: int | None
    title: str
    body: str = ""
    url: str = ""


class RuleBook:
    """Every reminder rule row loaded once; per organisation, the most specific row in force."""

    def __init__(self, today):
        self.today = today
        self.rows = defaultdict(list)
        for rule in ReminderRule.objects.filter(effective_from__lte=today).select_related("organization"):
            path = rule.organization.path if rule.organization_id else ""
            self.rows[rule.kind].append((len(path), rule.effective_from, path, rule))
        # A kind with no row at all (an emptied table, a flushed test database) keeps its default.
        for kind, (lead_days, recipients) in DEFAULT_RULES.items():
            if kind not in self.rows:
                default = ReminderRule(kind=kind, lead_days=lead_days, recipients=recipients, enabled=True)
                self.rows[kind].append((0, datetime.date.min, "", default))
        self._memo = {}

    def rule(self, kind, path=""):
        key = (kind, path)
        if key not in self._memo:
            options = [row for row in self.rows.get(kind, ()) if not row[2] or path.startswith(row[2])]
            best = max(options, key=lambda r: (r[0], r[1]), default=None)
            self._memo[key] = best[3] if best else None
        return self._memo[key]

    def enabled(self, kind, path=""):
        rule = self.rule(kind, path)
        return rule if rule is not None and rule.enabled else None

    def any_enabled(self, kind):
        return any(r[3].enabled for r in self.rows.get(kind, ()))


class People:
    """Recipients resolved set-based: officers' logins per branch and committee staff per subtree,
    from two queries whatever the number of branches."""

    def __init__(self, today):
        self.officers = defaultdict(set)
        posts = (
            CommitteePost.objects.current(today)
            .filter(role__in=(PostRole.SECRETARY, PostRole.ORGANIZATION_MEMBER), member__user__isnull=False)
            .values_list("organization_id", "member__user_id")
        )
        for org_id, user_id in posts:
            self.officers[org_id].add(user_id)
        self.staff = defaultdict(set)
        for path, user_id in Grant.objects.values_list("organization__path", "user_id"):
            self.staff[path].add(user_id)
        self._staff_paths = sorted(self.staff, key=len, reverse=True)

    def committee_over(self, path):
        """Staff of the nearest organisation above `path` that has staff (the superior)."""
        for p in self._staff_paths:
            if path.startswith(p) and p != path:
                return self.staff[p]
        return set()

    def resolve(self, recipients, *, org_id, path, member_user_id=None, extra=()):
        users = set(extra)
        if recipients == Recipients.MEMBER and member_user_id:
            users.add(member_user_id)
        if recipients in (Recipients.OFFICERS, Recipients.OFFICERS_AND_COMMITTEE, Recipients.RESPONSIBLE):
            users |= self.officers.get(org_id, set())
        if recipients in (Recipients.COMMITTEE, Recipients.OFFICERS_AND_COMMITTEE):
            users |= self.committee_over(path)
        return users


def _month(day):
    return f"{day:%Y-%m}"


def meeting_missing(ctx):
    """A required meeting still missing N days before its window ends (compliance engine: a window
    still `open`). Once a meeting is locked the window is `met` and nothing more is sent."""
    from compliance import engine, periods

    if not ctx.rules.any_enabled(ReminderKind.MEETING_MISSING):
        return
    today = ctx.today
    period = periods.current("quarter", today)
    for root in Organization.objects.get_root_nodes():
        report = engine.evaluate(root, period, today=today)
        for branch in report.branches:
            rule = ctx.rules.enabled(ReminderKind.MEETING_MISSING, branch.path)
            if rule is None:
                continue
            for result in branch.rules.values():
                for window in result.windows:
                    if window.status != engine.OPEN or window.window.start > today:
                        continue
                    if (window.window.end - today).days > rule.lead_days:
                        continue
                    unit = f" · {window.unit}" if window.unit else ""
                    title = _("%(branch)s：%(rule)s（%(window)s%(unit)s）尚未完成，还需%(n)s次") % {
                        "branch": branch.name,
                        "rule": result.label,
                        "window": window.window.label,
                        "unit": unit,
                        "n": window.required - window.held,
                    }
                    for user_id in ctx.people.resolve(rule.recipients, org_id=branch.id, path=branch.path):
                        yield Candidate(
                            ReminderKind.MEETING_MISSING,
                            f"org:{branch.id}:{result.code}:{window.unit_id or window.unit}",
                            window.window.code,
                            user_id,
                            branch.id,
                            title,
                            _("截止 %(end)s") % {"end": window.window.end},
                            f"{reverse('compliance:overview')}?org={branch.id}&period={period.code}",
                        )


def minutes_unsigned(ctx):
    """Minutes of a held 支委会 / 党员大会 (and other kinds) still unlocked N days after the meeting."""
    from meetings.models import Meeting, MeetingStatus

    if not ctx.rules.any_enabled(ReminderKind.MINUTES_UNSIGNED):
        return
    rows = (
        Meeting.objects.filter(status=MeetingStatus.HELD, locked_at__isnull=True, held_on__isnull=False)
        .filter(held_on__lte=ctx.today)
        .values_list(
            "pk", "organization_id", "organization__path", "organization__name", "topic", "held_on", "kind"
        )
    )
    for pk, org_id, path, org_name, topic, held_on, _kind in rows.iterator(chunk_size=2000):
        r = ctx.rules.enabled(ReminderKind.MINUTES_UNSIGNED, path)
        if r is None or (ctx.today - held_on).days < r.lead_days:
            continue
        title = _("%(org)s %(date)s「%(topic)s」的会议记录尚未签字锁定") % {
            "org": org_name,
            "date": held_on,
            "topic": topic,
        }
        for user_id in ctx.people.resolve(r.recipients, org_id=org_id, path=path):
            yield Candidate(
                ReminderKind.MINUTES_UNSIGNED,
                f"meeting:{pk}",
                "",
                user_id,
                org_id,
                title,
                "",
                reverse("meetings:detail", args=[pk]),
            )


def _dues_members(ctx):
    from members.models import ACTIVE_STATUSES, Member

    return Member.objects.filter(status__in=ACTIVE_STATUSES, branch__kind__in=BRANCH_KINDS)


def _with_month_balance(members, period):
    """Members annotated with the month's charges (`due`) and allocations (`paid`), due > 0."""
    from dues.models import DuesObligation, PaymentAllocation

    money = DecimalField(max_digits=12, decimal_places=2)
    due = (
        DuesObligation.objects.filter(member=OuterRef("pk"), period=period)
        .order_by()
        .values("member")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    paid = (
        PaymentAllocation.objects.filter(member=OuterRef("pk"), period=period)
        .order_by()
        .values("member")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return members.annotate(
        due=Coalesce(Subquery(due, output_field=money), 0, output_field=money),
        paid=Coalesce(Subquery(paid, output_field=money), 0, output_field=money),
    ).filter(due__gt=0)


def owed_this_month(member_id, today=None):
    """What the member still owes for the current month (0 when paid)."""
    from dues.models import FEN, period_of
    from members.models import Member

    row = (
        _with_month_balance(Member.objects.filter(pk=member_id), period_of(today or timezone.localdate()))
        .values_list("due", "paid")
        .first()
    )
    if row is None:
        return Decimal("0.00")
    return max(Decimal("0.00"), (Decimal(str(row[0])) - Decimal(str(row[1]))).quantize(FEN))


def dues_unpaid(ctx):
    """This month's dues still unpaid after the branch's collection day — to the member. Not for a
    month whose obligations were not generated (collection not open), not to someone who paid (the
    month's allocations cover its charges), transferred out or left (status no longer active)."""
    from dues.models import FEN, MonthRun, period_of

    if not ctx.rules.any_enabled(ReminderKind.DUES_UNPAID):
        return
    current = period_of(ctx.today)
    if not MonthRun.objects.filter(period=current).exists():
        return
    rows = _with_month_balance(_dues_members(ctx).filter(user__isnull=False), current).values_list(
        "pk", "user_id", "branch_id", "branch__path", "due", "paid"
    )
    settings_by_branch = {}
    label = _month(ctx.today)
    for pk, user_id, branch_id, path, due_amount, paid_amount in rows.iterator(chunk_size=5000):
        owed = (Decimal(str(due_amount)) - Decimal(str(paid_amount))).quantize(FEN)
        if owed <= 0:
            continue
        rule = ctx.rules.enabled(ReminderKind.DUES_UNPAID, path)
        if rule is None:
            continue
        if branch_id not in settings_by_branch:
            settings_by_branch[branch_id] = ctx.collection_day(branch_id, path)
        if ctx.today.day <= settings_by_branch[branch_id] + rule.lead_days:
            continue
        for uid in ctx.people.resolve(rule.recipients, org_id=branch_id, path=path, member_user_id=user_id):
            yield Candidate(
                ReminderKind.DUES_UNPAID,
                f"member:{pk}",
                label,
                uid,
                branch_id,
                _("%(month)s党费尚未交纳（应交 ¥%(due)s）") % {"month": label, "due": owed},
                "",
                reverse("dues:mine"),
            )


def dues_arrears(ctx):
    """Three months owed → the organising member and the secretary; six consecutive months with
    nothing paid → the committee, with the 自行脱党 review flag (dues.selectors.arrears_for_queryset)."""
    from dues.selectors import arrears_for_queryset
    from members.models import Member

    three = ctx.rules.any_enabled(ReminderKind.DUES_THREE_MONTHS)
    six = ctx.rules.any_enabled(ReminderKind.DUES_SIX_MONTHS)
    if not (three or six):
        return
    members = _dues_members(ctx)
    arrears = arrears_for_queryset(members, ctx.today)
    wanted = [m for m, a in arrears.items() if a.months >= 3 or a.lapse_review]
    label = _month(ctx.today)
    info = {}
    for chunk_start in range(0, len(wanted), 5000):
        chunk = wanted[chunk_start : chunk_start + 5000]
        for row in Member.objects.filter(pk__in=chunk).values(
            "pk", "name", "branch_id", "branch__path", "branch__name"
        ):
            info[row["pk"]] = row
    for member_id in wanted:
        a, row = arrears[member_id], info.get(member_id)
        if row is None:
            continue
        url = reverse("dues:grid", args=[row["branch_id"]])
        if a.months >= 3:
            rule = ctx.rules.enabled(ReminderKind.DUES_THREE_MONTHS, row["branch__path"])
            if rule is not None:
                title = _("%(name)s已欠交党费%(n)s个月（¥%(amount)s，自%(oldest)s起）") % {
                    "name": row["name"],
                    "n": a.months,
                    "amount": a.amount,
                    "oldest": a.oldest_label,
                }
                for uid in ctx.people.resolve(
                    rule.recipients, org_id=row["branch_id"], path=row["branch__path"]
                ):
                    yield Candidate(
                        ReminderKind.DUES_THREE_MONTHS,
                        f"member:{member_id}",
                        label,
                        uid,
                        row["branch_id"],
                        title,
                        "",
                        url,
                    )
        if a.lapse_review:
            rule = ctx.rules.enabled(ReminderKind.DUES_SIX_MONTHS, row["branch__path"])
            if rule is not None:
                title = _("%(branch)s %(name)s连续%(n)s个月未交党费，需启动自行脱党审查（党章第九条）") % {
                    "branch": row["branch__name"],
                    "name": row["name"],
                    "n": a.run,
                }
                for uid in ctx.people.resolve(
                    rule.recipients, org_id=row["branch_id"], path=row["branch__path"]
                ):
                    yield Candidate(
                        ReminderKind.DUES_SIX_MONTHS,
                        f"member:{member_id}",
                        label,
                        uid,
                        row["branch_id"],
                        title,
                        "",
                        url,
                    )


def rectification_items(ctx):
    """Items near their deadline (within N days), overdue (monthly while open) or missing this
    month's update N days before the due day — to the 总负责人, the 责任人 and the units' officers."""
    from rectifications.models import ACTIVE_STATUSES, WORKING_STATUSES, Item
    from rectifications.models.rules import DueDayResolver

    kinds = (
        ReminderKind.RECTIFICATION_DUE,
        ReminderKind.RECTIFICATION_OVERDUE,
        ReminderKind.RECTIFICATION_UPDATE,
    )
    if not any(ctx.rules.any_enabled(k) for k in kinds):
        return
    today = ctx.today
    max_lead = max((r[3].lead_days for r in ctx.rules.rows[ReminderKind.RECTIFICATION_DUE]), default=0)
    items = list(
        Item.objects.filter(status__in=ACTIVE_STATUSES)
        .filter(Q(deadline__lte=today + datetime.timedelta(days=max_lead)) | Q(status__in=WORKING_STATUSES))
        .select_related("ledger__issuer", "lead_person")
        .only(
            "pk",
            "seq",
            "problem",
            "deadline",
            "status",
            "claimed_at",
            "last_update_on",
            "ledger__title",
            "ledger__issuer__path",
            "lead_person__user_id",
        )
    )
    if not items:
        return
    ids = [i.pk for i in items]
    units, people = defaultdict(list), defaultdict(set)
    for item_id, org_id, path in Item.units.through.objects.filter(item_id__in=ids).values_list(
        "item_id", "organization_id", "organization__path"
    ):
        units[item_id].append((org_id, path))
    for item_id, user_id in Item.responsible_people.through.objects.filter(
        item_id__in=ids, member__user__isnull=False
    ).values_list("item_id", "member__user_id"):
        people[item_id].add(user_id)
    due_days = DueDayResolver(today)
    for item in items:
        direct = set(people[item.pk])
        if item.lead_person_id and item.lead_person.user_id:
            direct.add(item.lead_person.user_id)
        targets = units[item.pk] or [(None, item.ledger.issuer.path)]
        short = item.problem[:40]
        url = reverse("rectifications:item", args=[item.pk])
        cases = []
        if item.deadline < today:
            cases.append(
                (
                    ReminderKind.RECTIFICATION_OVERDUE,
                    _month(today),
                    _("整改事项已超期（时限 %(d)s）：%(p)s") % {"d": item.deadline, "p": short},
                    0,
                )
            )
        else:
            cases.append(
                (
                    ReminderKind.RECTIFICATION_DUE,
                    item.deadline.isoformat(),
                    _("整改事项将于 %(d)s 到期：%(p)s") % {"d": item.deadline, "p": short},
                    (item.deadline - today).days,
                )
            )
        for org_id, path in targets:
            for kind, period, title, days_left in cases:
                rule = ctx.rules.enabled(kind, path)
                if rule is None or (kind == ReminderKind.RECTIFICATION_DUE and days_left > rule.lead_days):
                    continue
                for uid in ctx.people.resolve(rule.recipients, org_id=org_id, path=path, extra=direct):
                    yield Candidate(
                        kind, f"item:{item.pk}", period, uid, org_id, title, item.ledger.title, url
                    )
            if item.status in WORKING_STATUSES and org_id is not None:
                rule = ctx.rules.enabled(ReminderKind.RECTIFICATION_UPDATE, path)
                unit = Organization(path=path)
                due = item.next_update_due(due_days.due_day(unit), today)
                if rule is None or due is None or (due - today).days > rule.lead_days:
                    continue
                title = _("请在 %(d)s 前报送本月整改推进情况：%(p)s") % {"d": due, "p": short}
                for uid in ctx.people.resolve(rule.recipients, org_id=org_id, path=path, extra=direct):
                    yield Candidate(
                        ReminderKind.RECTIFICATION_UPDATE,
                        f"item:{item.pk}",
                        due.isoformat(),
                        uid,
                        org_id,
                        title,
                        item.ledger.title,
                        url,
                    )


def development_steps(ctx):
    """A development step coming due within N days, or overdue (the members app's stored schedule:
    next_step_no / next_step_due) — to the branch officers."""
    from members.models import PIPELINE_STATUSES, Member, MemberStatus
    from members.pipeline import STEP_BY_NO

    due_on = ctx.rules.any_enabled(ReminderKind.DEVELOPMENT_DUE)
    over_on = ctx.rules.any_enabled(ReminderKind.DEVELOPMENT_OVERDUE)
    if not (due_on or over_on):
        return
    lead = max((r[3].lead_days for r in ctx.rules.rows[ReminderKind.DEVELOPMENT_DUE]), default=0)
    rows = Member.objects.filter(
        status__in=(*PIPELINE_STATUSES, MemberStatus.PROBATIONARY),
        next_step_no__isnull=False,
        next_step_due__lte=ctx.today + datetime.timedelta(days=lead),
    ).values_list("pk", "name", "branch_id", "branch__path", "next_step_no", "next_step_due")
    for pk, name, branch_id, path, step_no, due in rows.iterator(chunk_size=5000):
        step = STEP_BY_NO.get(step_no)
        step_name = step.name if step else str(step_no)
        if due < ctx.today:
            kind, title = (
                ReminderKind.DEVELOPMENT_OVERDUE,
                _("%(name)s的发展步骤「%(step)s」已超期（期限 %(d)s）"),
            )
        else:
            kind, title = ReminderKind.DEVELOPMENT_DUE, _("%(name)s的发展步骤「%(step)s」将于 %(d)s 到期")
        rule = ctx.rules.enabled(kind, path)
        if rule is None or (kind == ReminderKind.DEVELOPMENT_DUE and (due - ctx.today).days > rule.lead_days):
            continue
        text = title % {"name": name, "step": step_name, "d": due}
        for uid in ctx.people.resolve(rule.recipients, org_id=branch_id, path=path):
            yield Candidate(
                kind,
                f"member:{pk}:step:{step_no}",
                due.isoformat(),
                uid,
                branch_id,
                text,
                "",
                reverse("members:detail", args=[pk]),
            )


def transfer_letters(ctx):
    """A transfer letter about to expire (valid_until within N days) with no receipt — to the
    officers of the branch that issued it."""
    from members.models import Transfer, TransferStatus

    if not ctx.rules.any_enabled(ReminderKind.TRANSFER_EXPIRING):
        return
    lead = max((r[3].lead_days for r in ctx.rules.rows[ReminderKind.TRANSFER_EXPIRING]), default=0)
    rows = Transfer.objects.filter(
        status=TransferStatus.PENDING,
        receipt_on__isnull=True,
        from_branch__isnull=False,
        valid_until__gte=ctx.today,
        valid_until__lte=ctx.today + datetime.timedelta(days=lead),
    ).values_list("pk", "member__name", "from_branch_id", "from_branch__path", "valid_until", "letter_no")
    for pk, name, branch_id, path, until, letter_no in rows:
        rule = ctx.rules.enabled(ReminderKind.TRANSFER_EXPIRING, path)
        if rule is None or (until - ctx.today).days > rule.lead_days:
            continue
        title = _("%(name)s的组织关系介绍信（%(no)s）将于 %(d)s 过期，尚未收到回执") % {
            "name": name,
            "no": letter_no or "—",
            "d": until,
        }
        for uid in ctx.people.resolve(rule.recipients, org_id=branch_id, path=path):
            yield Candidate(
                ReminderKind.TRANSFER_EXPIRING,
                f"transfer:{pk}",
                until.isoformat(),
                uid,
                branch_id,
                title,
                "",
                reverse("members:transfer_detail", args=[pk]),
            )


def term_endings(ctx):
    """A branch committee's term ending within N days (about 6 months: the superior reminds the
    branch to prepare the election, 中组部 practice) — to its officers and the committee above."""
    if not ctx.rules.any_enabled(ReminderKind.TERM_ENDING):
        return
    lead = max((r[3].lead_days for r in ctx.rules.rows[ReminderKind.TERM_ENDING]), default=0)
    rows = Organization.objects.filter(
        kind__in=BRANCH_KINDS,
        term_end__gte=ctx.today,
        term_end__lte=ctx.today + datetime.timedelta(days=lead),
    ).values_list("pk", "name", "path", "term_end")
    for pk, name, path, end in rows:
        rule = ctx.rules.enabled(ReminderKind.TERM_ENDING, path)
        if rule is None or (end - ctx.today).days > rule.lead_days:
            continue
        title = _("%(org)s本届委员会任期将于 %(d)s 届满，请做好换届准备") % {"org": name, "d": end}
        for uid in ctx.people.resolve(rule.recipients, org_id=pk, path=path):
            yield Candidate(
                ReminderKind.TERM_ENDING,
                f"org:{pk}",
                end.isoformat(),
                uid,
                pk,
                title,
                "",
                reverse("orgs:detail", args=[pk]),
            )


CASES = (
    meeting_missing,
    minutes_unsigned,
    dues_unpaid,
    dues_arrears,
    rectification_items,
    development_steps,
    transfer_letters,
    term_endings,
)


class Context:
    def __init__(self, today=None):
        self.today = today or timezone.localdate()
        self.rules = RuleBook(self.today)
        self.people = People(self.today)
        self._collection = None

    def collection_day(self, branch_id, path):
        """The branch's collection day (dues BranchDuesSetting, most specific row in force)."""
        from dues.models import BranchDuesSetting

        if self._collection is None:
            self._collection = [
                (r.organization.path if r.organization_id else "", r.effective_from, r.collection_day)
                for r in BranchDuesSetting.objects.filter(effective_from__lte=self.today).select_related(
                    "organization"
                )
            ]
        options = [(len(p), start, day) for p, start, day in self._collection if not p or path.startswith(p)]
        return max(options)[2] if options else BranchDuesSetting._meta.get_field("collection_day").default


def candidates(today=None):
    ctx = Context(today)
    for case in CASES:
        yield from case(ctx)
