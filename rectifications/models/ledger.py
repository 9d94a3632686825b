"""Rectification ledgers (整改台账), their items, measures, progress updates with evidence, and the
item's transitions (domain §2.6, §4).

An item moves open → claimed → in progress → close-out requested → closed (销号); the issuing
organisation may return a request (back to in progress, with a reason). Only the services move it
(`rectifications.services`), each move an `ItemTransition` row and an audit entry. Overdue is not
stored: it is a fact of the deadline and today (`ItemQuerySet.overdue`), true from the day after
the deadline until the item is closed."""

import datetime
import os

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.choices import ChoiceLabels
from branches.models import Organization
from members.models import Member


class LedgerSource(models.TextChoices):
    INSPECTION = "inspection", _("巡察")
    UNANNOUNCED_VISIT = "unannounced_visit", _("明察暗访")
    LIFE_REVIEW = "life_review", _("组织生活会检视")
    DEMOCRATIC_APPRAISAL = "democratic_appraisal", _("民主评议")
    SUPERIOR_FEEDBACK = "superior_feedback", _("上级反馈")
    SUGGESTION_BOX = "suggestion_box", _("意见箱")
    COMPLIANCE_MISS = "compliance_miss", _("合规检查未达标")
    OTHER = "other", _("其他")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("已认领")
    IN_PROGRESS = "in_progress", _("整改中")
    CLOSEOUT_REQUESTED = "closeout_requested", _("申请销号")
    CLOSED = "closed", _("已销号")


# Not yet closed (can be overdue); being worked by the unit (owes monthly updates).
ACTIVE_STATUSES = (ItemStatus.OPEN, ItemStatus.CLAIMED, ItemStatus.IN_PROGRESS, ItemStatus.CLOSEOUT_REQUESTED)
WORKING_STATUSES = (ItemStatus.CLAIMED, ItemStatus.IN_PROGRESS)


class ResolutionLevel(models.TextChoices):
    IMMEDIATE = "immediate", _("立行立改")
    TIMETABLED = "timetabled", _("限期整改")
    LONG_TERM = "long_term", _("长期坚持")


class TransitionAction(models.TextChoices):
    CREATED = "created", _("下达")
    CLAIMED = "claimed", _("认领")
    PROGRESSED = "progressed", _("报送推进情况")
    CLOSEOUT_REQUESTED = "closeout_requested", _("申请销号")
    VERIFIED = "verified", _("验收销号")
    RETURNED = "returned", _("退回整改")


def _scope(user):
    from branches.scoping import scope_for

    return scope_for(user)


class LedgerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Ledgers issued within the user's editable subtrees, and ledgers holding an item the user
        may see (a branch sees the committee's ledger, but only its own items in it)."""
        scope = _scope(user)
        if scope.is_admin:
            return self.all()
        # IN (subquery), not a correlated EXISTS: PostgreSQL hashes the visible items' ledgers once.
        with_items = Q(pk__in=Item.objects.visible_to(user).values("ledger_id"))
        if scope.editable_paths:
            return self.filter(scope.editable_q("issuer__") | with_items)
        return self.filter(with_items)


class Ledger(models.Model):
    issuer = models.ForeignKey(
        Organization,
        verbose_name=_("下达单位"),
        on_delete=models.PROTECT,
        related_name="rectification_ledgers",
    )
    source = models.CharField(_("问题来源"), max_length=30, choices=LedgerSource.choices)
    title = models.CharField(_("台账名称"), max_length=200)
    issued_on = models.DateField(_("下达日期"), default=timezone.localdate)
    deadline = models.DateField(_("整改完成时限"))
    description = models.TextField(_("说明"), blank=True)
    # A period for ledgers created automatically per period (compliance misses "2026-Q3", the
    # suggestion box "2026"), so the same one is found again.
    period = models.CharField(_("所属期间"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改台账")
        verbose_name_plural = _("整改台账")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("issued_on")), name="ledger_deadline_after_issue"
            ),
            models.UniqueConstraint(
                fields=["issuer", "source", "period"], condition=~Q(period=""), name="ledger_one_per_period"
            ),
        ]

    def __str__(self):
        return self.title


# A responsible person's encrypted fields: the table shows names, and reading them costs a decryption.
PROTECTED = ("id_number", "phone")


class ItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Items assigned to a unit within the user's editable subtrees (an issuer's items all lie
        in its subtree, so this covers a committee's own ledgers too), and items the user is a
        responsible person of. Plain members see only the latter."""
        scope = _scope(user)
        if scope.is_admin:
            return self.all()
        # Semi-joins through IN (subquery): PostgreSQL builds the set of item ids once and hashes
        # it (a correlated EXISTS per item made a 10,000-item ledger take minutes at tier M).
        condition = Q(pk__in=[])
        if scope.editable_paths:
            units = Item.units.through.objects.filter(scope.editable_q("organization__")).values("item_id")
            condition = Q(pk__in=units)
        if scope.member_ids:
            people = Item.responsible_people.through.objects.filter(member_id__in=scope.member_ids)
            condition |= Q(lead_person_id__in=scope.member_ids) | Q(pk__in=people.values("item_id"))
        return self.filter(condition)

    def in_ledger(self, ledger, user):
        """The items of `ledger` that `user` may see (as `visible_to`): every one of them for whoever
        may edit its issuer — each item has a responsible unit, all in the issuer's subtree
        (services.item_create) — without the semi-join over every item the user may see (a city
        committee's: the whole city's)."""
        if _scope(user).can_edit(ledger.issuer):
            return self.filter(ledger=ledger)
        return self.visible_to(user).filter(ledger=ledger)

    def overdue(self, today=None):
        """Past the deadline (from the day after it) and not closed — whatever the status."""
        today = today or timezone.localdate()
        return self.filter(deadline__lt=today, status__in=ACTIVE_STATUSES)

    def with_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.annotate(
            is_overdue=ExpressionWrapper(
                Q(deadline__lt=today, status__in=ACTIVE_STATUSES), output_field=models.BooleanField()
            )
        )

    def assigned_to(self, org):
        """Items with a responsible unit in `org`'s subtree."""
        units = Item.units.through.objects.filter(organization__path__startswith=org.path)
        return self.filter(pk__in=units.values("item_id"))

    def for_table(self, today=None):
        """Everything the paper layout shows, in a fixed number of queries whatever the rows: the
        item with its ledger and 总负责人, then one query each for measures, units, people and
        progress updates (newest first: `latest_update`). No per-row subquery: a sorted page of a
        10,000-item ledger would otherwise evaluate it for every row before the LIMIT."""
        people = Member.objects.defer(*PROTECTED)  # names only: no ciphertexts to decrypt
        return (
            self.with_overdue(today)
            .select_related("ledger__issuer", "lead_person")
            .defer(*(f"lead_person__{name}" for name in PROTECTED))
            .prefetch_related(
                "measures",
                "units",
                models.Prefetch("responsible_people", queryset=people),
                models.Prefetch(
                    "updates", queryset=ProgressUpdate.objects.order_by("-on", "-pk"), to_attr="updates_desc"
                ),
            )
        )


class Item(ChoiceLabels, models.Model):
    # db_index=False: the ledger's covering index below leads with this column.
    ledger = models.ForeignKey(
        Ledger, verbose_name=_("整改台账"), db_index=False, on_delete=models.CASCADE, related_name="items"
    )
    seq = models.PositiveIntegerField(_("序号"))
    category = models.CharField(
        _("问题类别"), max_length=60, blank=True, help_text=_("如：思想建设、组织建设、作风建设")
    )
    problem = models.TextField(_("问题"))
    lead_person = models.ForeignKey(
        "members.Member",
        verbose_name=_("总负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_people = models.ManyToManyField(
        "members.Member", verbose_name=_("责任人"), blank=True, related_name="rectification_items"
    )
    units = models.ManyToManyField(
        Organization, verbose_name=_("责任单位"), related_name="rectification_items"
    )
    deadline = models.DateField(_("整改时限"))
    deadline_reason = models.TextField(
        _("超出台账时限的理由"), blank=True, help_text=_("整改时限晚于台账完成时限时必须说明理由")
    )
    resolution_level = models.CharField(
        _("整改类型"), max_length=20, choices=ResolutionLevel.choices, default=ResolutionLevel.TIMETABLED
    )
    status = models.CharField(_("状态"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.OPEN)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认领人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    last_update_on = models.DateField(_("最近报送日期"), null=True, blank=True)
    closeout_requested_at = models.DateTimeField(_("申请销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    # Where the problem came from (one of these, or none).
    source_unit = models.ForeignKey(
        Organization,
        verbose_name=_("检查对象"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_rule_code = models.CharField(_("合规规则"), max_length=60, blank=True)
    source_period = models.CharField(_("检查期间"), max_length=20, blank=True)
    source_member = models.ForeignKey(
        "members.Member",
        verbose_name=_("民主评议对象"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("来源会议"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectification_items",
        help_text=_("如组织生活会检视问题的会议及其记录"),
    )
    source_suggestion = models.OneToOneField(
        "rectifications.Suggestion",
        verbose_name=_("来源意见"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="item",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["ledger", "seq"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="rect_item_status_deadline"),
            # A ledger page's counts and its category filter read only these columns: an
            # index-only scan on PostgreSQL (a 10,000-item ledger: 5 → 1.7 ms each).
            models.Index(
                fields=["ledger", "category"],
                include=["status", "deadline", "id"],
                name="rect_item_ledger_category",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "seq"], name="rect_item_seq_unique"),
            # One item per compliance miss (unit, rule, period): the one-click conversion is idempotent.
            models.UniqueConstraint(
                fields=["source_unit", "source_rule_code", "source_period"],
                condition=~Q(source_rule_code=""),
                name="rect_item_one_per_miss",
            ),
        ]

    def __str__(self):
        return f"{self.ledger} #{self.seq}"

    @property
    def latest_update(self):
        """The newest progress update, from `for_table`'s prefetch."""
        updates = getattr(self, "updates_desc", None)
        return updates[0] if updates else None

    def overdue_on(self, today=None):
        today = today or timezone.localdate()
        return self.status in ACTIVE_STATUSES and self.deadline < today

    @property
    def closed_late(self):
        return self.closed_at is not None and timezone.localdate(self.closed_at) > self.deadline

    def next_update_due(self, due_day, today=None):
        return update_due_on(self.status, self.last_update_on, self.claimed_at, due_day, today)

    def update_late(self, due_day, today=None):
        """This month's update is owed and its day has passed (sent on the day itself is on time)."""
        today = today or timezone.localdate()
        due = self.next_update_due(due_day, today)
        return due is not None and due < today


def update_due_on(status, last_update_on, claimed_at, due_day, today=None):
    """The monthly update owed by day `due_day` of each month (domain §2.6: "每月28日前"): this
    month's unless one was sent since the 1st or the item was claimed after this month's day, then
    next month's. None unless the unit is working the item. (A function of the item's fields, for
    the paper layout's rows, which are not model instances.)"""
    if status not in WORKING_STATUSES:
        return None
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    this_due = today.replace(day=due_day)
    next_due = (month_start + datetime.timedelta(days=32)).replace(day=due_day)
    if last_update_on is not None and last_update_on >= month_start:
        return next_due
    claimed_on = timezone.localdate(claimed_at) if claimed_at else None
    if claimed_on is not None and claimed_on > this_due:
        return next_due
    return this_due


class Measure(models.Model):
    item = models.ForeignKey(
        Item, verbose_name=_("整改事项"), on_delete=models.CASCADE, related_name="measures"
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("整改措施"))

    class Meta:
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
        ordering = ["item", "seq"]

    def __str__(self):
        return f"{self.seq}. {self.text[:40]}"


class ProgressUpdate(models.Model):
    item = models.ForeignKey(
        Item, verbose_name=_("整改事项"), on_delete=models.CASCADE, related_name="updates"
    )
    on = models.DateField(_("报送日期"), default=timezone.localdate)
    text = models.TextField(_("推进情况"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("推进情况")
        verbose_name_plural = _("推进情况")
        ordering = ["-on", "-pk"]

    def __str__(self):
        return f"{self.item} {self.on}"


# Evidence: documents and photos a committee can open anywhere, sized for an intranet.
EVIDENCE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 5


class Evidence(models.Model):
    update = models.ForeignKey(
        ProgressUpdate, verbose_name=_("推进情况"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("佐证材料"), upload_to="rectifications/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @property
    def extension(self):
        return os.path.splitext(self.name)[1].lower()


class ItemTransition(models.Model):
    """Append-only: each move of an item, who made it and why (the item's timeline)."""

    item = models.ForeignKey(
        Item, verbose_name=_("整改事项"), on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("操作"), max_length=30, choices=TransitionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=ItemStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ItemStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("整改事项流转")
        verbose_name_plural = _("整改事项流转")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["item", "at"], name="rect_transition_item_at")]

    def __str__(self):
        return f"{self.item} {self.action}"
