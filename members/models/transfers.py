"""Organisational relationship transfers (组织关系转接) and mobile members (流动党员)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Organization


class TransferDirection(models.TextChoices):
    INTERNAL = "internal", _("系统内转接")
    OUT = "out", _("转出系统外")
    IN = "in", _("从系统外转入")


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("待接收")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class Transfer(models.Model):
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="transfers"
    )
    direction = models.CharField(_("转接类型"), max_length=10, choices=TransferDirection.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    from_branch = models.ForeignKey(
        Organization,
        verbose_name=_("转出支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_branch = models.ForeignKey(
        Organization,
        verbose_name=_("接收支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_org = models.CharField(_("系统外党组织"), max_length=200, blank=True)
    letter_no = models.CharField(_("介绍信编号"), max_length=50, blank=True)
    dues_paid_through = models.CharField(_("党费交至（年月）"), max_length=7, blank=True, help_text="YYYY-MM")
    outstanding_dues_acknowledged = models.BooleanField(_("已确认欠缴党费情况"), default=False)
    issued_on = models.DateField(_("开具日期"))
    valid_until = models.DateField(_("有效期至"))
    receipt_on = models.DateField(_("回执日期"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("转接原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-issued_on", "-pk"]

    def __str__(self):
        return f"{self.member} {self.letter_no or self.get_direction_display()}"


class MobileDirection(models.TextChoices):
    OUTFLOW = "outflow", _("流出")
    INFLOW = "inflow", _("流入")


class MobileRecord(models.Model):
    """A stretch of time a member is away (流出) or staying with us from elsewhere (流入)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="mobile_records"
    )
    direction = models.CharField(_("流向"), max_length=10, choices=MobileDirection.choices)
    location = models.CharField(_("流动地点/单位"), max_length=200)
    since = models.DateField(_("流动开始日期"))
    until = models.DateField(_("流动结束日期"), null=True, blank=True)
    fixed_place = models.BooleanField(_("在固定地点"), default=True)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    home_org = models.CharField(_("原党组织（流入）"), max_length=200, blank=True)
    card_no = models.CharField(_("流动党员活动证编号"), max_length=50, blank=True)
    card_issued_on = models.DateField(_("活动证发放日期"), null=True, blank=True)
    last_report_on = models.DateField(_("最近一次汇报日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("流动党员登记")
        verbose_name_plural = _("流动党员登记")
        ordering = ["member", "-since"]

    def __str__(self):
        return f"{self.member} {self.location}"


class MobileReport(models.Model):
    """A mobile member's report-back to the home branch (at least once a year, 流动党员管理办法)."""

    record = models.ForeignKey(
        MobileRecord, verbose_name=_("流动党员登记"), on_delete=models.CASCADE, related_name="reports"
    )
    reported_on = models.DateField(_("汇报日期"))
    summary = models.TextField(_("汇报内容"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流动党员汇报")
        verbose_name_plural = _("流动党员汇报")
        ordering = ["record", "-reported_on"]

    def __str__(self):
        return f"{self.record} {self.reported_on}"
