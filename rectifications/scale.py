"""Scale data for rectification ledgers: tier M ≈ 50,000 items, tier S proportionally (≈ 800),
over the generated tree.

Every committee and 党总支 issues ledgers (巡察, 明察暗访, 组织生活会检视, …) dated over the past
18 months with a 3–6-month deadline; each branch gets items from the ledgers of the organisations
above it. The status mix follows the ledger's age: most items of old ledgers are closed (销号),
recent ones are still open, claimed or in progress, some wait for verification; about one in seven
is past its deadline and not closed (overdue). Items have 1–3 measures, the branch as responsible
unit, its secretary as 总负责人, progress updates and the transitions that got them where they are.
Rows go in with bulk_create in batches (no audit signals: generated rows carry no trail)."""

import datetime
from collections import defaultdict

from django.db import connection
from django.utils import timezone

from branches.models import CommitteePost, Organization, OrgKind, PostRole

from .models import (
    Item,
    ItemStatus,
    ItemTransition,
    Ledger,
    LedgerSource,
    Measure,
    ProgressUpdate,
    ResolutionLevel,
)

SIZES = {"S": 800, "M": 50_000}
BATCH = 5_000
SOURCES = (
    LedgerSource.INSPECTION,
    LedgerSource.UNANNOUNCED_VISIT,
    LedgerSource.LIFE_REVIEW,
    LedgerSource.SUPERIOR_FEEDBACK,
    LedgerSource.DEMOCRATIC_APPRAISAL,
)
CATEGORIES = ("思想建设", "组织建设", "作风建设", "纪律建设", "制度建设", "阵地建设", "党员教育管理")
PROBLEMS = (
    "三会一课记录不规范，部分会议无记录人签字",
    "党费收缴不及时，个别党员连续3个月未交纳",
    "主题党日活动形式单一，党员参与度不高",
    "发展党员程序不规范，考察材料不全",
    "组织生活会批评与自我批评辣味不足",
    "党员活动阵地利用率低",
    "谈心谈话开展不经常",
    "流动党员管理不到位，联系不畅",
    "支部委员分工不明确",
    "理论学习流于形式，缺少研讨交流",
)
MEASURES = (
    "对照规定逐项补齐记录，支部书记签字确认",
    "建立月度检查制度，由组织委员负责督促",
    "开展专题培训，提高支委业务能力",
    "建立问题台账，逐项整改销号",
    "每季度向上级党组织报告整改进展",
)


def _status(rng, age_days, overdue_share=0.14):
    """Older ledgers have mostly closed items; about 14% of all items end up overdue."""
    closed_share = min(0.85, max(0.1, age_days / 500))
    r = rng.random()
    if r < closed_share:
        return ItemStatus.CLOSED
    r = rng.random()
    if r < 0.12:
        return ItemStatus.OPEN
    if r < 0.25:
        return ItemStatus.CLAIMED
    if r < 0.8:
        return ItemStatus.IN_PROGRESS
    return ItemStatus.CLOSEOUT_REQUESTED


def generate(ctx):
    root, rng, tier = ctx["root"], ctx["rng"], ctx["tier"]
    today = timezone.localdate()
    now = timezone.now()
    issuers = list(
        Organization.objects.filter(
            path__startswith=root.path, kind__in=(OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH)
        ).order_by("path")
    )
    branches = list(
        Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH).values_list("pk", "path")
    )
    if not branches:
        return "no branches: no ledgers"
    secretaries = dict(
        CommitteePost.objects.current()
        .filter(organization__path__startswith=root.path, role=PostRole.SECRETARY)
        .values_list("organization_id", "member_id")
    )
    ledgers = []
    for org in issuers:
        count = 2 if org.kind == OrgKind.COMMITTEE else 1
        for n in range(count):
            issued = today - datetime.timedelta(days=rng.randint(20, 540))
            deadline = issued + datetime.timedelta(days=rng.choice((90, 120, 150, 180)))
            source = SOURCES[(len(ledgers) + n) % len(SOURCES)]
            ledgers.append(
                Ledger(
                    issuer=org,
                    source=source,
                    title=f"{issued.year}年{org.short_name or org.name}{LedgerSource(source).label}问题整改台账",
                    issued_on=issued,
                    deadline=deadline,
                )
            )
    Ledger.objects.bulk_create(ledgers, batch_size=BATCH)
    by_path = defaultdict(list)
    for ledger in ledgers:
        by_path[ledger.issuer.path].append(ledger)

    per_branch = SIZES[tier] / len(branches)
    seqs = defaultdict(int)
    counts = defaultdict(int)
    pending = []
    carry = 0.0
    for branch_id, path in branches:
        above = [
            lg
            for p in range(len(path) - Organization.steplen, 0, -Organization.steplen)
            for lg in by_path[path[:p]]
        ]
        carry += per_branch
        n, carry = int(carry), carry - int(carry)
        for _ in range(n):
            ledger = rng.choice(above)
            seqs[ledger.pk] += 1
            age = (today - ledger.issued_on).days
            status = _status(rng, age)
            deadline = ledger.deadline - datetime.timedelta(days=rng.choice((0, 0, 15, 30)))
            if status != ItemStatus.CLOSED and rng.random() < 0.3 and deadline < today:
                # Some laggards already reported done: waiting for verification while overdue.
                status = ItemStatus.CLOSEOUT_REQUESTED
            pending.append((ledger, seqs[ledger.pk], branch_id, status, deadline, age))
            counts[status] += 1
            if len(pending) >= BATCH:
                _insert(pending, secretaries, rng, today, now, counts)
                pending = []
    if pending:
        _insert(pending, secretaries, rng, today, now, counts)
    _analyze()
    overdue = Item.objects.filter(ledger__issuer__path__startswith=root.path).overdue(today).count()
    mix = ", ".join(f"{s.value} {counts[s]}" for s in ItemStatus)
    return (
        f"{len(ledgers)} ledgers, {sum(counts[s] for s in ItemStatus)} items ({mix}; {overdue} overdue); "
        f"{counts['measures']} measures, {counts['updates']} progress updates, {counts['transitions']} transitions"
    )


def _insert(pending, secretaries, rng, today, now, counts):
    items = []
    for ledger, seq, branch_id, status, deadline, age in pending:
        issued = datetime.datetime.combine(ledger.issued_on, datetime.time(9), tzinfo=now.tzinfo)
        claimed_at = (
            issued + datetime.timedelta(days=rng.randint(1, 10)) if status != ItemStatus.OPEN else None
        )
        closed_at = None
        if status == ItemStatus.CLOSED:
            closed_at = min(now, issued + datetime.timedelta(days=rng.randint(30, max(31, age))))
        last_update = None
        if status in (ItemStatus.IN_PROGRESS, ItemStatus.CLOSEOUT_REQUESTED, ItemStatus.CLOSED):
            last_update = min(today, (claimed_at + datetime.timedelta(days=rng.randint(5, 60))).date())
        items.append(
            Item(
                ledger=ledger,
                seq=seq,
                category=rng.choice(CATEGORIES),
                problem=rng.choice(PROBLEMS),
                lead_person_id=secretaries.get(branch_id),
                deadline=max(deadline, ledger.issued_on),
                resolution_level=rng.choice(ResolutionLevel.values),
                status=status,
                claimed_at=claimed_at,
                last_update_on=last_update,
                closeout_requested_at=closed_at - datetime.timedelta(days=3)
                if closed_at
                else (now if status == ItemStatus.CLOSEOUT_REQUESTED else None),
                closed_at=closed_at,
            )
        )
    Item.objects.bulk_create(items, batch_size=BATCH)
    units = Item.units.through
    unit_rows, measures, updates, transitions = [], [], [], []
    for item, (_, _, branch_id, status, _, _) in zip(items, pending, strict=True):
        unit_rows.append(units(item_id=item.pk, organization_id=branch_id))
        for m in range(rng.randint(1, 3)):
            measures.append(Measure(item_id=item.pk, seq=m + 1, text=MEASURES[(item.pk + m) % len(MEASURES)]))
        transitions.append(
            ItemTransition(item_id=item.pk, action="created", to_status="open", at=item.claimed_at or now)
        )
        if item.claimed_at:
            transitions.append(
                ItemTransition(
                    item_id=item.pk,
                    action="claimed",
                    from_status="open",
                    to_status="claimed",
                    at=item.claimed_at,
                )
            )
        if item.last_update_on:
            updates.append(
                ProgressUpdate(
                    item_id=item.pk, on=item.last_update_on, text="按计划推进，已完成阶段性整改任务"
                )
            )
            transitions.append(
                ItemTransition(
                    item_id=item.pk,
                    action="progressed",
                    from_status="claimed",
                    to_status="in_progress",
                    at=item.claimed_at,
                )
            )
        if status in (ItemStatus.CLOSEOUT_REQUESTED, ItemStatus.CLOSED):
            transitions.append(
                ItemTransition(
                    item_id=item.pk,
                    action="closeout_requested",
                    from_status="in_progress",
                    to_status="closeout_requested",
                    at=item.closeout_requested_at,
                )
            )
        if status == ItemStatus.CLOSED:
            transitions.append(
                ItemTransition(
                    item_id=item.pk,
                    action="verified",
                    from_status="closeout_requested",
                    to_status="closed",
                    at=item.closed_at,
                )
            )
    units.objects.bulk_create(unit_rows, batch_size=BATCH)
    Measure.objects.bulk_create(measures, batch_size=BATCH)
    ProgressUpdate.objects.bulk_create(updates, batch_size=BATCH)
    ItemTransition.objects.bulk_create(transitions, batch_size=BATCH)
    counts["measures"] += len(measures)
    counts["updates"] += len(updates)
    counts["transitions"] += len(transitions)


def _analyze():
    """Fresh statistics for the planner: right after a bulk load PostgreSQL still believes the
    tables are empty and picks nested loops that take minutes (autovacuum gets there later)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (
            Ledger,
            Item,
            Item.units.through,
            Item.responsible_people.through,
            Measure,
            ProgressUpdate,
            ItemTransition,
        ):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def delete(ctx):
    """Remove the generated ledgers and all that hangs off them in bulk SQL (no per-row audit)."""
    from members.scale import _purge

    _purge(Ledger.objects.filter(issuer__path__startswith=ctx["root"].path))
