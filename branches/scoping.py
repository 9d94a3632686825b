"""What a user may see and change — the one scoping mechanism.

Roles come from data, not a flag on the user:
- system admin: `user.is_superuser`;
- committee staff: a `Grant` on an organisation → read, write and approve over its whole subtree;
- branch officers (书记/副书记/组织委员): a current `CommitteePost` → read and write their branch and
  its party groups;
- member: a `Member` record linked to the user → read their own branch; their own records only.

Every model's `visible_to(user)` filters with `Scope.visible_q(prefix)` so that a page, an API
endpoint, an export and a task acting for a user all see the same rows.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone

_CACHE_ATTR = "_partyaffairs_scope"


@dataclass(frozen=True)
class Scope:
    is_admin: bool = False
    staff_paths: tuple[str, ...] = ()  # committee staff: subtree roots
    officer_paths: tuple[str, ...] = ()  # branch officers: their branches
    member_paths: tuple[str, ...] = ()  # plain members: their branch
    member_ids: tuple[int, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def visible_paths(self):
        return _minimal_roots((*self.staff_paths, *self.officer_paths, *self.member_paths))

    @property
    def editable_paths(self):
        return _minimal_roots((*self.staff_paths, *self.officer_paths))

    def _paths_q(self, paths, prefix):
        if self.is_admin:
            return Q()
        if not paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{prefix}path__startswith": p}) for p in paths))

    def visible_q(self, prefix=""):
        """Q over an organisation (reached by `prefix`, e.g. "branch__") that this user may see."""
        return self._paths_q(self.visible_paths, prefix)

    def editable_q(self, prefix=""):
        return self._paths_q(self.editable_paths, prefix)

    def staff_q(self, prefix=""):
        return self._paths_q(self.staff_paths, prefix)

    def can_see(self, org):
        return self.is_admin or any(org.path.startswith(p) for p in self.visible_paths)

    def can_edit(self, org):
        return self.is_admin or any(org.path.startswith(p) for p in self.editable_paths)

    def supervises(self, org):
        """Committee staff over `org` (approve, verify, restructure)."""
        return self.is_admin or any(org.path.startswith(p) for p in self.staff_paths)

    def supervises_strictly(self, org):
        """Committee staff over `org` from above (their own grant root is not theirs to move)."""
        return self.is_admin or any(org.path.startswith(p) and org.path != p for p in self.staff_paths)

    @property
    def home_role(self):
        if self.is_admin:
            return "admin"
        if self.staff_paths:
            return "committee"
        if self.officer_paths:
            return "secretary"
        if self.member_ids:
            return "member"
        return "none"


def _minimal_roots(paths):
    """Drop paths already covered by a shorter prefix, so Q objects stay small; the roots come
    shortest first, then in path order, whatever order the paths came in."""
    roots = []
    for p in sorted(set(paths), key=lambda path: (len(path), path)):
        if not any(p.startswith(r) for r in roots):
            roots.append(p)
    return tuple(roots)


def scope_for(user):
    """The user's scope, computed once per user object (three queries) and cached on it."""
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from .models import BRANCH_KINDS

    roles = set()
    grant_rows, posts, member_rows = _scope_rows(user.pk)
    staff_paths = tuple(path for (path,) in grant_rows)
    # A 书记/副书记/组织委员 of a branch runs that branch; of a 党委 or 党总支 they supervise its subtree.
    officer_paths, led_paths = [], []
    for path, kind in posts:
        (officer_paths if kind in BRANCH_KINDS else led_paths).append(path)
    staff_paths = (*staff_paths, *led_paths)
    if staff_paths:
        roles.add("committee_staff")
    officer_paths = tuple(officer_paths)
    if officer_paths:
        roles.add("branch_officer")
    if member_rows:
        roles.add("member")
    if user.is_superuser:
        roles.add("admin")
    scope = Scope(
        is_admin=user.is_superuser,
        staff_paths=staff_paths,
        officer_paths=officer_paths,
        member_paths=tuple(path for _, path in member_rows if path),
        member_ids=tuple(pk for pk, _ in member_rows),
        roles=frozenset(roles),
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def _scope_rows(user_id):
    """The user's grants, current officer posts and member records: three short SQL statements.

    Hand-written, because this runs on every signed-in request and building the same three ORM
    querysets cost more CPU than the rest of a small page (tests/branches/test_scoping.py checks
    that the answers equal the ORM's)."""
    from django.apps import apps
    from django.db import connection

    from .models import OFFICER_ROLES, CommitteePost, Grant, Organization

    Member = apps.get_model("members", "Member")
    org, grant, post, member = (m._meta.db_table for m in (Organization, Grant, CommitteePost, Member))
    today = timezone.localdate()
    roles = ", ".join(["%s"] * len(OFFICER_ROLES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.path FROM {grant} g JOIN {org} o ON o.id = g.organization_id WHERE g.user_id = %s",
            [user_id],
        )
        grant_rows = cursor.fetchall()
        cursor.execute(
            f"SELECT o.path, o.kind FROM {post} p JOIN {member} m ON m.id = p.member_id "
            f"JOIN {org} o ON o.id = p.organization_id "
            f"WHERE m.user_id = %s AND p.role IN ({roles}) AND p.started_on <= %s "
            "AND (p.ended_on IS NULL OR p.ended_on >= %s) ORDER BY o.path, p.role",
            [user_id, *(str(r) for r in OFFICER_ROLES), today, today],
        )
        posts = cursor.fetchall()
        cursor.execute(
            f"SELECT m.id, o.path FROM {member} m JOIN {org} o ON o.id = m.branch_id "
            "WHERE m.user_id = %s ORDER BY o.path, m.name, m.id",
            [user_id],
        )
        member_rows = cursor.fetchall()
    return grant_rows, posts, member_rows


def forget_scope(user):
    """Drop the cached scope (after a grant or post changes within the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
