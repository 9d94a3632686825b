from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from branches.models import CommitteePost, Organization
from branches.scoping import scope_for


def healthz(request):
    """No database: the baseline for benchmarks and the load balancer's probe."""
    return JsonResponse({"status": "ok"})


@never_cache
@login_required
def home(request):
    """Each role lands on its own page: committee staff on their subtree, a secretary on the
    branch, a member on their own page, an admin on the whole tree."""
    scope = scope_for(request.user)
    role = scope.home_role
    anchors = {"committee": scope.staff_paths, "secretary": scope.officer_paths}.get(role, ())
    if anchors:
        # Several grants or posts: the topmost (then first in tree order) is home; the rest are a
        # click away in the tree.
        org = Organization.objects.filter(path=min(anchors, key=lambda p: (len(p), p))).first()
        if org is not None:
            if role == "committee":
                return redirect(f"{reverse('dashboards:committee')}?org={org.pk}")
            return redirect("dashboards:branch", pk=org.pk)
    if role in ("admin", "committee", "secretary"):
        return redirect("orgs:tree")
    if getattr(request.user, "member", None) is not None:
        return redirect("dashboards:mine")
    return redirect("accounts:me")


@login_required
def me(request):
    """我的: the member's own record, branch and posts; later issues add dues and meetings."""
    member = getattr(request.user, "member", None)
    posts = []
    branch_posts = []
    if member is not None:
        posts = list(CommitteePost.objects.current().filter(member=member).select_related("organization"))
        branch_posts = list(
            CommitteePost.objects.current()
            .filter(organization_id=member.branch_id)
            .select_related("member")
            .in_rank_order()
        )
    return render(
        request,
        "accounts/me.html",
        {"member": member, "posts": posts, "branch_posts": branch_posts, "scope": scope_for(request.user)},
    )
