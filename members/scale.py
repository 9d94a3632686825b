"""Scale data for members: tier S ≈ 5,000 people, tier M ≈ 300,000, over the generated branches.

Distributions: ~84% full members, ~5% probationary, ~10% in the pipeline (applicants, activists,
development targets), ~1% in an end state; ages 22–90 (retired branches older); dues categories by
the branch's field of work; ~3% mobile; elderly/infirm, hardship and quorum exclusions.

People in the pipeline or on probation have one DevelopmentStep per completed step, dated in the
order and within the time rules of 细则 (talk within the month in most cases, ≥ 12 months as an
activist, approval within 3 months of the branch meeting, probation under 12 months so far), their
half-yearly assessments, and their schedule computed by members.development.schedule_for — the
function the services use. Every person has a valid, unique 身份证号 agreeing with their birth date
and gender (region codes differ per tier, so tiers never collide) and most have a mobile number.

Rows go in with bulk_create in batches; bulk_create bypasses Member.save(), so each person's
hashes, masks and pinyin initials are derived first (derive_protected); the values are encrypted
by the field on the way in."""

import datetime
from collections import defaultdict

from django.db import models
from django.utils import timezone

from branches.models import CommitteePost, Organization, OrgField, OrgKind, PostRole
from branches.names import person_name
from partyaffairs.bulkload import indexes_deferred

from .development import add_months, schedule_for
from .models import (
    Assessment,
    DevelopmentRule,
    DevelopmentStep,
    DuesCategory,
    Education,
    Gender,
    Member,
    MemberStatus,
    MobileDirection,
    MobileRecord,
    StatusChange,
)
from .pipeline import STEP_BY_NO
from .protected import id_check_digit

SIZES = {"S": 5_000, "M": 300_000}
BATCH = 5_000  # people per round of inserts
# 6-digit administrative division codes (Wuhan districts for S, other cities for M).
REGIONS = {
    "S": ("420102", "420103", "420104", "420105", "420106", "420111", "420112", "420113"),
    "M": (
        "110101", "110102", "110105", "110106", "110108", "310101", "310104", "310105",
        "310106", "310110", "320102", "320104", "320105", "330102", "330105", "330106",
        "370102", "370103", "410102", "410103", "430102", "430103", "440103", "440104",
        "440106", "500103", "500106", "510104", "510105", "610102", "610103", "610104",
    ),
}  # fmt: skip
STATUS_WEIGHTS = (
    (MemberStatus.FULL, 841),
    (MemberStatus.PROBATIONARY, 50),
    (MemberStatus.APPLICANT, 30),
    (MemberStatus.ACTIVIST, 45),
    (MemberStatus.DEVELOPMENT_TARGET, 25),
    (MemberStatus.TRANSFERRED_OUT, 3),
    (MemberStatus.DECEASED, 3),
    (MemberStatus.LAPSED, 1),
    (MemberStatus.EXPELLED, 1),
    (MemberStatus.WITHDRAWN, 0.5),
    (MemberStatus.PROBATION_CANCELLED, 0.5),
)
ETHNICITIES = (
    ("汉族", 93),
    ("回族", 2),
    ("满族", 1.5),
    ("壮族", 1),
    ("土家族", 1),
    ("蒙古族", 0.8),
    ("苗族", 0.7),
)
PHONE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
                  "133", "153", "180", "189", "130", "131", "132", "155", "156", "176", "177", "199")  # fmt: skip
CITIES = ("深圳", "广州", "上海", "北京", "杭州", "苏州", "东莞", "宁波", "厦门", "成都", "重庆", "天津")
# Days between a step and the one before it (forward from the application).
GAPS = {
    2: (3, 28),
    4: (3, 20),
    5: (1, 15),
    8: (3, 15),
    9: (3, 20),
    10: (5, 30),
    11: (5, 30),
    12: (3, 20),
    13: (3, 20),
    14: (3, 15),
    15: (10, 25),
    16: (7, 20),
    17: (5, 40),
    18: (5, 20),
    19: (1, 15),
    20: (1, 20),
}


def id_number(region, birth, seq):
    """A valid 18-character 身份证号 (GB 11643-1999); an odd `seq` is a man."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


class _Generator:
    def __init__(self, ctx, rules):
        self.rng = ctx["rng"]
        self.tier = ctx["tier"]
        self.today = timezone.localdate()
        self.rules = rules
        self.used_ids = set()
        self.counts = defaultdict(int)

    def days_ago(self, low, high):
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def after(self, day, low, high):
        return day + datetime.timedelta(days=self.rng.randint(low, high))

    # --- the person --------------------------------------------------------------------------

    def person(self, branch, groups, retired):
        rng = self.rng
        status = _pick(rng, STATUS_WEIGHTS)
        if retired and status not in (MemberStatus.FULL, MemberStatus.DECEASED, MemberStatus.TRANSFERRED_OUT):
            status = MemberStatus.FULL  # retired branches do not recruit
        if retired:
            age = min(90, int(rng.triangular(58, 91, 68)))
        elif status in (MemberStatus.APPLICANT, MemberStatus.ACTIVIST) and branch["field"] == OrgField.SCHOOL:
            age = rng.randint(22, 26)
        elif status in PIPELINE_AGES:
            age = rng.randint(*PIPELINE_AGES[status])
        elif branch["field"] in (OrgField.VILLAGE, OrgField.COMMUNITY):
            age = rng.randint(24, 85)
        else:
            age = rng.randint(24, 60)
        male = rng.random() < (0.7 if age > 50 else 0.55)
        member = Member(
            name=person_name(rng),
            gender=Gender.MALE if male else Gender.FEMALE,
            ethnicity=_pick(rng, ETHNICITIES),
            birth_date=self.birth_date(age),
            education=self.education(age),
            phone=self.phone() if rng.random() < (0.8 if age > 75 else 0.95) else "",
            branch_id=branch["pk"],
            party_group_id=rng.choice(groups) if groups else None,
            status=status,
            dues_category=self.dues_category(branch["field"], retired, age, status),
        )
        plan = self.history(member)
        # The applicant was of age on the day of the application (细则: at least 18).
        short = self.rules["min_age_years"] - member.age(member.applied_on)
        if short > 0:
            member.birth_date = member.birth_date.replace(year=member.birth_date.year - short)
        member.id_number = self.unique_id(member.birth_date, male)
        self.flags(member, retired, age)
        member.derive_protected()
        self.counts[status] += 1
        return member, plan

    def birth_date(self, age):
        """A birthday (never 29 February) of someone `age` years old today."""
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        year = self.today.year - age - ((month, day) > (self.today.month, self.today.day))
        return datetime.date(year, month, day)

    def unique_id(self, birth, male):
        regions = REGIONS[self.tier]
        while True:
            seq = self.rng.randrange(1, 500) * 2 + (1 if male else 0)
            value = id_number(self.rng.choice(regions), birth, seq)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def phone(self):
        return f"{self.rng.choice(PHONE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def education(self, age):
        rng = self.rng
        if age < 40:
            weights = (12, 55, 23, 8, 2)
        elif age < 60:
            weights = (6, 40, 30, 17, 7)
        else:
            weights = (1, 15, 20, 34, 30)
        return _pick(
            rng,
            zip(
                (
                    Education.POSTGRADUATE,
                    Education.UNDERGRADUATE,
                    Education.COLLEGE,
                    Education.SECONDARY,
                    Education.JUNIOR,
                ),
                weights,
                strict=True,
            ),
        )

    def dues_category(self, field, retired, age, status):
        rng = self.rng
        if retired or age >= 62:
            return DuesCategory.RELIEF if rng.random() < 0.04 else DuesCategory.RETIRED
        if field == OrgField.VILLAGE:
            return _pick(
                rng, ((DuesCategory.FARMER, 85), (DuesCategory.SELF_EMPLOYED, 10), (DuesCategory.RELIEF, 5))
            )
        if field == OrgField.SCHOOL and (status in STEP_STATUSES or age < 26):
            return DuesCategory.STUDENT
        if field == OrgField.COMMUNITY:
            return _pick(
                rng,
                (
                    (DuesCategory.IN_SERVICE, 45),
                    (DuesCategory.SELF_EMPLOYED, 25),
                    (DuesCategory.UNEMPLOYED, 20),
                    (DuesCategory.RELIEF, 10),
                ),
            )
        if field == OrgField.NEW_SECTORS:
            return _pick(
                rng,
                (
                    (DuesCategory.IN_SERVICE, 60),
                    (DuesCategory.SELF_EMPLOYED, 35),
                    (DuesCategory.ANNUAL_SALARY, 5),
                ),
            )
        if field == OrgField.ENTERPRISE:
            return DuesCategory.ANNUAL_SALARY if rng.random() < 0.08 else DuesCategory.IN_SERVICE
        return DuesCategory.IN_SERVICE

    def flags(self, member, retired, age):
        rng = self.rng
        if member.status in (MemberStatus.FULL, MemberStatus.PROBATIONARY) and rng.random() < 0.03:
            member.is_mobile = True
            if rng.random() < 0.3:
                member.quorum_excluded = True
                member.quorum_exclusion_reason = "外出流动半年以上"
        if age >= 75 and rng.random() < (0.35 if retired else 0.15):
            member.is_elderly_infirm = True
            if not member.quorum_excluded and rng.random() < 0.4:
                member.quorum_excluded = True
                member.quorum_exclusion_reason = "年老体弱，长期卧床"
        if rng.random() < (0.05 if retired or member.dues_category == DuesCategory.RELIEF else 0.015):
            member.is_hardship = True

    # --- key dates and the development steps ------------------------------------------------

    def history(self, member):
        """Key dates, and for people developed in the system their steps {step_no: date} and
        half-yearly assessments; sets the schedule the services would compute."""
        status = member.status
        if status not in STEP_STATUSES:
            self.full_dates(member)
            ended_on = self.days_ago(10, 900)
            if status == MemberStatus.PROBATION_CANCELLED:
                self.full_dates(member, ended_on - datetime.timedelta(days=self.rng.randint(365, 540)))
                member.probation_end_on = add_months(member.admitted_on, self.rules["probation_months"])
                member.regularised_on = None
            return {"steps": {}, "assessments": [], "ended_on": ended_on}
        steps = self.steps(status)
        member.applied_on = steps.get(1)
        member.activist_on = steps.get(3)
        member.target_on = steps.get(7)
        member.admitted_on = steps.get(15)
        if status == MemberStatus.PROBATIONARY:
            member.probation_end_on = add_months(member.admitted_on, self.rules["probation_months"])
        assessments = self.assessments(steps)
        # The same function the services use, over the same values.
        schedule = schedule_for(member, steps, self.rules, max(assessments, default=None))
        member.next_step_no = schedule.next_no
        member.next_step_due = schedule.deadline
        member.next_step_earliest = schedule.earliest
        return {"steps": steps, "assessments": assessments, "ended_on": None}

    def steps(self, status):
        rng, today = self.rng, self.today

        def gap(no):
            return datetime.timedelta(days=rng.randint(*GAPS[no]))

        steps = {}
        if status == MemberStatus.APPLICANT:
            steps[1] = self.days_ago(0, 400)
            talk = self.after(steps[1], 3, 45)  # a few talks come late (recorded with a warning)
            if talk <= today and rng.random() < 0.85:
                steps[2] = talk
            return steps
        if status == MemberStatus.ACTIVIST:
            steps[3] = self.days_ago(0, 730)
        else:
            if status == MemberStatus.DEVELOPMENT_TARGET:
                steps[7] = self.days_ago(0, 300)
            else:  # probationary: the branch meeting (step 15) under 12 months ago
                steps[15] = self.days_ago(45, 355)
                for no in range(14, 7, -1):
                    steps[no] = steps[no + 1] - gap(no + 1)
                steps[7] = steps[8] - gap(8)
            # ≥ activist_min_months as an activist before becoming a development target.
            months = rng.randint(self.rules["activist_min_months"], 20)
            steps[3] = add_months(steps[7], -months) - datetime.timedelta(days=rng.randint(0, 20))
            steps[6] = max(steps[7] - datetime.timedelta(days=rng.randint(1, 10)), steps[3])
        steps[1] = steps[3] - datetime.timedelta(days=rng.randint(30, 360))
        steps[2] = self.after(steps[1], *GAPS[2])
        for no in (4, 5):
            day = steps[no - 1] + gap(no)
            if 6 in steps:
                day = min(day, steps[6])
            elif day > today:
                return steps
            steps[no] = day
        if status == MemberStatus.ACTIVIST:
            day = max(add_months(steps[3], 12) - datetime.timedelta(days=rng.randint(0, 25)), steps[5])
            if day <= today and rng.random() < 0.7:
                steps[6] = day
        elif status == MemberStatus.DEVELOPMENT_TARGET:
            for no in range(8, rng.randint(8, 16) + 1):
                day = steps[no - 1] + gap(no)
                if day > today:
                    break
                steps[no] = day
        else:
            for no in (16, 17, 18, 19, 20):
                day = steps[no - 1] + gap(no)
                if day > today:
                    if no > 17:
                        break
                    day = max(today, steps[no - 1])  # approved by now: on probation
                steps[no] = day
            near_end = add_months(steps[15], self.rules["probation_months"] - 2)
            if 20 in steps and near_end <= today:
                steps[21] = max(near_end, steps[20])
        return steps

    def assessments(self, steps):
        """Half-yearly assessments from the activist date until the branch meeting, a few missed."""
        if 3 not in steps:
            return []
        end = min(steps.get(15, self.today), self.today)
        dates, day = [], steps[3]
        interval = self.rules["assessment_interval_months"]
        while True:
            day = add_months(day, interval) - datetime.timedelta(days=self.rng.randint(0, 20))
            if day > end:
                return dates
            if self.rng.random() < 0.92:
                dates.append(day)

    def full_dates(self, member, admitted=None):
        """A full member's record predates the system: key dates, no steps."""
        rng = self.rng
        if admitted is None:
            age = member.age(self.today)
            admitted = member.birth_date.replace(
                year=member.birth_date.year + rng.randint(21, max(21, min(age - 2, 45)))
            ) + datetime.timedelta(days=rng.randint(0, 300))
            admitted = min(admitted, self.today - datetime.timedelta(days=400))
        member.admitted_on = admitted
        member.probation_end_on = member.regularised_on = add_months(admitted, 12)
        member.target_on = admitted - datetime.timedelta(days=rng.randint(90, 240))
        member.activist_on = add_months(member.target_on, -rng.randint(12, 24))
        member.applied_on = member.activist_on - datetime.timedelta(days=rng.randint(30, 360))

    # --- rows that need the members' ids ------------------------------------------------------

    def insert(self, pending):
        """Insert one round of people, then their steps, assessments, status changes, mobile
        records and the branches' officer posts."""
        Member.objects.bulk_create([m for _, people in pending for m, _ in people], batch_size=1000)
        steps, assessments, changes, mobile, posts = [], [], [], [], []
        for branch, people in pending:
            full = [m for m, _ in people if m.status == MemberStatus.FULL]
            for member, plan in people:
                for no, day in sorted(plan["steps"].items()):
                    steps.append(self.step(member, no, day, plan["steps"], full))
                assessments.extend(
                    Assessment(
                        member=member,
                        kind=Assessment.Kind.ASSESSMENT,
                        done_on=day,
                        summary="培养考察：表现良好。",
                        reviewer="培养联系人",
                    )
                    for day in plan["assessments"]
                )
                changes.extend(self.status_changes(member, plan))
                if member.is_mobile:
                    mobile.append(self.mobile_record(member))
            posts.extend(self.posts(branch, full))
        DevelopmentStep.objects.bulk_create(steps, batch_size=2000)
        Assessment.objects.bulk_create(assessments, batch_size=2000)
        StatusChange.objects.bulk_create(changes, batch_size=2000)
        MobileRecord.objects.bulk_create(mobile, batch_size=2000)
        CommitteePost.objects.bulk_create(posts, batch_size=2000)
        self.counts["steps"] += len(steps)
        self.counts["assessments"] += len(assessments)
        self.counts["posts"] += len(posts)

    def step(self, member, no, day, steps, full):
        rng = self.rng
        detail, approval_ref = {}, ""
        people = [m for m in full if m.pk != member.pk]
        if no == 2 and day > steps[1] + datetime.timedelta(days=self.rules["talk_within_days"]):
            detail["warnings"] = ["谈话应在递交入党申请书后一个月内进行，本次逾期。"]
        elif no == 5 and people:
            detail["cultivators"] = [
                {"id": m.pk, "name": m.name} for m in rng.sample(people, min(2, len(people)))
            ]
        elif no == 9 and len(people) >= 2:
            detail["sponsors"] = [{"id": m.pk, "name": m.name} for m in rng.sample(people, 2)]
        elif no == 11:
            detail.update(hours=rng.randint(24, 40), days=rng.randint(3, 5))
        elif no == 15:
            notice_to = day - datetime.timedelta(days=rng.randint(1, 3))
            eligible = max(len(full), 3)
            present = eligible - rng.randint(0, eligible // 5)
            detail.update(
                notice_from=(notice_to - datetime.timedelta(days=9)).isoformat(),
                notice_to=notice_to.isoformat(),
                eligible=eligible,
                present=present,
                ayes=present,
            )
        elif no in (4, 8, 13, 17, 18):
            approval_ref = f"{day.year}组字第{rng.randint(1, 300)}号"
        return DevelopmentStep(
            member=member,
            step_no=no,
            done_on=day,
            detail=detail,
            approval_ref=approval_ref,
            recorded_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC),
        )

    def status_changes(self, member, plan):
        steps = plan["steps"]
        if steps:
            rows, previous = [], ""
            for no, day in sorted(steps.items()):
                step = STEP_BY_NO[no]
                if step.sets_status:
                    rows.append(
                        StatusChange(
                            member=member,
                            from_status=previous,
                            to_status=step.sets_status,
                            changed_on=day,
                            reason=f"第{no}步：{step.name}",
                        )
                    )
                    previous = step.sets_status
            return rows
        # Entered from the old roster (建档) when the system started; end states came later.
        start = self.today - datetime.timedelta(days=3 * 365)
        first = (
            MemberStatus.PROBATIONARY
            if member.status == MemberStatus.PROBATION_CANCELLED
            else MemberStatus.FULL
        )
        rows = [StatusChange(member=member, from_status="", to_status=first, changed_on=start, reason="建档")]
        if member.status != first:
            rows.append(
                StatusChange(
                    member=member,
                    from_status=first,
                    to_status=member.status,
                    changed_on=plan["ended_on"],
                    reason=END_REASONS[member.status],
                )
            )
        return rows

    def mobile_record(self, member):
        rng = self.rng
        since = self.days_ago(90, 1800)
        issued = min(self.after(since, 0, 30), self.today)
        return MobileRecord(
            member=member,
            direction=MobileDirection.OUTFLOW,
            location=f"{rng.choice(CITIES)}市{rng.choice(('务工', '经商', '随迁', '求学'))}",
            since=since,
            fixed_place=rng.random() < 0.6,
            card_no=f"LD{issued.year}{member.pk:08d}",
            card_issued_on=issued,
            last_report_on=self.days_ago(0, 500) if rng.random() < 0.8 else None,
        )

    def posts(self, branch, full):
        """书记 and 组织委员 of each branch, from its full members still on hand."""
        fit = [m for m in full if not (m.is_mobile or m.is_elderly_infirm)]
        started = branch["term_start"] or self.today - datetime.timedelta(days=365)
        return [
            CommitteePost(
                organization_id=branch["pk"],
                role=role,
                member=member,
                started_on=started,
                elected_on=started,
                approved_on=started + datetime.timedelta(days=14),
                approval_ref=f"{started.year}组字第{self.rng.randint(1, 300)}号",
            )
            for role, member in zip((PostRole.SECRETARY, PostRole.ORGANIZATION_MEMBER), fit[:2], strict=False)
        ]


STEP_STATUSES = (
    MemberStatus.APPLICANT,
    MemberStatus.ACTIVIST,
    MemberStatus.DEVELOPMENT_TARGET,
    MemberStatus.PROBATIONARY,
)
# Ages of people in the pipeline: old enough to have applied at 18 however long ago they did.
PIPELINE_AGES = {
    MemberStatus.APPLICANT: (22, 40),
    MemberStatus.ACTIVIST: (22, 40),
    MemberStatus.DEVELOPMENT_TARGET: (23, 40),
    MemberStatus.PROBATIONARY: (24, 40),
    MemberStatus.PROBATION_CANCELLED: (27, 45),
}
END_REASONS = {
    MemberStatus.TRANSFERRED_OUT: "组织关系转出",
    MemberStatus.DECEASED: "病故",
    MemberStatus.LAPSED: "连续6个月不交纳党费，按自行脱党处理",
    MemberStatus.EXPELLED: "除名",
    MemberStatus.WITHDRAWN: "本人申请退党",
    MemberStatus.PROBATION_CANCELLED: "取消预备党员资格",
}


def generate(ctx):
    root = ctx["root"]
    rng = ctx["rng"]
    gen = _Generator(ctx, DevelopmentRule.values_for(root))
    orgs = list(
        Organization.objects.filter(
            path__startswith=root.path, kind__in=(OrgKind.BRANCH, OrgKind.PARTY_GROUP)
        ).values("pk", "path", "kind", "field", "term_start")
    )
    groups = defaultdict(list)
    for org in orgs:
        if org["kind"] == OrgKind.PARTY_GROUP:
            groups[org["path"][: -Organization.steplen]].append(org["pk"])
    branches = [org for org in orgs if org["kind"] == OrgKind.BRANCH]
    if not branches:
        return "no branches: no members"
    # Branch sizes vary around the mean; about one branch in twelve is a 离退休 branch.
    weights = [rng.uniform(0.5, 1.5) for _ in branches]
    total = SIZES[ctx["tier"]]
    scale = total / sum(weights)
    sizes = [int(w * scale) for w in weights]
    for i in range(total - sum(sizes)):  # the rounding remainder, one each
        sizes[i] += 1
    pending, queued = [], 0
    # The members' search indexes (trigram GIN among them) are built once, after the last batch.
    with indexes_deferred(Member, DevelopmentStep, Assessment, StatusChange, MobileRecord):
        for branch, size in zip(branches, sizes, strict=True):
            retired = branch["field"] != OrgField.VILLAGE and rng.random() < 0.08
            people = [gen.person(branch, groups[branch["path"]], retired) for _ in range(size)]
            pending.append((branch, people))
            queued += size
            if queued >= BATCH:
                gen.insert(pending)
                pending, queued = [], 0
        if pending:
            gen.insert(pending)
    c = gen.counts
    by_status = ", ".join(f"{s.value} {c[s]}" for s in MemberStatus if c[s])
    return (
        f"{total} members over {len(branches)} branches ({by_status}); {c['steps']} development steps, "
        f"{c['assessments']} assessments, {c['posts']} officer posts"
    )


def delete(ctx):
    """Remove the generated members and everything hanging off them in bulk SQL: generated rows
    carry no audit trail, and the ORM's per-object cascade (with the audit signals) would write an
    audit entry per row and take hours at tier M."""
    _purge(Member.objects.filter(branch__path__startswith=ctx["root"].path))


def _purge(qs):
    for rel in qs.model._meta.related_objects:
        if rel.related_model is qs.model:
            # A self-reference (a ledger reversal pointing at its original): unlink, don't recurse.
            qs.model._base_manager.filter(**{f"{rel.field.name}__in": qs}).update(**{rel.field.name: None})
        elif rel.many_to_many:
            through = rel.through._base_manager
            _purge(through.filter(**{f"{rel.field.m2m_reverse_field_name()}__in": qs}))
        elif rel.on_delete is models.SET_NULL:
            rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": qs}).update(
                **{rel.field.name: None}
            )
        else:
            _purge(rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": qs}))
    qs._raw_delete(qs.db)
