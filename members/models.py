"""Member records. The foundation keeps the fields the org tree, posts and scoping need; the
members issue adds protected personal data, the development pipeline and transfers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import BRANCH_KINDS, Organization, OrgKind


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


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members of every branch the user may see; a plain member sees only their own record."""
        from branches.scoping import scope_for

        scope = scope_for(user)
        if scope.is_admin:
            return self.all()
        officer_or_staff = scope.editable_q("branch__")
        own = models.Q(pk__in=scope.member_ids) if scope.member_ids else models.Q(pk__in=[])
        return self.filter(officer_or_staff | own)

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)


class Member(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
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
    admitted_on = models.DateField(_("入党日期"), null=True, blank=True)
    regularised_on = models.DateField(_("转正日期"), null=True, blank=True)
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
        indexes = [models.Index(fields=["branch", "status"], name="member_branch_status")]

    def __str__(self):
        return self.name
