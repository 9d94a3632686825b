"""Scale data for meetings: three years of 三会一课 with attendance over the generated branches.

Tier M (5,400 branches, 300,000 people): three years (36 months to the end of last month) —
≈ 0.7 million meetings and ≈ 22.6 million attendance rows, about 6 minutes on two cores with
PostgreSQL (COPY; the deferred foreign-key checks at commit are a good part of it). Tier S (≈ 90
branches, 5,000 people) keeps 12 months so that the test suite, which generates it often, stays
fast. `SCALE_MEETING_MONTHS` (environment) sets the history for either tier.

Realistic compliance: about 70% of branches hold nearly every meeting they owe, 22% miss some and
8% (weak branches more often) miss many; half the 主题党日 are combined with another meeting that
month; about 93% of minutes are signed and locked within a week, 4% weeks later (补录) and the rest
stay unsigned. Everyone expected is on the sheet (branch meetings: every full and probationary
member; 党小组会: the group; 支委会: the committee); most attend, mobile members seldom, and about
one in a hundred never does (the 6-month flag has something to find).

Rows go in by COPY on PostgreSQL and by executemany elsewhere, with ids assigned here (the
sequences are moved past them at the end); the column lists come from the models, so a field
added later with a default is filled with it."""

import datetime
import io
import os
from collections import defaultdict

from django.db import connection
from django.utils import timezone

from branches.models import CommitteePost, Organization, OrgKind, PostRole
from members.development import add_months
from members.models import ACTIVE_STATUSES, Member, MemberStatus
from partyaffairs.bulkload import indexes_deferred

from .models import (
    Attendance,
    AttendanceStatus,
    LecturerType,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinutesState,
    Talk,
    TalkPairType,
)

# The attendance columns that differ from row to row (the rest keep their defaults).
ATTENDANCE_VARYING = ("id", "meeting_id", "member_id", "status", "reason", "has_vote", "quorum_excluded")
MONTHS = {"S": 12, "M": 36}  # history generated per tier (months before the current one)
PROFILES = ((0.97, 70), (0.85, 22), (0.55, 8))  # chance of holding an owed meeting, share of branches
TOPICS = {
    MeetingKind.GENERAL_MEETING: "学习贯彻上级精神，研究支部重要事项",
    MeetingKind.COMMITTEE_MEETING: "研究本月支部工作安排",
    MeetingKind.GROUP_MEETING: "党小组学习讨论",
    MeetingKind.PARTY_LECTURE: "专题党课",
    MeetingKind.THEMED_DAY: "主题党日活动",
    MeetingKind.ORG_LIFE: "年度组织生活会",
    MeetingKind.APPRAISAL: "民主评议党员",
}
LECTURERS = (
    (LecturerType.BRANCH_SECRETARY, 40),
    (LecturerType.SUPERIOR_LEADER, 25),
    (LecturerType.PARTY_SCHOOL, 20),
    (LecturerType.OTHER, 15),
)


def _text(value):
    """One value in COPY's text format."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value:
            return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")
        return value
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return _text(str(value))


class _Table:
    """Rows for one model as tuples in the order of its concrete columns, defaults pre-filled.

    `add(**values)` takes any columns. `add_varying(*values)` is the fast path for tables of many
    millions of rows (attendance): only the columns named in `varying` change from row to row, in
    that order, and their values need no escaping (ints, bools, plain words); on PostgreSQL each
    row is then one %-format of a line whose other columns were rendered once."""

    def __init__(self, model, now, varying=()):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.varying = [self.index[name] for name in varying]
        defaults = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append(now)
            elif f.has_default():
                defaults.append(f.get_default())
            else:
                defaults.append(None if f.null else "")
        self.defaults = defaults
        self.rows = []
        self.varying_rows = []
        parts = [_text(value).replace("%", "%%") for value in defaults]
        for i in self.varying:
            parts[i] = "%s"
        self.line = "\t".join(parts) + "\n"

    def add(self, **values):
        row = list(self.defaults)
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(row)

    def add_varying(self, *values):
        self.varying_rows.append(values)

    def _full_rows(self):
        """The fast path's rows as whole rows (for executemany)."""
        for values in self.varying_rows:
            row = list(self.defaults)
            for i, value in zip(self.varying, values, strict=True):
                row[i] = value
            yield row

    def flush(self):
        if not self.rows and not self.varying_rows:
            return 0
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                buffer.writelines("\t".join(map(_text, row)) + "\n" for row in self.rows)
                line = self.line
                buffer.writelines([line % values for values in self.varying_rows])
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buffer)
            else:
                adapters = {
                    "DateTimeField": connection.ops.adapt_datetimefield_value,
                    "DateField": connection.ops.adapt_datefield_value,
                    "TimeField": connection.ops.adapt_timefield_value,
                }
                convert = [
                    (i, adapters[f.get_internal_type()])
                    for i, f in enumerate(self.fields)
                    if f.get_internal_type() in adapters
                ]
                self.rows.extend(self._full_rows())
                for row in self.rows:
                    for i, adapt in convert:
                        row[i] = adapt(row[i])
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", self.rows)
        count = len(self.rows) + (len(self.varying_rows) if connection.vendor == "postgresql" else 0)
        self.rows, self.varying_rows = [], []
        return count


def _next_id(model):
    last = model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequences(*models):
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))"
            )


class _Generator:
    def __init__(self, ctx):
        self.rng = ctx["rng"]
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.meetings = _Table(Meeting, self.now)
        self.attendance = _Table(Attendance, self.now, varying=ATTENDANCE_VARYING)
        self.meeting_id = _next_id(Meeting)
        self.attendance_id = _next_id(Attendance)
        self.counts = defaultdict(int)

    def moment(self, day, hour):
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=self.tz)

    def day_in(self, month_start, low=1, high=28):
        return month_start.replace(day=self.rng.randint(low, high))

    def branch(self, branch, people, groups, posts, months):
        rng = self.rng
        p = _weighted(rng, PROFILES) * (0.85 if branch["is_weak"] else 1)
        active = [m for m in people if m[1] in ACTIVE_STATUSES]
        if not active:
            return
        full = [m for m in active if m[1] == MemberStatus.FULL]
        secretary, organizer = (
            posts.get((branch["pk"], PostRole.SECRETARY)),
            posts.get((branch["pk"], PostRole.ORGANIZATION_MEMBER)),
        )
        committee = list(full[:5]) if len(full) >= 7 else []
        by_group = defaultdict(list)
        for m in active:
            if m[3]:
                by_group[m[3]].append(m)
        themed_day = rng.randint(3, 25)
        for month_start in months:
            quarter_month = (month_start.month - 1) % 3 == rng.randint(0, 2)
            owed = []  # (kind, group, attendees, day)
            if quarter_month and rng.random() < p:
                owed.append((MeetingKind.GENERAL_MEETING, None, active, self.day_in(month_start)))
            if (month_start.month % 3 == 2) and rng.random() < p:
                owed.append((MeetingKind.PARTY_LECTURE, None, active, self.day_in(month_start)))
            if month_start.month == 12 and rng.random() < p:
                day = self.day_in(month_start, 5, 26)
                owed.append((MeetingKind.ORG_LIFE, None, active, day))
                if rng.random() < p:
                    owed.append((MeetingKind.APPRAISAL, None, active, day))
            if committee and rng.random() < p:
                owed.append((MeetingKind.COMMITTEE_MEETING, None, committee, self.day_in(month_start)))
            for group_id in groups:
                if rng.random() < p:
                    owed.append(
                        (MeetingKind.GROUP_MEETING, group_id, by_group[group_id], self.day_in(month_start))
                    )
            themed = rng.random() < p
            combinable = [i for i, o in enumerate(owed) if o[2] is active]
            combined = None
            if themed and combinable and rng.random() < 0.6:
                combined = rng.choice(combinable)
            elif themed:
                owed.append((MeetingKind.THEMED_DAY, None, active, month_start.replace(day=themed_day)))
            for i, (kind, group_id, attendees, day) in enumerate(owed):
                if day >= self.today:
                    continue
                self.meeting(branch, kind, group_id, attendees, day, i == combined, secretary, organizer)

    def meeting(self, branch, kind, group_id, attendees, day, themed, secretary, organizer):
        rng = self.rng
        pk = self.meeting_id
        self.meeting_id += 1
        roll = rng.random()
        if roll < 0.93:
            locked_on = day + datetime.timedelta(days=rng.randint(0, 6))
        elif roll < 0.97:
            locked_on = day + datetime.timedelta(days=rng.randint(15, 45))
        else:
            locked_on = None
        if locked_on is not None and locked_on >= self.today:
            locked_on = None
        locked = self.moment(locked_on, 17) if locked_on else None
        if locked is None:
            state = MinutesState.DRAFT
        elif locked_on < self.today - datetime.timedelta(days=120):
            state = MinutesState.ACCEPTED
        else:
            state = MinutesState.LOCKED
        present = 0
        voting_expected = voting_present = 0
        for member_id, status, mobile, _group, lost, excluded in attendees:
            r = rng.random()
            if lost:
                mark = AttendanceStatus.ABSENT if r < 0.6 else AttendanceStatus.LEAVE
            elif mobile:
                mark = AttendanceStatus.PRESENT if r < 0.3 else AttendanceStatus.LEAVE
            elif r < 0.86:
                mark = AttendanceStatus.PRESENT
            elif r < 0.91:
                mark = AttendanceStatus.LATE
            elif r < 0.97:
                mark = AttendanceStatus.LEAVE
            else:
                mark = AttendanceStatus.ABSENT
            vote = status == MemberStatus.FULL
            attended = mark in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
            present += attended
            if vote and not excluded:
                voting_expected += 1
                voting_present += attended
            self.attendance.add_varying(  # ATTENDANCE_VARYING
                self.attendance_id,
                pk,
                member_id,
                mark,
                "工作原因请假" if mark == AttendanceStatus.LEAVE else "",
                vote,  # bools: COPY reads True / False
                bool(excluded),
            )
            self.attendance_id += 1
        lecturer_type = _weighted(rng, LECTURERS) if kind == MeetingKind.PARTY_LECTURE else ""
        self.meetings.add(
            id=pk,
            organization_id=branch["pk"],
            party_group_id=group_id,
            kind=kind,
            also_themed_day=themed,
            topic=TOPICS[kind],
            place="党员活动室",
            planned_on=day,
            held_on=day,
            starts_at=datetime.time(15),
            ends_at=datetime.time(16, 30),
            status=MeetingStatus.HELD,
            host_id=secretary,
            recorder_id=organizer or secretary,
            lecturer_id=secretary if lecturer_type == LecturerType.BRANCH_SECRETARY else None,
            lecturer_name=""
            if lecturer_type == LecturerType.BRANCH_SECRETARY or not lecturer_type
            else "特邀讲师",
            lecturer_type=lecturer_type,
            minutes="会议按议程进行，形成决议如下：……",
            expected_count=len(attendees),
            present_count=present,
            voting_expected=voting_expected,
            voting_present=voting_present,
            is_quorate=voting_present * 2 > voting_expected if voting_expected else None,
            minutes_state=state,
            recorder_signed_at=locked,
            secretary_signed_at=locked,
            locked_at=locked,
            submitted_at=locked if state == MinutesState.ACCEPTED else None,
            reviewed_at=locked + datetime.timedelta(days=20) if state == MinutesState.ACCEPTED else None,
            created_at=self.moment(day, 9),
            updated_at=locked or self.moment(day, 18),
        )
        self.counts[kind] += 1
        self.counts["themed"] += themed
        self.counts["locked"] += locked is not None

    def flush(self):
        # Meetings first: attendance references them.
        self.counts["meetings"] += self.meetings.flush()
        self.counts["attendance"] += self.attendance.flush()


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def generate(ctx):
    root = ctx["root"]
    rng = ctx["rng"]
    gen = _Generator(ctx)
    months_back = int(os.environ.get("SCALE_MEETING_MONTHS") or MONTHS[ctx["tier"]])
    first = add_months(gen.today.replace(day=1), -months_back)
    months = [add_months(first, i) for i in range(months_back + 1)]
    orgs = list(
        Organization.objects.filter(
            path__startswith=root.path, kind__in=(OrgKind.BRANCH, OrgKind.PARTY_GROUP)
        ).values("pk", "path", "kind", "is_weak")
    )
    groups = defaultdict(list)
    for org in orgs:
        if org["kind"] == OrgKind.PARTY_GROUP:
            groups[org["path"][: -Organization.steplen]].append(org["pk"])
    branches = [o for o in orgs if o["kind"] == OrgKind.BRANCH]
    posts = {
        (org_id, role): member_id
        for org_id, role, member_id in CommitteePost.objects.current()
        .filter(
            organization__path__startswith=root.path,
            role__in=(PostRole.SECRETARY, PostRole.ORGANIZATION_MEMBER),
        )
        .values_list("organization_id", "role", "member_id")
    }
    people = defaultdict(list)
    for pk, branch_id, status, mobile, group_id, excluded in (
        Member.objects.filter(branch__path__startswith=root.path, status__in=ACTIVE_STATUSES)
        .order_by("branch_id", "pk")
        .values_list("pk", "branch_id", "status", "is_mobile", "party_group_id", "quorum_excluded")
        .iterator(chunk_size=20_000)
    ):
        lost = rng.random() < 0.01
        people[branch_id].append((pk, status, mobile, group_id, lost, excluded))
    talks, participants = [], []
    # Tens of millions of attendance rows: their (member, meeting) index is built once at the end.
    with indexes_deferred(Meeting, Attendance):
        for n, branch in enumerate(branches, 1):
            mine = people.get(branch["pk"], [])
            gen.branch(branch, mine, groups[branch["path"]], posts, months)
            talks.extend(_talks(rng, branch, mine, months, gen.today))
            if n % 200 == 0:
                gen.flush()
        gen.flush()
    Talk.objects.bulk_create([t for t, _ in talks], batch_size=5000)
    Through = Talk.participants.through
    for talk, pair in talks:
        participants.extend(Through(talk_id=talk.pk, member_id=m) for m in pair)
    Through.objects.bulk_create(participants, batch_size=10_000)
    _reset_sequences(Meeting, Attendance)
    c = gen.counts
    by_kind = ", ".join(f"{k.label} {c[k]}" for k in MeetingKind if c[k])
    return (
        f"{c['meetings']} meetings since {first:%Y-%m} ({by_kind}; {c['themed']} combined with "
        f"主题党日; {c['locked']} locked), {c['attendance']} attendance rows, {len(talks)} talks"
    )


def _talks(rng, branch, people, months, today):
    """谈心谈话: each pair type about once a year in most branches."""
    if len(people) < 2:
        return []
    out = []
    for year in sorted({m.year for m in months}):
        for pair in TalkPairType.values:
            if rng.random() < 0.85:
                day = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
                if day >= today or day < months[0]:
                    continue
                a, b = rng.sample(people, 2)
                talk = Talk(organization_id=branch["pk"], held_on=day, pair_type=pair, topic="谈心谈话")
                out.append((talk, (a[0], b[0])))
    return out


def delete(ctx):
    """Remove the generated meetings and talks (and what hangs off them) in bulk SQL."""
    from members.scale import _purge

    path = ctx["root"].path
    _purge(Meeting._base_manager.filter(organization__path__startswith=path))
    _purge(Talk._base_manager.filter(organization__path__startswith=path))
