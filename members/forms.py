from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import BRANCH_KINDS, Organization, OrgKind
from branches.scoping import scope_for
from branches.widgets import ListSelect

from .models import CURRENT_STATUSES, Assessment, DuesCategory, Member, MemberStatus
from .pipeline import STEP_BY_NO
from .services.records import MEMBER_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FIELDS = (
    "birth_date",
    "applied_on",
    "activist_on",
    "target_on",
    "admitted_on",
    "probation_end_on",
    "regularised_on",
)


class RosterFilterForm(forms.Form):
    FLAGS = (
        ("", _("全部标记")),
        ("mobile", _("流动党员")),
        ("elderly", _("老弱病残")),
        ("hardship", _("困难党员")),
        ("excluded", _("不计入应到会")),
    )
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("姓名、拼音首字母或身份证后4位"), "type": "search"}),
    )
    # The selects written in Python (branches.widgets.ListSelect): the roster is the page a
    # committee opens most, and Django's option template cost it more than its rows.
    status = forms.ChoiceField(
        label=_("政治面貌"),
        required=False,
        choices=[("", _("在册人员")), ("all", _("全部（含已转出等）")), *MemberStatus.choices],
        widget=ListSelect,
    )
    dues_category = forms.ChoiceField(
        label=_("党费类别"),
        required=False,
        choices=[("", _("全部类别")), *DuesCategory.choices],
        widget=ListSelect,
    )
    party_group = forms.ModelChoiceField(
        label=_("党小组"),
        required=False,
        queryset=Organization.objects.none(),
        empty_label=_("全部党小组"),
        widget=ListSelect,
    )
    flag = forms.ChoiceField(label=_("标记"), required=False, choices=FLAGS, widget=ListSelect)
    within = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_group"].queryset = groups
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", field.label or name)


class MemberForm(forms.ModelForm):
    """Create and edit a member record; status is chosen on creation only (then the workflows)."""

    branch = forms.ModelChoiceField(label=_("所在支部"), queryset=Organization.objects.none())
    status = forms.ChoiceField(
        label=_("政治面貌"),
        choices=[(s.value, s.label) for s in MemberStatus if s in CURRENT_STATUSES],
        initial=MemberStatus.FULL,
        help_text=_("新发展的入党申请人选“入党申请人”；已有党员按实际情况填写。"),
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text=_("18位，填写后自动核对出生日期和性别。"),
    )
    phone = forms.CharField(
        label=_("手机号码"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )

    class Meta:
        model = Member
        fields = ("branch", "status", *MEMBER_FIELDS)
        widgets = dict.fromkeys(DATE_FIELDS, DATE)

    def __init__(self, *args, user, branch=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        creating = self.instance.pk is None
        if creating:
            self.fields["branch"].queryset = Organization.objects.filter(
                scope.editable_q(), kind__in=BRANCH_KINDS
            ).order_by("path")
            if branch is not None:
                self.fields["branch"].initial = branch.pk
            home = branch
        else:
            del self.fields["branch"]
            del self.fields["status"]
            home = self.instance.branch
            # Edit shows "change it" rather than the stored value (protected fields are not echoed).
            self.fields["id_number"].initial = ""
            self.fields["phone"].initial = ""
            self.fields["id_number"].help_text = _("当前：%(masked)s。留空表示不修改。") % {
                "masked": self.instance.id_masked or "—"
            }
            self.fields["phone"].help_text = _("当前：%(masked)s。留空表示不修改。") % {
                "masked": self.instance.phone_masked or "—"
            }
        groups = Organization.objects.filter(kind=OrgKind.PARTY_GROUP)
        if home is not None:
            groups = groups.filter(path__startswith=home.path)
        else:
            groups = groups.filter(scope.editable_q())
        self.fields["party_group"].queryset = groups.order_by("path")
        self.fields["ethnicity"].initial = self.fields["ethnicity"].initial or "汉族"

    def _post_clean(self):
        # The service validates the whole record (ID checksum, dates, groups) with the database.
        pass

    def changed_values(self):
        data = {name: self.cleaned_data[name] for name in MEMBER_FIELDS if name in self.cleaned_data}
        if self.instance.pk:
            for name in ("id_number", "phone"):
                if not data.get(name):
                    data.pop(name, None)
        return data


class ContactForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class StepForm(forms.Form):
    """Record the next development step; extra fields appear for the steps whose rules need them."""

    done_on = forms.DateField(label=_("完成日期"), widget=DATE)
    approval_ref = forms.CharField(label=_("批复/备案文号"), max_length=100, required=False)
    note = forms.CharField(
        label=_("备注"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(label=_("材料附件"), required=False)
    confirm_warnings = forms.BooleanField(label=_("我已了解上述提示，仍然登记"), required=False)

    def __init__(self, *args, member, step_no, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = STEP_BY_NO[step_no]
        full = (
            Member.objects.filter(branch=member.branch, status=MemberStatus.FULL)
            .exclude(pk=member.pk)
            .order_by("name")
        )
        self.detail_fields = []
        if step_no == 3:
            self._add(
                "method",
                forms.ChoiceField(
                    label=_("推荐方式"),
                    choices=[
                        ("党员推荐", _("党员推荐")),
                        ("群团组织推优", _("群团组织推优")),
                        ("个人申请", _("党组织确定")),
                    ],
                ),
            )
        if step_no == 5:
            self._add(
                "cultivators",
                forms.ModelMultipleChoiceField(
                    label=_("培养联系人（1至2名正式党员）"),
                    queryset=full,
                    widget=forms.SelectMultiple(attrs={"size": 6}),
                ),
            )
        if step_no == 9:
            self._add(
                "sponsors",
                forms.ModelMultipleChoiceField(
                    label=_("入党介绍人（2名正式党员）"),
                    queryset=full,
                    widget=forms.SelectMultiple(attrs={"size": 6}),
                ),
            )
        if step_no == 11:
            self._add("hours", forms.IntegerField(label=_("培训学时"), min_value=0))
            self._add("days", forms.IntegerField(label=_("培训天数"), min_value=0))
        if step_no in (15, 23):
            self._add("notice_from", forms.DateField(label=_("公示开始日期"), widget=DATE))
            self._add("notice_to", forms.DateField(label=_("公示结束日期"), widget=DATE))
            eligible = full.filter(quorum_excluded=False).count() + int(
                member.status == MemberStatus.FULL and not member.quorum_excluded
            )
            self._add(
                "eligible",
                forms.IntegerField(
                    label=_("应到会有表决权的正式党员人数"),
                    min_value=0,
                    initial=eligible,
                    help_text=_("按支部在册正式党员（不含不计入应到会人数者）预填，请核对。"),
                ),
            )
            self._add("present", forms.IntegerField(label=_("实到会有表决权的正式党员人数"), min_value=0))
            self._add("ayes", forms.IntegerField(label=_("赞成票数（含书面意见）"), min_value=0))
        self.order_fields(
            ["done_on", *self.detail_fields, "approval_ref", "note", "evidence", "confirm_warnings"]
        )

    def _add(self, name, field):
        self.fields[name] = field
        self.detail_fields.append(name)

    def detail(self):
        detail = {}
        for name in self.detail_fields:
            value = self.cleaned_data.get(name)
            if hasattr(value, "values_list"):
                value = list(value.values_list("pk", flat=True))
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            detail[name] = value
        return detail


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ("kind", "done_on", "reviewer", "summary")
        widgets = {"done_on": DATE, "summary": forms.Textarea(attrs={"rows": 3})}


class ExtendProbationForm(forms.Form):
    months = forms.IntegerField(label=_("延长期限（月）"), min_value=1, max_value=24, initial=6)
    decided_on = forms.DateField(label=_("支部大会决定日期"), widget=DATE)
    approval_ref = forms.CharField(label=_("上级党委批复文号"), max_length=100)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class CancelProbationForm(forms.Form):
    decided_on = forms.DateField(label=_("支部大会决定日期"), widget=DATE)
    approval_ref = forms.CharField(label=_("上级党委批复文号"), max_length=100)
    reason = forms.CharField(label=_("原因"), max_length=200)


class UpcomingFilterForm(forms.Form):
    STATES = (
        ("", _("全部")),
        ("overdue", _("已逾期")),
        ("soon", _("30天内到期")),
    )
    state = forms.ChoiceField(label=_("期限"), required=False, choices=STATES)
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("姓名或拼音首字母"), "type": "search"}),
    )
    within = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", field.label or name)


class EndForm(forms.Form):
    to_status = forms.ChoiceField(
        label=_("变更为"),
        choices=[
            (s.value, s.label)
            for s in (
                MemberStatus.DECEASED,
                MemberStatus.LAPSED,
                MemberStatus.EXPELLED,
                MemberStatus.WITHDRAWN,
            )
        ],
    )
    on = forms.DateField(label=_("日期"), widget=DATE)
    reason = forms.CharField(label=_("原因或组织决定（文号）"), max_length=200)
