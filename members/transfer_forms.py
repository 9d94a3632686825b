"""Forms for transfers (组织关系转接) and mobile members (流动党员). Field names match the service
arguments, so a service's ValidationError lands on the field it names."""

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import BRANCH_KINDS, Organization
from branches.scoping import scope_for

from .models import Education, Gender, MemberStatus, MobileDirection, TransferDirection, TransferStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})


def _branch_label(org):
    return org.name


class TransferFilterForm(forms.Form):
    q = forms.CharField(
        label=_("姓名"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("按姓名搜索")}),
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *TransferStatus.choices]
    )
    direction = forms.ChoiceField(
        label=_("转接类型"), required=False, choices=[("", _("全部类型")), *TransferDirection.choices]
    )
    overdue = forms.BooleanField(label=_("仅看已过期未回执"), required=False)


class TransferStartForm(forms.Form):
    """One form for both kinds of letter a branch issues: within the system or out of it."""

    direction = forms.ChoiceField(
        label=_("转接类型"),
        choices=[(TransferDirection.INTERNAL, _("转往系统内支部")), (TransferDirection.OUT, _("转出系统外"))],
        initial=TransferDirection.INTERNAL,
    )
    to_branch = forms.ModelChoiceField(
        label=_("接收支部（系统内）"), queryset=Organization.objects.none(), required=False
    )
    external_org = forms.CharField(label=_("接收党组织（系统外）"), max_length=200, required=False)
    letter_no = forms.CharField(
        label=_("介绍信编号"), max_length=50, required=False, help_text=_("转出系统外时必填")
    )
    issued_on = forms.DateField(label=_("开具日期"), widget=DATE)
    valid_until = forms.DateField(
        label=_("有效期至"),
        widget=DATE,
        required=False,
        help_text=_("留空默认3个月；跨省转接最长6个月"),
    )
    dues_paid_through = forms.CharField(
        label=_("党费交至（年月）"), max_length=7, required=False, widget=MONTH
    )
    outstanding_dues_acknowledged = forms.BooleanField(
        label=_("已核实欠缴党费情况，确认办理"), required=False
    )
    reason = forms.CharField(label=_("转接原因"), max_length=200, required=False)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        # Any branch in the system may receive a member; only names are listed.
        self.fields["to_branch"].queryset = (
            Organization.objects.filter(kind__in=BRANCH_KINDS).exclude(pk=member.branch_id).order_by("path")
        )
        self.fields["to_branch"].label_from_instance = _branch_label


class TransferIncomingForm(forms.Form):
    """A member arriving from an organisation outside the system: the person and the letter."""

    branch = forms.ModelChoiceField(label=_("接收支部"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("姓名"), max_length=50)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices)
    ethnicity = forms.CharField(label=_("民族"), max_length=20, initial="汉族")
    birth_date = forms.DateField(label=_("出生日期"), widget=DATE, required=False)
    education = forms.ChoiceField(label=_("学历"), choices=[("", "—"), *Education.choices], required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    status = forms.ChoiceField(
        label=_("政治面貌"),
        choices=[
            (MemberStatus.FULL, MemberStatus.FULL.label),
            (MemberStatus.PROBATIONARY, MemberStatus.PROBATIONARY.label),
        ],
    )
    admitted_on = forms.DateField(label=_("入党日期"), widget=DATE, required=False)
    regularised_on = forms.DateField(label=_("转正日期"), widget=DATE, required=False)
    external_org = forms.CharField(label=_("转出党组织"), max_length=200)
    letter_no = forms.CharField(label=_("介绍信编号"), max_length=50)
    issued_on = forms.DateField(label=_("开具日期"), widget=DATE)
    valid_until = forms.DateField(
        label=_("有效期至"), widget=DATE, required=False, help_text=_("留空默认3个月")
    )
    dues_paid_through = forms.CharField(
        label=_("党费交至（年月）"), max_length=7, required=False, widget=MONTH
    )

    PERSON_FIELDS = (
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "education",
        "id_number",
        "phone",
        "admitted_on",
        "regularised_on",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = (
            Organization.objects.filter(kind__in=BRANCH_KINDS)
            .filter(scope_for(user).editable_q())
            .order_by("path")
        )
        self.fields["branch"].label_from_instance = _branch_label


class TransferConfirmForm(forms.Form):
    receipt_on = forms.DateField(label=_("接收日期"), widget=DATE)


class TransferReceiptForm(forms.Form):
    receipt_on = forms.DateField(label=_("回执日期"), widget=DATE)


class TransferCancelForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200)


class MobileFilterForm(forms.Form):
    q = forms.CharField(
        label=_("姓名"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("按姓名搜索")}),
    )
    direction = forms.ChoiceField(
        label=_("流向"), required=False, choices=[("", _("全部流向")), *MobileDirection.choices]
    )
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("流动中")), ("ended", _("已结束")), ("all", _("全部"))],
    )
    flag = forms.ChoiceField(
        label=_("提醒"),
        required=False,
        choices=[
            ("", _("全部")),
            ("needs_transfer", _("应转接组织关系")),
            ("report_missing", _("本年度未汇报")),
        ],
    )


class MobileStartForm(forms.Form):
    direction = forms.ChoiceField(label=_("流向"), choices=MobileDirection.choices)
    location = forms.CharField(label=_("流动地点/单位"), max_length=200)
    since = forms.DateField(label=_("流动开始日期"), widget=DATE)
    fixed_place = forms.BooleanField(label=_("在固定地点"), required=False, initial=True)
    contact = forms.CharField(label=_("联系方式"), max_length=100, required=False)
    home_org = forms.CharField(
        label=_("原党组织（流入）"),
        max_length=200,
        required=False,
        help_text=_("流入党员组织关系所在的党组织"),
    )
    card_no = forms.CharField(label=_("流动党员活动证编号"), max_length=50, required=False)
    card_issued_on = forms.DateField(label=_("活动证发放日期"), widget=DATE, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class MobileReportForm(forms.Form):
    reported_on = forms.DateField(label=_("汇报日期"), widget=DATE)
    summary = forms.CharField(label=_("汇报内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class MobileEndForm(forms.Form):
    until = forms.DateField(label=_("流动结束日期"), widget=DATE)
