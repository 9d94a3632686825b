from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AuditEntry

from . import services
from .choices import choice_labels
from .discovery import org_panels
from .forms import (
    EndPostForm,
    MoveForm,
    OrganizationCreateForm,
    OrganizationForm,
    PostForm,
    TreeFilterForm,
    apply_errors,
)
from .models import BRANCH_KINDS, CommitteePost, Organization, OrgKind, PostRole
from .scoping import scope_for
from .selectors import subtree_summary, with_row_facts

PAGE_SIZE = 50
POST_RANK = {role: i for i, role in enumerate(PostRole.values)}  # CommitteePost.in_rank_order's


def _visible_org(request, pk):
    """The one way a view fetches an organisation: outside the user's scope it does not exist."""
    return get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)


@login_required
def tree(request):
    form = TreeFilterForm(request.GET)
    qs = Organization.objects.visible_to(request.user)
    if form.is_valid():
        if form.cleaned_data["q"]:
            qs = qs.filter(name__icontains=form.cleaned_data["q"].strip())
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
    page = Paginator(with_row_facts(qs.order_by("path")), PAGE_SIZE).get_page(request.GET.get("page"))
    base_depth = min((o.depth for o in page.object_list), default=1)
    for org in page.object_list:
        org.indent = org.depth - base_depth
    return render(
        request,
        "branches/tree.html",
        {"page": page, "form": form, "filtered": bool(request.GET.get("q") or request.GET.get("kind"))},
    )


def _pk_urls(name):
    """`pk -> reverse(name, args=[pk])` with the pattern reversed once: a page of 50 links paid a
    `{% url %}` (a resolver walk) per row. The pk is the only argument of an <int:pk> pattern."""
    marker = "2147483647"
    head, tail = reverse(name, args=[int(marker)]).rsplit(marker, 1)
    return lambda pk: f"{head}{pk}{tail}"


def _member_rows(Member, qs):
    """The roster panel as plain rows: a branch of 50 members built 50 members and 50 party groups
    from every column, to show four. Each choice label is translated once, not once per row."""
    gender, status = (
        {value: str(label) for value, label in choice_labels(Member._meta.get_field(f)).items()}
        for f in ("gender", "status")
    )
    url = _pk_urls("members:detail")
    rows = list(qs.values("pk", "name", "gender", "status", "party_group__name"))
    for row in rows:
        row["url"] = url(row["pk"])
        row["gender_label"] = gender.get(row["gender"], row["gender"])
        row["status_label"] = status.get(row["status"], row["status"])
    return rows


def _member_rows_html(rows):
    """The roster's table rows written here, as the template wrote them (each preceded by its
    indentation, every value escaped as autoescape does): four variables and a filter per row cost
    more to render than the query did."""
    row = (
        '\n          <tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
        '<td class="pa-hide-sm">{}</td></tr>\n        '
    )
    return mark_safe(
        "".join(
            row.format(
                *map(
                    escape,
                    (
                        r["url"],
                        r["name"],
                        r["gender_label"],
                        r["status_label"],
                        r["party_group__name"] or "—",
                    ),
                )
            )
            for r in rows
        )
    )


@login_required
def detail(request, pk):
    org = _visible_org(request, pk)
    scope = scope_for(request.user)
    ancestors = list(Organization.objects.filter(path__in=org.ancestor_paths()).order_by("depth"))
    visible_ancestor_ids = {a.pk for a in ancestors if scope.can_see(a)}
    # A branch's children are its party groups, whose member count the page does not show.
    children = list(
        with_row_facts(
            Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1),
            member_counts=not org.is_branch,
        )
    )
    today = timezone.localdate()
    # In rank order (书记 first), sorted here: a handful of rows, and in_rank_order's CASE over
    # every role cost more to build than the rest of the query.
    posts = sorted(
        CommitteePost.objects.current(today)
        .filter(organization=org)
        .select_related("member")
        .only("role", "started_on", "approved_on", "member__name")  # no ciphertexts to decrypt
        .order_by("started_on"),
        key=lambda post: POST_RANK.get(post.role, len(POST_RANK)),
    )
    has_secretary = any(p.role == PostRole.SECRETARY for p in posts)
    members = []
    if org.kind in BRANCH_KINDS or org.kind == OrgKind.PARTY_GROUP:
        from django.apps import apps

        Member = apps.get_model("members", "Member")
        field = "party_group" if org.kind == OrgKind.PARTY_GROUP else "branch"
        members = _member_rows(
            Member, Member.objects.visible_to(request.user).filter(**{field: org}).order_by("name")[:200]
        )
    # The history covers every post the organisation has had, read as ids: unordered (the posts'
    # default order joins the organisation for nothing).
    every_post = CommitteePost.objects.filter(organization=org).order_by()
    context = {
        "org": org,
        "ancestors": ancestors,
        "visible_ancestor_ids": visible_ancestor_ids,
        "children": children,
        "posts": posts,
        "secretary_vacant": org.kind != OrgKind.PARTY_GROUP and not has_secretary,
        "members": members,
        "member_rows": _member_rows_html(members),
        "summary": subtree_summary(org) if not org.is_branch and org.kind != OrgKind.PARTY_GROUP else None,
        "can_edit": scope.can_edit(org),
        "can_add_child": any(services.can_create_child(request.user, org, k) for k in OrgKind)
        and org.kind != OrgKind.PARTY_GROUP,
        "can_move": scope.supervises_strictly(org) and org.depth > 1,
        "can_approve": scope.supervises_strictly(org),
        "history": AuditEntry.objects.for_object(org, every_post)[:20],
        "term_days_left": (org.term_end - today).days if org.term_end else None,
        "panels": org_panels(request, org),
    }
    return render(request, "branches/detail.html", context)


@login_required
def edit(request, pk):
    org = _visible_org(request, pk)
    if not scope_for(request.user).can_edit(org):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, instance=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: form.cleaned_data[k] for k in form.fields if not form.fields[k].disabled}
            services.organization_update(user=request.user, org=Organization.objects.get(pk=org.pk), **fields)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "branches/form.html",
        {"form": form, "org": org, "title": _("编辑 %(name)s") % {"name": org.name}},
    )


@login_required
def create_child(request, pk):
    parent = _visible_org(request, pk)
    form = OrganizationCreateForm(request.POST or None, parent=parent, user=request.user)
    if not form.fields["kind"].choices:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind = data.pop("kind")
        name = data.pop("name")
        try:
            org = services.organization_create(user=request.user, parent=parent, kind=kind, name=name, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已创建 %(name)s。") % {"name": org.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "branches/form.html",
        {"form": form, "org": parent, "title": _("在 %(name)s 下新建组织") % {"name": parent.name}},
    )


@login_required
def move(request, pk):
    org = _visible_org(request, pk)
    if not scope_for(request.user).supervises_strictly(org):
        raise PermissionDenied
    form = MoveForm(request.POST or None, org=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_move(user=request.user, org=org, new_parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已移动 %(name)s 及其全部下级组织。") % {"name": org.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "branches/form.html",
        {"form": form, "org": org, "title": _("移动 %(name)s") % {"name": org.name}},
    )


@login_required
def post_create(request, pk):
    org = _visible_org(request, pk)
    if not scope_for(request.user).can_edit(org):
        raise PermissionDenied
    form = PostForm(
        request.POST or None, org=org, user=request.user, initial={"started_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.post_assign(user=request.user, organization=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记任职。"))
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "branches/form.html", {"form": form, "org": org, "title": _("登记委员任职")})


def _visible_post(request, post_pk):
    return get_object_or_404(
        CommitteePost.objects.visible_to(request.user).select_related("organization", "member"), pk=post_pk
    )


@login_required
def post_end(request, post_pk):
    post = _visible_post(request, post_pk)
    if not scope_for(request.user).can_edit(post.organization):
        raise PermissionDenied
    form = EndPostForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_end(user=request.user, post=post, ended_on=form.cleaned_data["ended_on"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记离任。"))
            return redirect("orgs:detail", pk=post.organization_id)
    return render(
        request,
        "branches/form.html",
        {"form": form, "org": post.organization, "title": _("%(post)s 离任") % {"post": post}},
    )


@login_required
@require_POST
def post_approve(request, post_pk):
    post = _visible_post(request, post_pk)
    services.post_approve(
        user=request.user,
        post=post,
        approved_on=timezone.localdate(),
        approval_ref=request.POST.get("approval_ref", "")[:100],
    )
    messages.success(request, _("已批复。"))
    return redirect("orgs:detail", pk=post.organization_id)
