"""The 三会一课 cadence as a versioned rule table (domain spec §2.1; rules are data, §0).

One row per obligation (`code`), in force from `effective_from` to `effective_to` (inclusive; empty =
open-ended). A row scoped to an organisation overrides the global one for its subtree: the most
specific scope wins, then the newest `effective_from` (ScopedRule). A committee switches a rule off
for its subtree with an `enabled=False` row, or makes it stricter (a higher `min_count`, a shorter
`frequency`). What a rule counts (which meeting kind, which lecturer type) is fixed by its code in
`compliance.engine`; how many, how often and for which branches is data here.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import ScopedRule


class RuleCode(models.TextChoices):
    COMMITTEE_MEETING = "committee_meeting", _("支委会")
    GROUP_MEETING = "group_meeting", _("党小组会")
    GENERAL_MEETING = "general_meeting", _("支部党员大会")
    PARTY_LECTURE = "party_lecture", _("党课")
    THEMED_DAY = "themed_day", _("主题党日")
    ORG_LIFE = "org_life", _("组织生活会")
    APPRAISAL = "appraisal", _("民主评议党员")
    SECRETARY_LECTURE = "secretary_lecture", _("支部书记讲党课")
    TALK = "talk", _("谈心谈话")


class Frequency(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class ComplianceRule(ScopedRule):
    """One obligation of §2.1: at least `min_count` locked meetings per `frequency` window (per
    party group for 党小组会, per pair type for 谈心谈话), for branches with at least
    `min_full_members` full members (the 支委会 applies only where a committee exists: ≥ 7, 条例§21)."""

    code = models.CharField(_("规则"), max_length=30, choices=RuleCode.choices)
    enabled = models.BooleanField(_("启用"), default=True, help_text=_("取消勾选即对适用范围停用此项要求"))
    frequency = models.CharField(_("周期"), max_length=10, choices=Frequency.choices)
    min_count = models.PositiveSmallIntegerField(_("每周期至少次数"), default=1)
    min_full_members = models.PositiveSmallIntegerField(
        _("适用的最少正式党员数"), default=0, help_text=_("正式党员少于此数的支部不适用，0表示所有支部")
    )
    grace_days = models.PositiveSmallIntegerField(
        _("记录锁定宽限（天）"),
        default=0,
        help_text=_("周期结束后多少天内签字锁定的会议记录仍算按期；超过则算补录"),
    )
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("留空表示长期有效"))

    class Meta:
        verbose_name = _("组织生活规则")
        verbose_name_plural = _("组织生活规则")
        ordering = ["code", "-effective_from"]
        indexes = [models.Index(fields=["code", "effective_from"], name="comprule_code_from")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="comprule_to_after_from",
            ),
        ]

    def __str__(self):
        return f"{self.get_code_display()}: {self.get_frequency_display()} ≥{self.min_count}"

    def clean(self):
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("失效日期不能早于生效日期。")})
        if self.enabled and self.min_count < 1:
            raise ValidationError({"min_count": _("启用的规则每周期至少应为1次；不要求时请取消“启用”。")})

    def in_force_on(self, day):
        return self.effective_from <= day and (self.effective_to is None or self.effective_to >= day)


class ScoreRule(ScopedRule):
    """Weights of the composite score and the red / amber / green thresholds of the dashboards and
    the quarterly report (domain spec §5.13: composite score and ranking → weak-branch screening).
    Local practice sets these (the spec gives no national numbers), so they are data: versioned,
    overridable for a subtree. The score is the weighted mean of the component rates (0–100) that
    apply to a branch; weights need not sum to 100 (they are normalised over the components that
    apply). A branch is red when its score is below `red_below` or when it missed a meeting rule
    (`red_on_missing`) or has a member in the 6-month 自行脱党 review (`red_on_lapse`); amber when
    below `amber_below`, or with overdue rectification items or overdue development steps."""

    weight_meetings = models.PositiveSmallIntegerField(_("组织生活权重"), default=40)
    weight_attendance = models.PositiveSmallIntegerField(_("到会率权重"), default=15)
    weight_dues = models.PositiveSmallIntegerField(_("党费收缴权重"), default=20)
    weight_rectification = models.PositiveSmallIntegerField(_("整改销号权重"), default=15)
    weight_development = models.PositiveSmallIntegerField(_("发展党员按期权重"), default=10)
    red_below = models.PositiveSmallIntegerField(_("低于此分为红"), default=60)
    amber_below = models.PositiveSmallIntegerField(_("低于此分为黄"), default=85)
    red_on_missing = models.BooleanField(_("会议未达标即为红"), default=True)
    red_on_lapse = models.BooleanField(_("有连续6个月未交党费者即为红"), default=True)

    class Meta:
        verbose_name = _("综合评分规则")
        verbose_name_plural = _("综合评分规则")
        ordering = ["-effective_from"]

    def __str__(self):
        return _("综合评分规则（%(day)s起）") % {"day": self.effective_from}

    def clean(self):
        if self.amber_below < self.red_below:
            raise ValidationError({"amber_below": _("黄色阈值不能低于红色阈值。")})
        weights = (
            self.weight_meetings,
            self.weight_attendance,
            self.weight_dues,
            self.weight_rectification,
            self.weight_development,
        )
        if not any(weights):
            raise ValidationError({"weight_meetings": _("至少一项权重应大于0。")})

    @classmethod
    def for_org(cls, org, on=None):
        """The row in force for `org` on a date; the built-in defaults when the table is empty."""
        rows = list(cls.in_force(org, on)) if org is not None else []
        if org is None:
            rows = list(
                cls.objects.filter(
                    organization__isnull=True, effective_from__lte=on or timezone.localdate()
                ).annotate(scope_depth=models.Value(0))
            )
        best = max(rows, key=cls.rank, default=None)
        return best if best is not None else cls(effective_from=datetime.date(2000, 1, 1))


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class QuarterlyReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Committee staff: reports of their subtree; branch officers: their own branch's report
        (a committee's workbook lists sibling branches, so it is not theirs)."""
        from branches.scoping import scope_for

        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(scope_for(user).editable_q("organization__"))


class QuarterlyReport(models.Model):
    """The quarterly compliance workbook of one organisation and quarter — one row, regenerated in
    place (same data, same figures). Built by a worker; `heartbeat_at` moves with the progress so
    a run whose worker died is taken over by the redelivered task once the heartbeat is stale."""

    organization = models.ForeignKey(
        "branches.Organization",
        verbose_name=_("党组织"),
        on_delete=models.CASCADE,
        related_name="quarterly_reports",
    )
    period = models.CharField(_("季度"), max_length=7, help_text="YYYY-Qn")
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    branches = models.PositiveIntegerField(_("支部数"), default=0)
    file = models.FileField(_("文件"), upload_to="reports/%Y/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    runs = models.PositiveSmallIntegerField(_("生成次数"), default=0)

    objects = QuarterlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("季度合规报告")
        verbose_name_plural = _("季度合规报告")
        ordering = ["-period", "organization__path"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "period"], name="quarterly_report_once")
        ]

    def __str__(self):
        return f"{self.organization} {self.period}"

    @property
    def finished(self):
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)
