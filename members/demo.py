"""Demo members (16 per branch, realistic names and ages), committee posts and the secretary and
member demo accounts."""

import datetime
import itertools

from django.contrib.auth import get_user_model

from branches.models import CommitteePost, Organization, OrgKind, PostRole, _add_years
from branches.names import person_name

from .models import DevelopmentStep, DuesCategory, Education, Gender, Member, MemberStatus, StatusChange
from .protected import compose_id_number
from .services.development import refresh_schedule

MEMBERS_PER_BRANCH = 16


def seed(ctx):
    root = ctx["root"]
    if not Member.objects.filter(branch__path__startswith=root.path).exists():
        _members_and_posts(ctx)
    _accounts(ctx)


def _status(m):
    if m < 12:
        return MemberStatus.FULL
    if m < 14:
        return MemberStatus.PROBATIONARY
    return MemberStatus.ACTIVIST if m == 14 else MemberStatus.APPLICANT


def _members_and_posts(ctx):
    rng, today, root = ctx["rng"], ctx["today"], ctx["root"]
    branches = Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH).order_by("code")
    serials = itertools.count()
    for branch in branches:
        groups = list(Organization.objects.filter(path__startswith=branch.path, kind=OrgKind.PARTY_GROUP))
        retired = branch.short_name == "离退休"
        members = []
        for m in range(MEMBERS_PER_BRANCH):
            status = _status(m)
            age = rng.randint(62, 85) if retired else rng.randint(24, 58)
            birth = datetime.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            admitted = regularised = None
            if status == MemberStatus.PROBATIONARY:
                admitted = today - datetime.timedelta(days=200)
            elif status == MemberStatus.FULL:
                admitted = datetime.date(
                    birth.year + rng.randint(20, 24), rng.randint(1, 12), rng.randint(1, 28)
                )
                regularised = _add_years(admitted, 1)
            members.append(
                Member.objects.create(
                    name=person_name(rng),
                    gender=gender,
                    birth_date=birth,
                    education=rng.choice(
                        [
                            Education.POSTGRADUATE,
                            Education.UNDERGRADUATE,
                            Education.UNDERGRADUATE,
                            Education.COLLEGE,
                        ]
                    ),
                    branch=branch,
                    party_group=groups[m % len(groups)],
                    status=status,
                    dues_category=DuesCategory.RETIRED if retired else DuesCategory.IN_SERVICE,
                    admitted_on=admitted,
                    regularised_on=regularised,
                    id_number=compose_id_number("420106", birth, next(serials), gender),
                    phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                )
            )
            _pipeline(members[-1], m, today, rng)
        start = branch.term_start
        roles = [PostRole.SECRETARY, PostRole.ORGANIZATION_MEMBER, PostRole.PROPAGANDA_MEMBER]
        for role, member in zip(roles, members, strict=False):
            CommitteePost.objects.create(
                organization=branch,
                role=role,
                member=member,
                started_on=start,
                elected_on=start,
                approved_on=start + datetime.timedelta(days=14) if role == PostRole.SECRETARY else None,
            )
        for g, group in enumerate(groups):
            CommitteePost.objects.create(
                organization=group, role=PostRole.GROUP_LEADER, member=members[3 + g], started_on=start
            )
    # The 机关党委 secretary comes from the 财审处 branch (not a demo account: the committee demo
    # login is the staff grant).
    finance = Organization.objects.get(code="DEMO-B4")
    secretary = CommitteePost.objects.get(organization=finance, role=PostRole.SECRETARY).member
    CommitteePost.objects.create(
        organization=root,
        role=PostRole.SECRETARY,
        member=secretary,
        started_on=root.term_start,
        approved_on=root.term_start + datetime.timedelta(days=10),
    )


# Where the demo's people in the pipeline stand: (status, last step recorded, days ago it started).
PIPELINE = {
    12: (MemberStatus.PROBATIONARY, 17, 640),
    13: (MemberStatus.PROBATIONARY, 21, 800),
    14: (MemberStatus.ACTIVIST, 6, 420),
    15: (MemberStatus.APPLICANT, 1, 20),
}


def _pipeline(member, m, today, rng):
    """Record the development steps of the demo's applicants, activists and probationary members
    with plausible dates, so that the development page has something due and something overdue."""
    if m not in PIPELINE:
        StatusChange.objects.create(member=member, to_status=member.status, changed_on=today, reason="建档")
        return
    status, last, started = PIPELINE[m]
    day = today - datetime.timedelta(days=started)
    dates = {}
    for no in range(1, last + 1):
        dates[no] = day
        gap = {2: 25, 7: 370, 15: 45, 17: 30}.get(no + 1, rng.randint(3, 10))
        day = min(day + datetime.timedelta(days=gap), today)
    DevelopmentStep.objects.bulk_create(
        DevelopmentStep(member=member, step_no=no, done_on=d, note="演示数据") for no, d in dates.items()
    )
    member.applied_on = dates[1]
    member.activist_on = dates.get(3)
    member.target_on = dates.get(7)
    member.admitted_on = dates.get(15)
    if member.admitted_on:
        member.probation_end_on = member.admitted_on.replace(year=member.admitted_on.year + 1)
    member.save()
    StatusChange.objects.create(member=member, to_status=status, changed_on=dates[1], reason="建档")
    refresh_schedule(member)


def _accounts(ctx):
    User = get_user_model()
    branch = Organization.objects.get(code="DEMO-B1")
    secretary_member = CommitteePost.objects.get(organization=branch, role=PostRole.SECRETARY).member
    secretary, _ = User.objects.get_or_create(username="secretary", defaults={"name": secretary_member.name})
    ctx["set_password"](secretary)
    if secretary_member.user_id != secretary.pk:
        secretary_member.user = secretary
        secretary_member.save()

    member_user, _ = User.objects.get_or_create(username="member", defaults={"name": ""})
    if not Member.objects.filter(user=member_user).exists():
        plain = (
            Member.objects.filter(
                branch=branch, status=MemberStatus.FULL, posts__isnull=True, user__isnull=True
            )
            .order_by("pk")
            .first()
        )
        plain.user = member_user
        plain.save()
        member_user.name = plain.name
        member_user.save()
    ctx["set_password"](member_user)
