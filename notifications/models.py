"""Reminder rules, per-user channel preferences, group-robot webhooks and the delivery log.

A delivery is one reminder (rule kind, subject, period) for one recipient on one channel. The
unique constraint on those five columns is the "never twice" guarantee: a run claims its rows with
INSERT … ON CONFLICT DO NOTHING, so two beat processes, a retry or a re-run insert nothing new and
therefore send nothing new. The in-app notification is the delivery row on the in-app channel.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Organization, ScopedRule


class ReminderKind(models.TextChoices):
    MEETING_MISSING = "meeting_missing", _("规定会议尚未召开")
    MINUTES_UNSIGNED = "minutes_unsigned", _("会议记录未签字")
    DUES_UNPAID = "dues_unpaid", _("本月党费未交")
    DUES_THREE_MONTHS = "dues_3m", _("欠交党费满3个月")
    DUES_SIX_MONTHS = "dues_6m", _("连续6个月未交党费（自行脱党审查）")
    RECTIFICATION_DUE = "rect_due", _("整改事项临近时限")
    RECTIFICATION_OVERDUE = "rect_overdue", _("整改事项已超期")
    RECTIFICATION_UPDATE = "rect_update", _("整改事项缺少本月推进情况")
    DEVELOPMENT_DUE = "dev_due", _("发展党员步骤临近期限")
    DEVELOPMENT_OVERDUE = "dev_overdue", _("发展党员步骤已超期")
    TRANSFER_EXPIRING = "transfer_expiring", _("介绍信即将过期未回执")
    TERM_ENDING = "term_ending", _("支部委员会任期即将届满")
    REPORT_READY = "report_ready", _("季度合规报告已生成")


class Recipients(models.TextChoices):
    MEMBER = "member", _("党员本人")
    OFFICERS = "officers", _("支部书记和组织委员")
    COMMITTEE = "committee", _("上级党组织工作人员")
    OFFICERS_AND_COMMITTEE = "officers_committee", _("支部书记、组织委员和上级党组织")
    RESPONSIBLE = "responsible", _("责任人和责任单位")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("群机器人")
    SMS = "sms", _("短信")


EXTERNAL_CHANNELS = (Channel.EMAIL, Channel.WEBHOOK, Channel.SMS)


class ReminderRule(ScopedRule):
    """One reminder case: on/off, lead time (days before a deadline, or after an event) and who
    receives it. Versioned and overridable for a subtree like every rule table."""

    kind = models.CharField(_("提醒类型"), max_length=30, choices=ReminderKind.choices)
    enabled = models.BooleanField(_("启用"), default=True)
    lead_days = models.PositiveSmallIntegerField(
        _("提前/延后天数"), default=7, help_text=_("期限前多少天提醒；会议记录为会后多少天仍未签字")
    )
    recipients = models.CharField(_("接收人"), max_length=30, choices=Recipients.choices)

    class Meta:
        verbose_name = _("提醒规则")
        verbose_name_plural = _("提醒规则")
        ordering = ["kind", "-effective_from"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.organization or _('全局')})"


class WebhookFlavour(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class Preference(models.Model):
    """A person's channels. In-app notifications always go; the others are opt-in per channel.
    Digest: external channels receive one message a day listing the day's reminders. Quiet hours:
    nothing external is sent between `quiet_start` and `quiet_end` (local time; may wrap midnight)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notify_pref"
    )
    email = models.BooleanField(_("接收电子邮件"), default=True)
    sms = models.BooleanField(_("接收短信"), default=False)
    webhook = models.BooleanField(_("推送到群机器人"), default=False)
    webhook_flavour = models.CharField(
        _("群机器人类型"), max_length=10, choices=WebhookFlavour.choices, default=WebhookFlavour.WECOM
    )
    webhook_url = models.URLField(_("群机器人地址"), max_length=500, blank=True)
    digest = models.BooleanField(_("每日汇总发送"), default=True)
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self):
        return str(self.user)

    def wants(self, channel):
        return {
            Channel.IN_APP: True,
            Channel.EMAIL: self.email,
            Channel.SMS: self.sms,
            Channel.WEBHOOK: self.webhook and bool(self.webhook_url),
        }[channel]

    def is_quiet(self, moment=None):
        if self.quiet_start is None or self.quiet_end is None:
            return False
        now = timezone.localtime(moment).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= now < self.quiet_end
        return now >= self.quiet_start or now < self.quiet_end

    def quiet_until(self, moment=None):
        """The first moment after the quiet hours (local)."""
        moment = timezone.localtime(moment)
        end = moment.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0)
        if end <= moment:
            end += datetime.timedelta(days=1)
        return end


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    WITHDRAWN = "withdrawn", _("已撤回（情况已变化）")


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person sees their own notifications; the delivery log is for the system admin."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def inbox(self):
        return self.filter(channel=Channel.IN_APP, status=DeliveryStatus.SENT)

    def unread(self):
        return self.inbox().filter(read_at__isnull=True)


class Delivery(models.Model):
    kind = models.CharField(_("提醒类型"), max_length=30, choices=ReminderKind.choices)
    subject = models.CharField(_("对象"), max_length=60, help_text=_("如 member:12、meeting:5"))
    period = models.CharField(_("周期"), max_length=20, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.TextField(_("失败原因"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Never twice: one reminder per (rule, subject, period, recipient, channel).
            models.UniqueConstraint(
                fields=["kind", "subject", "period", "recipient", "channel"], name="delivery_once"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"], name="delivery_inbox"),
            models.Index(
                fields=["status", "next_attempt_at"],
                name="delivery_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{self.title} → {self.recipient} ({self.channel})"


class DeliveryAttempt(models.Model):
    """Every attempt on an external channel, kept for the log: when, which messages, the outcome."""

    deliveries = models.ManyToManyField(Delivery, related_name="attempt_log", verbose_name=_("投递"))
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    ok = models.BooleanField(_("成功"))
    error = models.TextField(_("失败原因"), blank=True)

    class Meta:
        verbose_name = _("发送尝试")
        verbose_name_plural = _("发送尝试")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.channel} {self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"
