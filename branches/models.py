"""The org tree (党委 → 党总支 → 党支部 → 党小组), committee posts, terms and access grants.

The tree is a materialized path (django-treebeard MP): a subtree is `path LIKE 'prefix%'`, the
ancestors are the path's prefixes — one query each, whatever the depth or size.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from .choices import ChoiceLabels


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    PARTY_GROUP = "party_group", _("党小组")


BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.JOINT_BRANCH)

# Which kinds may sit directly under which (条例 ch.2): a 党小组 under a branch; a branch under a
# 党总支 or 党委; a 党总支 under a 党委; a 党委 at the root or under another 党委.
ALLOWED_PARENT_KINDS = {
    OrgKind.COMMITTEE: (None, OrgKind.COMMITTEE),
    OrgKind.GENERAL_BRANCH: (OrgKind.COMMITTEE,),
    OrgKind.BRANCH: (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH),
    OrgKind.JOINT_BRANCH: (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH),
    OrgKind.PARTY_GROUP: BRANCH_KINDS,
}


class OrgField(models.TextChoices):
    ORGAN = "organ", _("机关")
    ENTERPRISE = "enterprise", _("企业")
    VILLAGE = "village", _("村")
    COMMUNITY = "community", _("社区")
    SCHOOL = "school", _("学校")
    NEW_SECTORS = "new_sectors", _("两新组织")


class OrganizationQuerySet(MP_NodeQuerySet):
    def visible_to(self, user):
        """Everything `user` may see: admin all; committee staff their subtrees; branch officers
        and members their branch with its party groups."""
        from .scoping import scope_for

        return self.filter(scope_for(user).visible_q())

    def subtree_of(self, org, *, include_self=True):
        qs = self.filter(path__startswith=org.path)
        return qs if include_self else qs.exclude(pk=org.pk)

    def within(self, pk):
        """The subtree (inclusive) of organisation `pk`, looked up among these rows only — so an id
        outside the caller's scope behaves exactly like one that does not exist."""
        anchor = self.filter(pk=pk).values_list("path", flat=True).first()
        return self.filter(path__startswith=anchor) if anchor else self.none()


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):
    def get_queryset(self):
        # treebeard's manager hard-codes its own queryset class; keep ours (and its tree order).
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


class Organization(ChoiceLabels, MP_Node):
    name = models.CharField(_("名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)
    field = models.CharField(_("领域"), max_length=20, choices=OrgField.choices, default=OrgField.ORGAN)
    code = models.CharField(_("组织代码"), max_length=40, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    term_start = models.DateField(_("本届任期开始"), null=True, blank=True)
    term_end = models.DateField(_("本届任期届满"), null=True, blank=True)
    is_weak = models.BooleanField(_("软弱涣散"), default=False)
    star_level = models.PositiveSmallIntegerField(_("星级"), null=True, blank=True)
    budget = models.DecimalField(_("党建经费（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OrganizationManager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["kind", "path"], name="org_kind_path"),
            # An organisation's children (depth + 1, under its path) without reading the rest of
            # its subtree: what a dashboard lists whatever the subtree's size.
            models.Index(
                fields=["depth", "path"], name="org_depth_path", opclasses=["int4_ops", "varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self):
        return self.kind in BRANCH_KINDS

    @property
    def parent_path(self):
        return self.path[: -self.steplen] if self.depth > 1 else None

    def ancestor_paths(self):
        return [self.path[: i * self.steplen] for i in range(1, self.depth)]

    def scope_paths(self):
        """This organisation's path and its ancestors'. One not yet in the tree takes those of the
        parent it is being created under (`organization_create` sets `new_parent`), so subtree
        rules apply to it before treebeard assigns its path."""
        if self.path:
            return [*self.ancestor_paths(), self.path]
        parent = getattr(self, "new_parent", None)
        return parent.scope_paths() if parent is not None else []

    def clean_parent(self, parent):
        """Raise ValidationError unless an org of this kind may sit under `parent`."""
        allowed = ALLOWED_PARENT_KINDS[self.kind]
        parent_kind = parent.kind if parent is not None else None
        if parent_kind not in allowed:
            if parent is None:
                raise ValidationError(
                    {"parent": _("%(kind)s必须有上级党组织。") % {"kind": self.get_kind_display()}}
                )
            names = "、".join(str(OrgKind(k).label) for k in allowed if k)
            raise ValidationError(
                {
                    "parent": _("%(kind)s只能设在%(allowed)s之下，不能设在%(parent)s（%(pkind)s）之下。")
                    % {
                        "kind": self.get_kind_display(),
                        "allowed": names,
                        "parent": parent.name,
                        "pkind": parent.get_kind_display(),
                    }
                }
            )

    def clean(self):
        if self.term_start and self.term_end and self.term_end <= self.term_start:
            raise ValidationError({"term_end": _("任期届满日期必须晚于任期开始日期。")})
        if self.term_start and self.term_end:
            # The rule in force when the term began governs it, whatever has been decided since.
            years = TermRule.years_for(self, on=self.term_start)
            # A term may be extended by at most one year, with approval (条例§21): its last day is
            # at most the day before the (years + 1)th anniversary, as `default_term_end` counts.
            limit = _add_years(self.term_start, years + 1) - datetime.timedelta(days=1)
            if self.term_end > limit:
                raise ValidationError(
                    {"term_end": _("任期不得超过规定的%(years)s年（经批准最多延长1年）。") % {"years": years}}
                )
        if self.star_level is not None and not 1 <= self.star_level <= 5:
            raise ValidationError({"star_level": _("星级应为1至5。")})


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class ScopedRule(models.Model):
    """Base of every versioned rule table (rules are data, domain spec §0): a row applies from
    `effective_from`; one scoped to an organisation overrides the global default for its subtree
    (local practice is often stricter). The most specific scope wins, then the newest date."""

    effective_from = models.DateField(_("生效日期"))
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("适用范围"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("留空表示全局默认"),
    )
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def in_force(cls, org, on=None):
        """Candidate rows for `org` on a date (global, or scoped to it or an ancestor), each
        annotated with `scope_depth` (0 = global) for `rank`."""
        on = on or timezone.localdate()
        return (
            cls.objects.filter(effective_from__lte=on)
            .filter(Q(organization__isnull=True) | Q(organization__path__in=org.scope_paths()))
            .annotate(scope_depth=Coalesce("organization__depth", 0))
        )

    @staticmethod
    def rank(rule, *more):
        """Nearest scope first, then any rule-specific preferences, then the newest date."""
        return (rule.scope_depth, *more, rule.effective_from)


class TermRule(ScopedRule):
    """Term length in years by field of work (条例§21: village and community branches 5 years,
    others normally 3)."""

    field = models.CharField(
        _("领域"), max_length=20, choices=OrgField.choices, blank=True, help_text=_("留空表示适用于所有领域")
    )
    years = models.PositiveSmallIntegerField(_("任期（年）"))

    class Meta:
        verbose_name = _("任期规则")
        verbose_name_plural = _("任期规则")
        ordering = ["-effective_from"]

    def __str__(self):
        return f"{self.get_field_display() or _('全部')}: {self.years}"

    def clean(self):
        if not 1 <= self.years <= 5:
            raise ValidationError({"years": _("党章规定任期为3至5年；请输入1至5之间的数字。")})

    @classmethod
    def years_for(cls, org, on=None):
        """The term length that applies to `org` on a date; among equally specific scopes the
        field-specific row beats the all-fields row."""
        rules = list(cls.in_force(org, on).filter(Q(field=org.field) | Q(field="")))

        def rank(rule):
            return cls.rank(rule, rule.field == org.field)

        return max(rules, key=rank).years if rules else 3


class PostRole(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    ORGANIZATION_MEMBER = "organization_member", _("组织委员")
    PROPAGANDA_MEMBER = "propaganda_member", _("宣传委员")
    DISCIPLINE_MEMBER = "discipline_member", _("纪检委员")
    COMMITTEE_MEMBER = "committee_member", _("委员")
    GROUP_LEADER = "group_leader", _("党小组长")


# Posts that run a branch's affairs in the app (write access to their branch).
OFFICER_ROLES = (PostRole.SECRETARY, PostRole.DEPUTY_SECRETARY, PostRole.ORGANIZATION_MEMBER)


# Posts one person holds at a time (several 副书记 or 委员 may serve together).
SINGLE_HOLDER_ROLES = (
    PostRole.SECRETARY,
    PostRole.ORGANIZATION_MEMBER,
    PostRole.PROPAGANDA_MEMBER,
    PostRole.DISCIPLINE_MEMBER,
    PostRole.GROUP_LEADER,
)


class CommitteePostQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Posts in the organisations the user may see."""
        from .scoping import scope_for

        return self.filter(scope_for(user).visible_q("organization__"))

    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(started_on__lte=on).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))

    def in_rank_order(self):
        """书记 first, then 副书记, 组织委员 … in the order of PostRole."""
        rank = models.Case(
            *(models.When(role=role, then=models.Value(i)) for i, role in enumerate(PostRole.values)),
            output_field=models.IntegerField(),
        )
        return self.annotate(role_rank=rank).order_by("role_rank", "started_on")

    def secretary_of(self, org, on=None):
        """Who held the secretary post of `org` on a date (None if vacant)."""
        post = (
            self.current(on)
            .filter(organization=org, role=PostRole.SECRETARY)
            .select_related("member")
            .first()
        )
        return post.member if post else None


class CommitteePost(ChoiceLabels, models.Model):
    """A person holding a post in an organisation for a period (elected, then approved above)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="posts"
    )
    role = models.CharField(_("职务"), max_length=30, choices=PostRole.choices)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("任职党员"), on_delete=models.PROTECT, related_name="posts"
    )
    started_on = models.DateField(_("任职日期"))
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)
    elected_on = models.DateField(_("选举日期"), null=True, blank=True)
    approved_on = models.DateField(_("上级批复日期"), null=True, blank=True)
    approval_ref = models.CharField(_("批复文号"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = CommitteePostQuerySet.as_manager()

    class Meta:
        verbose_name = _("委员职务")
        verbose_name_plural = _("委员职务")
        ordering = ["organization", "role", "-started_on"]
        indexes = [models.Index(fields=["organization", "role", "started_on"], name="post_org_role_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="post_end_after_start",
            ),
            # The database's own guard against two open-ended holders of a single-holder post.
            models.UniqueConstraint(
                fields=["organization", "role"],
                condition=Q(ended_on__isnull=True) & Q(role__in=SINGLE_HOLDER_ROLES),
                name="post_single_open_holder",
            ),
        ]

    def __str__(self):
        # Names only: the role is shown (translated) from the field, not frozen into the text.
        return f"{self.organization} · {self.member}"


class GrantRole(models.TextChoices):
    COMMITTEE_STAFF = "committee_staff", _("上级党组织工作人员")


class Grant(models.Model):
    """Access to a subtree for committee staff (党务专干 of a 党委 / 机关党委): see everything below,
    create and edit organisations there, approve and verify."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="grants"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(
        _("角色"), max_length=30, choices=GrantRole.choices, default=GrantRole.COMMITTEE_STAFF
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("管理授权")
        verbose_name_plural = _("管理授权")
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="grant_unique")]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


def default_term_end(org):
    if not org.term_start:
        return None
    return _add_years(org.term_start, TermRule.years_for(org, on=org.term_start)) - datetime.timedelta(days=1)
