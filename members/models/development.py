"""The development pipeline (发展党员): 25 steps in 5 stages (发展党员工作细则 2014), one record per
completed step, and the time rules as a versioned rule table."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import ScopedRule


class Stage(models.IntegerChoices):
    APPLICATION = 1, _("申请入党")
    ACTIVIST = 2, _("入党积极分子的确定和培养教育")
    TARGET = 3, _("发展对象的确定和考察")
    ADMISSION = 4, _("预备党员的接收")
    PROBATION = 5, _("预备党员的教育考察和转正")


class DevelopmentRuleCode(models.TextChoices):
    """Each number of §2.4 as a rule; values are ints in the unit the code names."""

    MIN_AGE_YEARS = "min_age_years", _("申请人最低年龄（周岁）")
    TALK_WITHIN_DAYS = "talk_within_days", _("递交申请书后谈话期限（天）")
    ACTIVIST_MIN_MONTHS = "activist_min_months", _("积极分子培养教育最短期限（月）")
    ASSESSMENT_INTERVAL_MONTHS = "assessment_interval_months", _("积极分子考察间隔（月）")
    SPONSORS = "sponsors", _("入党介绍人人数")
    TRAINING_MIN_HOURS = "training_min_hours", _("集中培训最少学时")
    TRAINING_MIN_DAYS = "training_min_days", _("集中培训最少天数")
    NOTICE_WORKING_DAYS = "notice_working_days", _("公示期（工作日）")
    APPROVAL_WITHIN_MONTHS = "approval_within_months", _("上级党委审批期限（月）")
    APPROVAL_EXTENSION_MONTHS = "approval_extension_months", _("审批期限最多延长（月）")
    PROBATION_MONTHS = "probation_months", _("预备期（月）")
    EXTENSION_MIN_MONTHS = "extension_min_months", _("延长预备期最短（月）")
    EXTENSION_MAX_MONTHS = "extension_max_months", _("延长预备期最长（月）")
    # Transfers and mobile members (§2.7).
    TRANSFER_VALID_MONTHS = "transfer_valid_months", _("介绍信有效期（月）")
    TRANSFER_MAX_VALID_MONTHS = "transfer_max_valid_months", _("介绍信最长有效期（跨省，月）")
    DUES_PREPAY_MAX_MONTHS = "dues_prepay_max_months", _("党费最多预交（月）")
    MOBILE_TRANSFER_AFTER_MONTHS = "mobile_transfer_after_months", _("固定地点外出满此月数应转接组织关系")
    MOBILE_REPORT_EVERY_MONTHS = "mobile_report_every_months", _("流动党员汇报间隔（月）")


# The national numbers of the 细则 (2014): loaded as rule rows by migration 0003 and the fallback when
# no row is in force (an emptied table must not break the pipeline).
NATIONAL_DEFAULTS = {
    DevelopmentRuleCode.MIN_AGE_YEARS: 18,
    DevelopmentRuleCode.TALK_WITHIN_DAYS: 30,
    DevelopmentRuleCode.ACTIVIST_MIN_MONTHS: 12,
    DevelopmentRuleCode.ASSESSMENT_INTERVAL_MONTHS: 6,
    DevelopmentRuleCode.SPONSORS: 2,
    DevelopmentRuleCode.TRAINING_MIN_HOURS: 24,
    DevelopmentRuleCode.TRAINING_MIN_DAYS: 3,
    DevelopmentRuleCode.NOTICE_WORKING_DAYS: 5,
    DevelopmentRuleCode.APPROVAL_WITHIN_MONTHS: 3,
    DevelopmentRuleCode.APPROVAL_EXTENSION_MONTHS: 3,
    DevelopmentRuleCode.PROBATION_MONTHS: 12,
    DevelopmentRuleCode.EXTENSION_MIN_MONTHS: 6,
    DevelopmentRuleCode.EXTENSION_MAX_MONTHS: 12,
    DevelopmentRuleCode.TRANSFER_VALID_MONTHS: 3,
    DevelopmentRuleCode.TRANSFER_MAX_VALID_MONTHS: 6,
    DevelopmentRuleCode.DUES_PREPAY_MAX_MONTHS: 6,
    DevelopmentRuleCode.MOBILE_TRANSFER_AFTER_MONTHS: 6,
    DevelopmentRuleCode.MOBILE_REPORT_EVERY_MONTHS: 12,
}


class DevelopmentRule(ScopedRule):
    """One number of §2.4 (细则) or §2.7 (transfers, mobile members), versioned and overridable per
    subtree like every rule table."""

    code = models.CharField(_("规则"), max_length=40, choices=DevelopmentRuleCode.choices)
    value = models.PositiveIntegerField(_("数值"))

    class Meta:
        verbose_name = _("党员管理规则")
        verbose_name_plural = _("党员管理规则")
        ordering = ["code", "-effective_from"]

    def __str__(self):
        return f"{self.get_code_display()}: {self.value}"

    @classmethod
    def values_for(cls, branch, on=None):
        """{code: value} in force for `branch` (None: the global rows only) on a date — one query
        for every rule."""
        best = {}
        if branch is None:
            on = on or timezone.localdate()
            candidates = cls.objects.filter(organization__isnull=True, effective_from__lte=on).annotate(
                scope_depth=models.Value(0)
            )
        else:
            candidates = cls.in_force(branch, on)
        for rule in candidates:
            if rule.code not in best or cls.rank(rule) > cls.rank(best[rule.code]):
                best[rule.code] = rule
        values = {str(code): value for code, value in NATIONAL_DEFAULTS.items()}
        values.update({code: rule.value for code, rule in best.items()})
        return values


class DevelopmentStep(models.Model):
    """One completed step of the 25 for one person: when, evidence and approval reference."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("发展对象"),
        on_delete=models.CASCADE,
        related_name="development_steps",
    )
    step_no = models.PositiveSmallIntegerField(_("步骤"))
    done_on = models.DateField(_("完成日期"))
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    evidence = models.FileField(_("材料"), upload_to="development/%Y/", blank=True)
    approval_ref = models.CharField(_("批复/备案文号"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("发展步骤")
        verbose_name_plural = _("发展步骤")
        ordering = ["member", "step_no"]
        constraints = [
            models.UniqueConstraint(fields=["member", "step_no"], name="devstep_once_per_member"),
            models.CheckConstraint(condition=Q(step_no__gte=1, step_no__lte=25), name="devstep_no_1_25"),
        ]

    def __str__(self):
        return f"{self.member} #{self.step_no}"

    def clean(self):
        if self.done_on and self.done_on > timezone.localdate():
            raise ValidationError({"done_on": _("完成日期不能晚于今天。")})


class Assessment(models.Model):
    """Half-yearly assessment of an activist (培养考察) and thought reports received."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("培养考察")
        THOUGHT_REPORT = "thought_report", _("思想汇报")

    member = models.ForeignKey(
        "members.Member", verbose_name=_("积极分子"), on_delete=models.CASCADE, related_name="assessments"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    done_on = models.DateField(_("日期"))
    summary = models.TextField(_("内容摘要"), blank=True)
    reviewer = models.CharField(_("考察人/审阅人"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("培养考察记录")
        verbose_name_plural = _("培养考察记录")
        ordering = ["member", "-done_on"]

    def __str__(self):
        return f"{self.member} {self.done_on}"


class StatusChange(models.Model):
    """Every change of a member's status, with the step or transfer that caused it."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("原政治面貌"), max_length=30, blank=True)
    to_status = models.CharField(_("新政治面貌"), max_length=30)
    changed_on = models.DateField(_("日期"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("政治面貌变更")
        verbose_name_plural = _("政治面貌变更")
        ordering = ["member", "changed_on", "created_at"]

    def __str__(self):
        return f"{self.member} {self.from_status}→{self.to_status}"
