"""三会一课 and other organisational life: meetings, attendance, votes, minutes and their sign-off.

A meeting is entered once and feeds everything else (domain spec, design stance): the compliance
engine counts a meeting only once its minutes are locked (`locked_at`), attendance feeds the
6-month "no organisational life" flag and the quarterly report.

Minutes (domain spec §4): draft → signed by the recorder → signed by the secretary (the host for
a 党小组会) → locked → submitted to the superior → accepted, or returned with a comment (which
unlocks for correction; signatures are cleared and must be given again). After locking a change
is an `Amendment` with a reason; the original text and every amendment stay visible.
"""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from branches.choices import ChoiceLabels
from branches.models import Organization


class MeetingKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", _("支部党员大会")
    COMMITTEE_MEETING = "committee_meeting", _("支委会")
    GROUP_MEETING = "group_meeting", _("党小组会")
    PARTY_LECTURE = "party_lecture", _("党课")
    THEMED_DAY = "themed_day", _("主题党日")
    ORG_LIFE = "org_life", _("组织生活会")
    APPRAISAL = "appraisal", _("民主评议党员")
    STUDY = "study", _("集中学习")


class LecturerType(models.TextChoices):
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    SUPERIOR_LEADER = "superior_leader", _("上级领导")
    PARTY_SCHOOL = "party_school", _("党校教师")
    OTHER = "other", _("其他")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class MinutesState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    RECORDER_SIGNED = "recorder_signed", _("记录人已签字")
    LOCKED = "locked", _("已签字锁定")
    SUBMITTED = "submitted", _("已报送上级")
    ACCEPTED = "accepted", _("上级审阅通过")
    RETURNED = "returned", _("退回修改")


# States in which the minutes are locked: a change is an amendment with a reason.
LOCKED_STATES = (MinutesState.LOCKED, MinutesState.SUBMITTED, MinutesState.ACCEPTED)


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Meetings of the organisations the user may see (a member: their own branch's).

        支委会 deliberate on people (development, discipline, appraisal): a plain member sees one only
        if they were asked to attend it (a 支部委员, or invited) or host or record it; the branch's
        officers and the committees above see them all."""
        from branches.scoping import scope_for

        scope = scope_for(user)
        qs = self.filter(scope.visible_q("organization__"))
        if scope.is_admin:
            return qs
        attended = Attendance.objects.filter(meeting=OuterRef("pk"), member_id__in=scope.member_ids)
        ids = scope.member_ids
        return qs.filter(
            ~Q(kind=MeetingKind.COMMITTEE_MEETING)
            | scope.editable_q("organization__")
            | Q(recorder_id__in=ids)
            | Q(host_id__in=ids)
            | Exists(attended)
        )

    def locked(self):
        """Meetings whose minutes are signed and locked — the only ones compliance counts."""
        return self.filter(locked_at__isnull=False)

    def held_between(self, start, end):
        """Held on a day in [start, end] (inclusive dates)."""
        return self.filter(held_on__gte=start, held_on__lte=end)

    def counting_as(self, kind):
        """Meetings that count as `kind`: of that kind, or (for 主题党日) combined with one."""
        if kind == MeetingKind.THEMED_DAY:
            return self.filter(Q(kind=kind) | Q(also_themed_day=True))
        return self.filter(kind=kind)


class Meeting(ChoiceLabels, models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="meetings"
    )
    party_group = models.ForeignKey(
        Organization,
        verbose_name=_("党小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_meetings",
        help_text=_("党小组会必填"),
    )
    kind = models.CharField(_("会议类型"), max_length=30, choices=MeetingKind.choices)
    also_themed_day = models.BooleanField(
        _("同时作为主题党日"), default=False, help_text=_("与主题党日合并召开的会议，两项都计入")
    )
    topic = models.CharField(_("会议主题"), max_length=200)
    agenda = models.TextField(_("议程"), blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    held_on = models.DateField(_("召开日期"), null=True, blank=True)
    starts_at = models.TimeField(_("开始时间"), null=True, blank=True)
    ends_at = models.TimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    host = models.ForeignKey(
        "members.Member",
        verbose_name=_("主持人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_meetings",
    )
    recorder = models.ForeignKey(
        "members.Member",
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recorded_meetings",
    )
    lecturer = models.ForeignKey(
        "members.Member",
        verbose_name=_("授课人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lectures",
    )
    lecturer_name = models.CharField(_("授课人姓名"), max_length=50, blank=True)
    lecturer_type = models.CharField(_("授课人类型"), max_length=20, choices=LecturerType.choices, blank=True)
    minutes = models.TextField(_("会议记录"), blank=True)

    # Quorum, as computed from the attendance when it was last saved (条例§11, §12).
    expected_count = models.PositiveIntegerField(_("应到人数"), default=0)
    present_count = models.PositiveIntegerField(_("实到人数"), default=0)
    voting_expected = models.PositiveIntegerField(_("有表决权应到人数"), default=0)
    voting_present = models.PositiveIntegerField(_("有表决权实到人数"), default=0)
    is_quorate = models.BooleanField(_("达到法定人数"), null=True, blank=True)

    minutes_state = models.CharField(
        _("记录状态"), max_length=20, choices=MinutesState.choices, default=MinutesState.DRAFT
    )
    recorder_signed_at = models.DateTimeField(_("记录人签字时间"), null=True, blank=True)
    recorder_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人签字"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    secretary_signed_at = models.DateTimeField(_("书记签字时间"), null=True, blank=True)
    secretary_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("书记签字"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审阅人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_comment = models.TextField(_("审阅意见"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-held_on", "-planned_on", "-pk"]
        indexes = [
            models.Index(fields=["organization", "held_on"], name="meeting_org_held"),
            models.Index(fields=["organization", "planned_on"], name="meeting_org_planned"),
            models.Index(fields=["kind", "held_on"], name="meeting_kind_held"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=MeetingKind.GROUP_MEETING) | Q(party_group__isnull=False),
                name="meeting_group_needs_party_group",
            ),
            models.CheckConstraint(
                condition=Q(status=MeetingStatus.HELD) | Q(locked_at__isnull=True),
                name="meeting_locked_only_when_held",
            ),
        ]

    def __str__(self):
        day = self.held_on or self.planned_on
        return f"{self.get_kind_display()} {day or ''} {self.topic}".strip()

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("meetings:detail", args=[self.pk])

    @property
    def is_locked(self):
        return self.minutes_state in LOCKED_STATES

    @property
    def day(self):
        return self.held_on or self.planned_on


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出席")
    LATE = "late", _("迟到")
    LEAVE = "leave", _("请假")
    ABSENT = "absent", _("缺席")


# Statuses that count as having taken part (quorum, the 6-month organisational-life flag).
ATTENDED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class Attendance(ChoiceLabels, models.Model):
    """One expected (or added) person at a meeting. `has_vote` and `quorum_excluded` are fixed at
    the meeting date: full members vote; probationary members attend without a vote; an approved
    quorum exclusion removes the person from the base (条例§11, 中组部)."""

    # db_index=False: an index in Meta leads with this column (a second, single-column one only slows inserts).
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), db_index=False, on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="attendance",
    )
    status = models.CharField(
        _("出席情况"), max_length=10, choices=AttendanceStatus.choices, default=AttendanceStatus.ABSENT
    )
    reason = models.CharField(_("请假/缺席原因"), max_length=200, blank=True)
    expected = models.BooleanField(_("应到"), default=True)
    has_vote = models.BooleanField(_("有表决权"), default=True)
    quorum_excluded = models.BooleanField(_("不计入应到会人数"), default=False)
    adjustment_reason = models.CharField(
        _("调整原因"), max_length=200, blank=True, help_text=_("手工增减应到人员时填写")
    )

    class Meta:
        verbose_name = _("出席记录")
        verbose_name_plural = _("出席记录")
        ordering = ["meeting", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique")]
        indexes = [models.Index(fields=["member", "meeting"], name="attendance_member_meeting")]

    def __str__(self):
        return f"{self.member} · {self.get_status_display()}"

    @property
    def attended(self):
        return self.status in ATTENDED_STATUSES


class Resolution(models.Model):
    """A decision of the meeting; when put to a vote, passes when the ayes exceed half of those
    with a vote who should attend (条例§11) — stored with the base it was computed against."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="resolutions"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    text = models.TextField(_("决议内容"))
    put_to_vote = models.BooleanField(_("付诸表决"), default=False)
    votes_for = models.PositiveIntegerField(_("赞成"), default=0)
    votes_against = models.PositiveIntegerField(_("反对"), default=0)
    votes_abstain = models.PositiveIntegerField(_("弃权"), default=0)
    vote_base = models.PositiveIntegerField(_("表决基数"), default=0)
    passed = models.BooleanField(_("通过"), null=True, blank=True)

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["meeting", "position", "pk"]

    def __str__(self):
        return self.text[:60]


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Items of the meetings the user may see, and their own wherever they are."""
        from branches.scoping import scope_for

        scope = scope_for(user)
        return self.filter(scope.visible_q("meeting__organization__") | Q(owner_id__in=scope.member_ids))

    def open(self):
        return self.filter(done_at__isnull=True)


class ActionItem(models.Model):
    """A follow-up decided at a meeting; shown on the owner's page until done."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="action_items"
    )
    text = models.CharField(_("事项"), max_length=300)
    owner = models.ForeignKey(
        "members.Member", verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="action_items"
    )
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.CharField(_("完成情况"), max_length=300, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        ordering = ["done_at", "due_on", "pk"]
        indexes = [models.Index(fields=["owner", "done_at"], name="action_owner_done")]

    def __str__(self):
        return self.text[:60]


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("活动照片")
    SIGN_IN = "sign_in", _("签到表")
    DOCUMENT = "document", _("其他材料")


def attachment_path(instance, filename):
    return f"meetings/{instance.meeting_id}/{filename}"


class Attachment(ChoiceLabels, models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=AttachmentKind.choices, default=AttachmentKind.PHOTO
    )
    file = models.FileField(_("文件"), upload_to=attachment_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["meeting", "pk"]

    def __str__(self):
        return self.original_name


class Amendment(models.Model):
    """A change to locked minutes: the field, its value before and after, and why."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="amendments"
    )
    field = models.CharField(_("修改项"), max_length=50)
    old_value = models.TextField(_("原内容"), blank=True)
    new_value = models.TextField(_("修改后内容"), blank=True)
    reason = models.CharField(_("修改原因"), max_length=300)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("记录更正")
        verbose_name_plural = _("记录更正")
        ordering = ["meeting", "created_at", "pk"]

    def __str__(self):
        return f"{self.meeting} · {self.field}"

    @property
    def field_label(self):
        try:
            return Meeting._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:
            return self.field


class TalkPairType(models.TextChoices):
    COMMITTEE_COMMITTEE = "committee_committee", _("支委之间")
    COMMITTEE_MEMBER = "committee_member", _("支委与党员之间")
    MEMBER_MEMBER = "member_member", _("党员之间")


class TalkQuerySet(models.QuerySet):
    def visible_to(self, user):
        from branches.scoping import scope_for

        return self.filter(scope_for(user).visible_q("organization__"))


class Talk(models.Model):
    """谈心谈话: a lighter record — two or more parties, date, topic, summary (条例: each pair type
    at least once a year)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="talks"
    )
    held_on = models.DateField(_("谈话日期"))
    pair_type = models.CharField(_("谈话类型"), max_length=30, choices=TalkPairType.choices)
    participants = models.ManyToManyField("members.Member", verbose_name=_("谈话人员"), related_name="talks")
    topic = models.CharField(_("谈话主题"), max_length=200)
    summary = models.TextField(_("谈话内容摘要"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = TalkQuerySet.as_manager()

    class Meta:
        verbose_name = _("谈心谈话")
        verbose_name_plural = _("谈心谈话")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["organization", "held_on"], name="talk_org_held")]

    def __str__(self):
        return f"{self.get_pair_type_display()} {self.held_on} {self.topic}"
