from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import BRANCH_KINDS, Organization, OrgKind

from .models import ItemStatus, LedgerSource, ResolutionLevel, SuggestionKind
from .models.ledger import EVIDENCE_EXTENSIONS, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _labelled(form):
    for name, field in form.fields.items():
        field.widget.attrs.setdefault("aria-label", field.label or name)


class LedgerForm(forms.Form):
    issuer = forms.ModelChoiceField(label=_("下达单位"), queryset=Organization.objects.none())
    source = forms.ChoiceField(label=_("问题来源"), choices=LedgerSource.choices)
    title = forms.CharField(label=_("台账名称"), max_length=200)
    issued_on = forms.DateField(label=_("下达日期"), widget=DATE)
    deadline = forms.DateField(
        label=_("整改完成时限"), widget=DATE, help_text=_("所有事项原则上在此日期前完成")
    )
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, issuers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers
        if issuers.count() == 1:
            self.fields["issuer"].initial = issuers.first().pk


class ItemForm(forms.Form):
    category = forms.CharField(
        label=_("问题类别"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"list": "rect-categories"}),
        help_text=_("如：思想建设、组织建设、作风建设；同类问题归为一类"),
    )
    problem = forms.CharField(label=_("问题"), widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(
        label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("每行一条措施")
    )
    units = forms.ModelMultipleChoiceField(
        label=_("责任单位"),
        queryset=Organization.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    lead_person = forms.ModelChoiceField(label=_("总负责人"), required=False, queryset=None)
    responsible_people = forms.ModelMultipleChoiceField(
        label=_("责任人"), required=False, queryset=None, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)
    deadline_reason = forms.CharField(
        label=_("超出台账时限的理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("整改时限晚于台账完成时限时必填"),
    )
    resolution_level = forms.ChoiceField(
        label=_("整改类型"), choices=ResolutionLevel.choices, initial=ResolutionLevel.TIMETABLED
    )
    source_meeting = forms.ModelChoiceField(label=_("来源会议"), required=False, queryset=None)
    source_member = forms.ModelChoiceField(label=_("民主评议对象"), required=False, queryset=None)

    def __init__(self, *args, ledger, **kwargs):
        super().__init__(*args, **kwargs)
        from meetings.models import Meeting
        from members.models import Member

        issuer = ledger.issuer
        units = Organization.objects.filter(path__startswith=issuer.path)
        if issuer.kind not in BRANCH_KINDS:
            units = units.exclude(kind=OrgKind.PARTY_GROUP)
        self.fields["units"].queryset = units.order_by("path")
        # People: the members of the chosen units (loaded with htmx when the units change).
        chosen = (
            self.data.getlist(self.add_prefix("units")) if self.is_bound else self.initial.get("units", [])
        )
        chosen_paths = list(
            units.filter(pk__in=[c for c in chosen if str(c).isdigit()]).values_list("path", flat=True)
        )
        people = Member.objects.active().filter(branch__path__startswith=issuer.path)
        if chosen_paths:
            from django.db.models import Q

            q = Q()
            for path in chosen_paths:
                q |= Q(branch__path__startswith=path)
            people = people.filter(q)
        else:
            people = people.none()
        people = people.select_related("branch").order_by("branch__path", "name")
        self.fields["lead_person"].queryset = people
        self.fields["responsible_people"].queryset = people
        self.fields["lead_person"].label_from_instance = _person_label
        self.fields["responsible_people"].label_from_instance = _person_label
        if ledger.source in (LedgerSource.LIFE_REVIEW, LedgerSource.INSPECTION, LedgerSource.OTHER):
            self.fields["source_meeting"].queryset = (
                Meeting.objects.filter(organization__path__startswith=issuer.path)
                .select_related("organization")
                .order_by("-held_on", "-pk")
            )
        else:
            del self.fields["source_meeting"]
        if ledger.source == LedgerSource.DEMOCRATIC_APPRAISAL:
            self.fields["source_member"].queryset = people
            self.fields["source_member"].label_from_instance = _person_label
        else:
            del self.fields["source_member"]
        _labelled(self)

    def measures_list(self):
        return [line.strip() for line in self.cleaned_data["measures"].splitlines() if line.strip()]


def _person_label(member):
    return f"{member.name}（{member.branch.short_name or member.branch.name}）"


class ItemFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *ItemStatus.choices]
    )
    overdue = forms.ChoiceField(
        label=_("逾期"), required=False, choices=[("", _("逾期与否")), ("1", _("仅看逾期"))]
    )
    unit = forms.TypedChoiceField(label=_("责任单位"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("问题类别"), required=False)

    def __init__(self, *args, units=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("全部责任单位")), *((u.pk, u.name) for u in units)]
        self.fields["category"].choices = [("", _("全部类别")), *((c, c) for c in categories)]
        _labelled(self)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(EVIDENCE_EXTENSIONS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ProgressForm(forms.Form):
    on = forms.DateField(label=_("报送日期"), widget=DATE)
    text = forms.CharField(
        label=_("推进情况"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写推进情况。")},
    )
    files = MultipleFileField(
        label=_("佐证材料"),
        required=False,
        help_text=_("最多%(n)s个，每个不超过%(mb)s MB；支持 PDF、图片、Word、Excel")
        % {"n": EVIDENCE_MAX_FILES, "mb": EVIDENCE_MAX_BYTES // (1024 * 1024)},
    )


class CloseoutForm(forms.Form):
    summary = forms.CharField(
        label=_("整改完成情况"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VerifyForm(forms.Form):
    comment = forms.CharField(label=_("验收意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写退回理由。")},
    )


class ComplianceItemForm(forms.Form):
    """The query parameters of a compliance miss, validated (the compliance page links here)."""

    unit = forms.IntegerField(label=_("检查对象"))
    rule = forms.RegexField(label=_("合规规则"), regex=r"^[A-Za-z0-9_.:-]{1,60}$")
    period = forms.RegexField(label=_("检查期间"), regex=r"^\d{4}(-(Q[1-4]|\d{2}|H[12]))?$")
    rule_label = forms.CharField(label=_("规则名称"), max_length=120, required=False)
    summary = forms.CharField(label=_("未达标情况"), max_length=1000, required=False)
    issuer = forms.TypedChoiceField(label=_("下达单位"), coerce=int, required=False, empty_value=None)


class SuggestionForm(forms.Form):
    recipient = forms.ModelChoiceField(
        label=_("提交给"), queryset=Organization.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("类型"), choices=SuggestionKind.choices)
    subject = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 5}))
    anonymous = forms.BooleanField(
        label=_("匿名提交（系统不保存提交人的任何信息，凭回执码查看答复）"), required=False
    )

    def __init__(self, *args, recipients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("答复"), widget=forms.Textarea(attrs={"rows": 3}))


class ConvertForm(forms.Form):
    ledger = forms.ModelChoiceField(
        label=_("转入台账"), required=False, queryset=None, empty_label=_("本年度意见箱整改台账（自动建立）")
    )
    problem = forms.CharField(label=_("问题"), widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.CharField(label=_("问题类别"), max_length=60, required=False)
    measures = forms.CharField(
        label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("每行一条措施")
    )
    units = forms.ModelMultipleChoiceField(label=_("责任单位"), queryset=None)
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Ledger

        recipient = suggestion.recipient
        self.fields["ledger"].queryset = Ledger.objects.filter(issuer=recipient).order_by("-issued_on")
        units = Organization.objects.filter(path__startswith=recipient.path)
        if recipient.kind not in BRANCH_KINDS:
            units = units.exclude(kind=OrgKind.PARTY_GROUP)
        self.fields["units"].queryset = units.order_by("path")

    def measures_list(self):
        return [line.strip() for line in self.cleaned_data["measures"].splitlines() if line.strip()]


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label=_("回执码"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
