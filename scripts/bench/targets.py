"""What the bench measures, looked up by name so that a page or job appears as soon as an app
provides it and is "not available" until then (never a made-up number).

Fixtures (`fixtures(tier)`) are picked deterministically from the tier's generated tree and kept in
the bench database (idempotent): a committee staff user with a grant on the root 党委, the 书记 of a
branch of median size (the branch page, a meeting, the roster search), and a full member of that
branch (我的党费). The period is the last complete quarter."""

import importlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


class NotAvailable(Exception):
    """The page or job does not exist in this code base (yet); the message says what was looked for."""


@dataclass
class Fixtures:
    tier: str
    root: object
    branch: object
    quarter: object  # compliance.periods.Period
    users: dict = field(default_factory=dict)  # role → user (None: anonymous)
    meeting: object = None
    ledger: object = None
    search: str = ""


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    role: str | None  # whose session: "committee", "secretary", "member", or None (anonymous)
    url: object  # callable(Fixtures) -> str, raises NotAvailable
    target_ms: int | None = 150  # p95 target at tier M
    dashboard: bool = False


def url_by_name(names, query="", args=None):
    """The first URL name of `names` that reverses (an app's page that may not exist yet)."""
    for name in names:
        try:
            return reverse(name, args=args) + query
        except NoReverseMatch:
            continue
    raise NotAvailable("no URL named " + " / ".join(names))


def resolve_callable(paths):
    """The first dotted path of `paths` that imports: a job an app may not provide yet."""
    for path in paths:
        module_name, _, attr = path.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        fn = getattr(module, attr, None)
        if callable(fn):
            return fn
    raise NotAvailable("none of " + ", ".join(paths))


def need(obj, what):
    """`obj`, or NotAvailable when the data holds no such object (e.g. no meeting in the branch)."""
    if obj is None:
        raise NotAvailable(f"no {what} in the data")
    return obj


DASHBOARD_URL_NAMES = ("dashboards:committee", "dashboard:committee", "dashboards:index", "dashboard:index")
# At a branch the committee dashboard hands over to the branch's own dashboard (a redirect).
BRANCH_DASHBOARD_URL_NAMES = ("dashboards:branch", "dashboard:branch")


def _dashboard_root(fx):
    return url_by_name(DASHBOARD_URL_NAMES, f"?org={fx.root.pk}&period={fx.quarter.code}")


def _dashboard_branch(fx):
    return url_by_name(BRANCH_DASHBOARD_URL_NAMES, f"?period={fx.quarter.code}", args=[fx.branch.pk])


PAGES = (
    Page("healthz", "/healthz (no database: the baseline)", None, lambda fx: "/healthz", target_ms=None),
    Page("login", "login page", None, lambda fx: reverse("accounts:login")),
    Page("roster", "member roster (committee, whole tree)", "committee", lambda fx: reverse("members:roster")),
    Page(
        "roster_search",
        "member roster search (committee, whole tree)",
        "committee",
        lambda fx: reverse("members:roster") + "?" + urlencode({"q": fx.search}),
    ),
    Page("meeting", "meeting detail (secretary)", "secretary", lambda fx: reverse("meetings:detail", args=[need(fx.meeting, "meeting").pk])),
    Page("my_dues", "我的党费 (member)", "member", lambda fx: reverse("dues:mine")),
    Page("branch_page", "branch page (secretary)", "secretary", lambda fx: reverse("orgs:detail", args=[fx.branch.pk])),
    Page("dashboard_root", "committee dashboard at the root", "committee", _dashboard_root, 300, True),
    Page("dashboard_branch", "committee dashboard at a branch", "committee", _dashboard_branch, 300, True),
    Page(
        "compliance_api",
        "compliance API, whole tree, one quarter",
        "committee",
        lambda fx: f"/api/v1/compliance/?org={fx.root.pk}&period={fx.quarter.code}",
    ),
    Page(
        "ledger",
        "rectification ledger page (committee, the root's largest ledger)",
        "committee",
        lambda fx: reverse("rectifications:ledger", args=[need(fx.ledger, "rectification ledger").pk]),
    ),
)  # fmt: skip


def fixtures(tier):
    """The tier's bench users and objects (created once, then reused)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from branches.models import BRANCH_KINDS, CommitteePost, Grant, Organization, PostRole
    from compliance.periods import QUARTER, current
    from meetings.models import Meeting, MeetingKind
    from members.models import Member, MemberStatus
    from rectifications.models import Ledger

    root = Organization.objects.filter(code=f"SCALE-{tier}", depth=1).first()
    if root is None:
        raise LookupError(f"no tier {tier} data (root SCALE-{tier})")
    User = get_user_model()
    quarter = current(QUARTER, timezone.localdate()).previous()
    posts = list(
        CommitteePost.objects.current()
        .filter(
            organization__path__startswith=root.path,
            organization__kind__in=BRANCH_KINDS,
            role=PostRole.SECRETARY,
        )
        .select_related("organization", "member")
        .order_by("organization__path")
    )
    if not posts:
        raise LookupError(f"tier {tier}: no branch with a current 书记")
    sizes = dict(
        Member.objects.filter(branch__path__startswith=root.path)
        .values("branch_id")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "n")
    )
    posts.sort(key=lambda p: (sizes.get(p.organization_id, 0), p.organization.path))
    post = posts[len(posts) // 2]  # a branch of median size: comparable between tiers
    branch = post.organization

    def user_for(username, member=None, grant_on=None):
        user = member.user if member is not None and member.user_id else None
        if user is None:
            user, _ = User.objects.get_or_create(username=username, defaults={"name": username})
            if member is not None:
                Member.objects.filter(pk=member.pk).update(user=user)
        if grant_on is not None:
            Grant.objects.get_or_create(user=user, organization=grant_on)
        return user

    officers = set(
        CommitteePost.objects.current().filter(organization=branch).values_list("member_id", flat=True)
    )
    member = (
        Member.objects.filter(branch=branch, status=MemberStatus.FULL)
        .exclude(pk__in=officers)
        .order_by("pk")
        .first()
    )
    with transaction.atomic():
        users = {
            None: None,
            "committee": user_for("bench_committee", grant_on=root),
            "secretary": user_for("bench_secretary", member=post.member),
            "member": user_for("bench_member", member=member),
        }
    meeting = (
        Meeting.objects.filter(organization=branch, kind=MeetingKind.GENERAL_MEETING)
        .locked()
        .order_by("-held_on", "-pk")
        .first()
    ) or Meeting.objects.filter(organization=branch).order_by("-held_on", "-pk").first()
    ledger = (
        Ledger.objects.filter(issuer=root).annotate(n=Count("items")).order_by("-n", "pk").first()
        or Ledger.objects.filter(issuer__path__startswith=root.path)
        .annotate(n=Count("items"))
        .order_by("-n", "pk")
        .first()
    )
    return Fixtures(
        tier=tier,
        root=root,
        branch=branch,
        quarter=quarter,
        users=users,
        meeting=meeting,
        ledger=ledger,
        search=member.name if member else "",
    )


def describe(fx):
    """What the fixtures are, for the docs."""
    from members.models import Member

    return {
        "root": f"{fx.root.name} (id {fx.root.pk})",
        "branch": f"{fx.branch.name} (id {fx.branch.pk}, {Member.objects.filter(branch=fx.branch).count()} members)",
        "meeting": f"id {fx.meeting.pk} ({fx.meeting.get_kind_display()}, {fx.meeting.held_on})" if fx.meeting else None,
        "ledger": f"id {fx.ledger.pk} ({fx.ledger.n} items)" if fx.ledger else None,
        "roster_search": fx.search,
        "quarter": fx.quarter.code,
    }  # fmt: skip
