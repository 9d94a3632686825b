"""Member records (党员 and people in the development pipeline) with protected personal data.

Status changes only through the development and transfer services (each writes a StatusChange
row and an audit entry); forms never edit `status` directly."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

from branches.choices import ChoiceLabels
from branches.models import BRANCH_KINDS, Organization, OrgKind

from ..protected import (
    EncryptedTextField,
    keyed_hash,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    normalise_phone,
)


class MemberStatus(models.TextChoices):
    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    DEVELOPMENT_TARGET = "development_target", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")
    TRANSFERRED_OUT = "transferred_out", _("已转出")
    LAPSED = "lapsed", _("自行脱党")
    EXPELLED = "expelled", _("除名/开除")
    WITHDRAWN = "withdrawn", _("退党")
    PROBATION_CANCELLED = "probation_cancelled", _("取消预备资格")
    DECEASED = "deceased", _("去世")


ACTIVE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)
PIPELINE_STATUSES = (MemberStatus.APPLICANT, MemberStatus.ACTIVIST, MemberStatus.DEVELOPMENT_TARGET)
# Everyone the branch still looks after (the roster's default view).
CURRENT_STATUSES = (*PIPELINE_STATUSES, *ACTIVE_STATUSES)


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    UNDERGRADUATE = "undergraduate", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY = "secondary", _("中专/高中")
    JUNIOR = "junior", _("初中及以下")


class DuesCategory(models.TextChoices):
    IN_SERVICE = "in_service", _("在职")
    RETIRED = "retired", _("离退休")
    ANNUAL_SALARY = "annual_salary", _("年薪制")
    SELF_EMPLOYED = "self_employed", _("个体")
    FARMER = "farmer", _("农民")
    STUDENT = "student", _("学生")
    UNEMPLOYED = "unemployed", _("下岗失业")
    RELIEF = "relief", _("抚恤/救济/低保")


def search_text(text):
    """The form of `Member.name_search` and of what is searched for in it: " 王 芳 " for "王芳", so
    that a part of a name is a run of whole words (`name_search` contains `search_text(part)`)."""
    return f" {' '.join(text.upper())} " if text else ""


# The encrypted fields (EncryptedTextField): reading a row decrypts each of them.
PROTECTED_FIELDS = ("id_number", "phone")


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members of every branch the user may see; a plain member sees only their own record."""
        from branches.scoping import scope_for

        scope = scope_for(user)
        if scope.is_admin:
            return self.all()
        officer_or_staff = scope.editable_q("branch__")
        editable = scope.editable_paths
        if all(any(p.startswith(root) for root in editable) for p in scope.member_paths):
            # Their own records lie inside the branches they keep: no OR across the join, which
            # would make PostgreSQL scan every member (a secretary's roster at city scale).
            return self.filter(officer_or_staff)
        own = models.Q(pk__in=scope.member_ids)
        if not editable:
            return self.filter(own)
        return self.filter(officer_or_staff | own)

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def without_protected(self):
        """For lists and choices that show names: the 身份证号 and phone ciphertexts left unread
        (each costs a Fernet decryption per row; the masked copies stay available)."""
        return self.defer(*PROTECTED_FIELDS)

    def current(self):
        return self.filter(status__in=CURRENT_STATUSES)

    def with_id_number(self, value):
        """Look a person up by 身份证号 through the keyed hash (the plaintext is never queried)."""
        return self.filter(id_hash=keyed_hash(normalise_id_number(value)))


class Member(ChoiceLabels, models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(
        _("姓名拼音首字母"), max_length=20, blank=True, db_index=True, editable=False
    )
    # The name for the roster's search (`search_text`): upper-cased, every character a word of its
    # own. A trigram index (PostgreSQL, migration 0008) then serves a search for any part of a
    # name, a two-character one included — pg_trgm finds no trigram in `LIKE '%王芳%'`, but
    # `LIKE '% 王 芳 %'` gives it one per character.
    name_search = models.TextField(blank=True, default="", editable=False)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)

    # Protected: ciphertext at rest, a keyed hash for uniqueness and lookup, a masked copy for lists.
    id_number = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("手机号码"), max_length=11, blank=True, editable=False)

    branch = models.ForeignKey(
        Organization,
        verbose_name=_("所在支部"),
        on_delete=models.PROTECT,
        related_name="members",
        limit_choices_to={"kind__in": BRANCH_KINDS},
    )
    party_group = models.ForeignKey(
        Organization,
        verbose_name=_("党小组"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_members",
        limit_choices_to={"kind": OrgKind.PARTY_GROUP},
    )
    status = models.CharField(
        _("政治面貌"), max_length=30, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    dues_category = models.CharField(
        _("党费类别"), max_length=20, choices=DuesCategory.choices, default=DuesCategory.IN_SERVICE
    )

    # Key dates of the development path (细则); filled by the development service.
    applied_on = models.DateField(_("递交入党申请书日期"), null=True, blank=True)
    activist_on = models.DateField(_("确定为入党积极分子日期"), null=True, blank=True)
    target_on = models.DateField(_("确定为发展对象日期"), null=True, blank=True)
    admitted_on = models.DateField(_("入党日期"), null=True, blank=True)
    probation_end_on = models.DateField(_("预备期满日期"), null=True, blank=True)
    regularised_on = models.DateField(_("转正日期"), null=True, blank=True)

    # Extension of probation (延长预备期), at most once, in months; set by the development service.
    probation_extension_months = models.PositiveSmallIntegerField(
        _("延长预备期（月）"), null=True, blank=True, editable=False
    )
    # The development schedule, derived by members.development.schedule_for() whenever a step,
    # assessment or status changes (stored so that "upcoming and overdue" is one indexed query).
    next_step_no = models.PositiveSmallIntegerField(_("下一步骤"), null=True, blank=True, editable=False)
    next_step_due = models.DateField(_("下一步期限"), null=True, blank=True, editable=False)
    next_step_earliest = models.DateField(_("下一步最早日期"), null=True, blank=True, editable=False)

    is_mobile = models.BooleanField(_("流动党员"), default=False)
    is_elderly_infirm = models.BooleanField(_("老弱病残"), default=False)
    is_hardship = models.BooleanField(_("困难党员"), default=False)
    quorum_excluded = models.BooleanField(_("不计入应到会人数"), default=False)
    quorum_exclusion_reason = models.CharField(_("不计入应到会人数的原因"), max_length=200, blank=True)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch", "name", "pk"]
        indexes = [
            models.Index(fields=["branch", "status"], name="member_branch_status"),
            models.Index(fields=["branch", "name_initials"], name="member_branch_initials"),
            models.Index(fields=["next_step_due"], name="member_next_step_due"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.derive_protected()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {
                "name": ["name_initials", "name_search"],
                "id_number": ["id_hash", "id_masked"],
                "phone": ["phone_hash", "phone_masked"],
            }
            extra = [f for field, more in derived.items() if field in update_fields for f in more]
            kwargs["update_fields"] = list({*update_fields, *extra})
        super().save(*args, **kwargs)

    def derive_protected(self):
        """Normalise the protected values and refresh their hashes, masks and the pinyin initials."""
        self.id_number = normalise_id_number(self.id_number)
        self.id_hash = keyed_hash(self.id_number) if self.id_number else None
        self.id_masked = mask_id_number(self.id_number)
        self.phone = normalise_phone(self.phone)
        self.phone_hash = keyed_hash(self.phone) if self.phone else ""
        self.phone_masked = mask_phone(self.phone)
        self.name_initials = "".join(lazy_pinyin(self.name, style=Style.FIRST_LETTER)).lower()[:20]
        self.name_search = search_text(self.name)

    @property
    def is_active_member(self):
        return self.status in ACTIVE_STATUSES

    @property
    def in_pipeline(self):
        return self.status in PIPELINE_STATUSES

    @property
    def id_tail(self):
        return self.id_masked[-4:]

    def party_age(self, on=None):
        """党龄: whole years since 转正 (the regularisation date), None before it."""
        if not self.regularised_on:
            return None
        on = on or timezone.localdate()
        years = on.year - self.regularised_on.year
        if (on.month, on.day) < (self.regularised_on.month, self.regularised_on.day):
            years -= 1
        return max(years, 0)

    def age(self, on=None):
        if not self.birth_date:
            return None
        on = on or timezone.localdate()
        years = on.year - self.birth_date.year
        return years - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
