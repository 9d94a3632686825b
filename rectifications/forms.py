from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Organization
from branches.widgets import ListSelect

from . import selectors
from .models import ItemStatus, LedgerSource, ResolutionLevel, SuggestionKind
from .models.ledger import EVIDENCE_EXTENSIONS, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PickerWidget(forms.Widget):
    """A searchable picker for a model choice field whose choices are too many to list (a city
    committee's 15,000 units, 300,000 members, 700,000 meetings): only the chosen values are
    rendered, as chips (checked inputs); a search box asks `search_url` for a few matches.

    Without JavaScript the chips are plain checkboxes to untick and the search button posts the
    form back (`_search`), the view then fills `results` with the matches to tick."""

    template_name = "rectifications/_picker.html"

    def __init__(self, *, multiple, placeholder, attrs=None):
        super().__init__(attrs)
        self.multiple = multiple
        self.placeholder = placeholder
        self.search_url = ""
        self.include = ""  # other fields the search sends along (the chosen units, for people)
        self.results = None  # (rows, more) for a no-JavaScript search post-back
        self.query = ""

    @property
    def allow_multiple_selected(self):
        return self.multiple

    def value_from_datadict(self, data, files, name):
        if self.multiple:
            getter = getattr(data, "getlist", None)
            return getter(name) if getter else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False  # no chip ticked is a value: none chosen

    def format_value(self, value):
        if value is None or value == "":
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(getattr(v, "pk", v)) for v in values if v not in (None, "")]

    def chosen(self, values):
        """The chosen values still among the field's choices (one query)."""
        ids = [int(v) for v in values if v.isdigit()]
        if not ids:
            return []
        label = self.choices.field.label_from_instance
        return [(str(obj.pk), label(obj)) for obj in self.choices.queryset.filter(pk__in=ids)]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = self.chosen(context["widget"]["value"])
        chosen_ids = {pk for pk, _label in chosen}
        rows, more = self.results or ((), False)
        context["widget"].update(
            chosen=chosen,
            multiple=self.multiple,
            input_type="checkbox" if self.multiple else "radio",
            placeholder=self.placeholder,
            search_url=self.search_url,
            include=self.include,
            searched=self.results is not None,
            query=self.query,
            limit=selectors.PICK_LIMIT,
            results=[(pk, label, detail) for pk, label, detail in rows if pk not in chosen_ids],
            more=more,
        )
        return context


def _labelled(form):
    for name, field in form.fields.items():
        field.widget.attrs.setdefault("aria-label", field.label or name)


UNITS_PICKER = PickerWidget(multiple=True, placeholder=_("输入单位名称或组织代码搜索"))


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
        label=_("责任单位"), queryset=Organization.objects.none(), widget=UNITS_PICKER
    )
    lead_person = forms.ModelChoiceField(
        label=_("总负责人"),
        required=False,
        queryset=None,
        widget=PickerWidget(multiple=False, placeholder=_("输入姓名或拼音首字母搜索")),
    )
    responsible_people = forms.ModelMultipleChoiceField(
        label=_("责任人"),
        required=False,
        queryset=None,
        widget=PickerWidget(multiple=True, placeholder=_("输入姓名或拼音首字母搜索")),
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
    source_meeting = forms.ModelChoiceField(
        label=_("来源会议"),
        required=False,
        queryset=None,
        widget=PickerWidget(multiple=False, placeholder=_("输入会议主题、组织名称或日期（如 2026-03）搜索")),
    )
    source_member = forms.ModelChoiceField(
        label=_("民主评议对象"),
        required=False,
        queryset=None,
        widget=PickerWidget(multiple=False, placeholder=_("输入姓名或拼音首字母搜索")),
    )

    PEOPLE = ("lead_person", "responsible_people", "source_member")

    def __init__(self, *args, ledger, **kwargs):
        super().__init__(*args, **kwargs)
        from django.urls import reverse

        self.issuer = issuer = ledger.issuer
        units = selectors.unit_choices(issuer)
        self.fields["units"].queryset = units
        # People: the members of the chosen units (re-rendered with htmx when the units change).
        chosen = (
            self.data.getlist(self.add_prefix("units")) if self.is_bound else self.initial.get("units", [])
        )
        chosen_ids = [str(getattr(c, "pk", c)) for c in chosen]
        chosen_paths = list(
            units.filter(pk__in=[c for c in chosen_ids if c.isdigit()]).values_list("path", flat=True)
        )
        self.chosen_units = bool(chosen_paths)
        people = selectors.people_choices(issuer, chosen_paths)
        if ledger.source in (LedgerSource.LIFE_REVIEW, LedgerSource.INSPECTION, LedgerSource.OTHER):
            self.fields["source_meeting"].queryset = selectors.meeting_choices(issuer)
            self.fields["source_meeting"].label_from_instance = _meeting_label
        else:
            del self.fields["source_meeting"]
        if ledger.source != LedgerSource.DEMOCRATIC_APPRAISAL:
            del self.fields["source_member"]
        for name in self.PEOPLE:
            if name in self.fields:
                self.fields[name].queryset = people
                self.fields[name].label_from_instance = _person_label
        for name, field in self.fields.items():
            if isinstance(field.widget, PickerWidget):
                field.widget.search_url = reverse("rectifications:ledger_pick", args=[ledger.pk, name])
                field.widget.include = "[name='units']" if name in self.PEOPLE else ""
        _labelled(self)

    def measures_list(self):
        return [line.strip() for line in self.cleaned_data["measures"].splitlines() if line.strip()]


def _person_label(member):
    return f"{member.name}（{member.branch.short_name or member.branch.name}）"


def _meeting_label(meeting):
    day = meeting.held_on or meeting.planned_on
    return f"{day:%Y-%m-%d} {meeting.topic}" if day else meeting.topic


class ItemFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *ItemStatus.choices],
        widget=ListSelect,
    )
    overdue = forms.ChoiceField(
        label=_("逾期"),
        required=False,
        choices=[("", _("逾期与否")), ("1", _("仅看逾期"))],
        widget=ListSelect,
    )
    unit = forms.TypedChoiceField(
        label=_("责任单位"), required=False, coerce=int, empty_value=None, widget=ListSelect
    )
    category = forms.ChoiceField(label=_("问题类别"), required=False, widget=ListSelect)

    def __init__(self, *args, units=(), categories=(), **kwargs):
        """`units`: (id, name) pairs."""
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("全部责任单位")), *units]
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
    units = forms.ModelMultipleChoiceField(label=_("责任单位"), queryset=None, widget=UNITS_PICKER)
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, **kwargs)
        from django.urls import reverse

        from .models import Ledger

        self.issuer = recipient = suggestion.recipient
        self.fields["ledger"].queryset = Ledger.objects.filter(issuer=recipient).order_by("-issued_on")
        self.fields["units"].queryset = selectors.unit_choices(recipient)
        self.fields["units"].widget.search_url = reverse(
            "rectifications:suggestion_pick_units", args=[suggestion.pk]
        )

    def measures_list(self):
        return [line.strip() for line in self.cleaned_data["measures"].splitlines() if line.strip()]


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label=_("回执码"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
