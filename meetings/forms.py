from django import forms
from django.utils.translation import gettext_lazy as _

from branches.forms import DATE
from branches.models import BRANCH_KINDS, Organization, OrgKind
from branches.scoping import scope_for
from branches.widgets import ListSelect
from members.models import ACTIVE_STATUSES, Member

from .models import (
    AttachmentKind,
    LecturerType,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinutesState,
    TalkPairType,
)
from .services import AMENDABLE_FIELDS

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _bootstrap(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def branches_for(user):
    return Organization.objects.filter(scope_for(user).editable_q(), kind__in=BRANCH_KINDS).order_by("path")


class MeetingListFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("主题、地点或支部"), "type": "search"}),
    )
    kind = forms.ChoiceField(
        label=_("会议类型"), required=False, choices=[("", _("全部类型")), *MeetingKind.choices]
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *MeetingStatus.choices]
    )
    minutes_state = forms.ChoiceField(
        label=_("记录状态"), required=False, choices=[("", _("全部记录状态")), *MinutesState.choices]
    )
    date_from = forms.DateField(label=_("从"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("至"), required=False, widget=DATE)
    within = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        for name in ("kind", "status", "minutes_state"):
            self.fields[name].widget.attrs["class"] = "form-select"

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期须不早于开始日期。"))
        return data


class _MeetingForm(forms.ModelForm):
    organization = forms.ModelChoiceField(label=_("党支部"), queryset=Organization.objects.none())

    def __init__(self, *args, user, branch=None, **kwargs):
        """`branch`: the branch chosen so far (a committee's staff pick one first: the people and
        party groups offered are that branch's, never a whole subtree's)."""
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields.pop("organization")
            branch = self.instance.organization
        else:
            branches = list(branches_for(user)[:2])
            self.fields["organization"].queryset = branches_for(user)
            if branch is None and len(branches) == 1:
                branch = branches[0]
            if branch is not None:
                self.fields["organization"].initial = branch.pk
            else:
                self.fields["organization"].help_text = _(
                    "先选择党支部，再从该支部的党员中选择主持人、记录人。"
                )
            # Choosing another branch reloads the form with that branch's people and groups.
            self.fields["organization"].widget.attrs["onchange"] = "location.search='?branch='+this.value"
        self.branch = branch
        if "party_group" in self.fields:
            groups = Organization.objects.none()
            if branch is not None:
                groups = Organization.objects.filter(path__startswith=branch.path, kind=OrgKind.PARTY_GROUP)
            self.fields["party_group"].queryset = groups.order_by("path")
            self.fields["party_group"].required = False
        _bootstrap(self)

    def _post_clean(self):
        # Model rules run in the service (with messages naming the field).
        pass


class PlanForm(_MeetingForm):
    class Meta:
        model = Meeting
        fields = (
            "organization",
            "kind",
            "party_group",
            "topic",
            "planned_on",
            "starts_at",
            "place",
            "agenda",
            "also_themed_day",
        )
        widgets = {"planned_on": DATE, "starts_at": TIME, "agenda": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = MeetingKind.choices


class RecordForm(_MeetingForm):
    class Meta:
        model = Meeting
        fields = (
            "organization",
            "kind",
            "party_group",
            "also_themed_day",
            "topic",
            "held_on",
            "starts_at",
            "ends_at",
            "place",
            "host",
            "recorder",
            "lecturer",
            "lecturer_name",
            "lecturer_type",
            "agenda",
            "minutes",
        )
        widgets = {
            "held_on": DATE,
            "starts_at": TIME,
            "ends_at": TIME,
            "agenda": forms.Textarea(attrs={"rows": 3}),
            "minutes": forms.Textarea(attrs={"rows": 10}),
        }
        help_texts = {"lecturer_name": _("授课人不是本支部党员时填写姓名")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["kind"].choices = MeetingKind.choices
        people = Member.objects.none()
        if self.branch is not None:
            people = (
                Member.objects.visible_to(user)
                .without_protected()
                .filter(status__in=ACTIVE_STATUSES, branch=self.branch)
            )
        people = people.order_by("name", "pk")
        for name in ("host", "recorder", "lecturer"):
            self.fields[name].queryset = people
        # The service checks these (with every other rule at once); the form only marks them.
        for name in ("host", "recorder", "held_on", "topic"):
            self.fields[name].required = False
            self.fields[name].show_required = True
        self.fields["lecturer_type"].choices = [("", "—"), *LecturerType.choices]
        self.fields["minutes"].widget.attrs["data-testid"] = "minutes"


class AdjustForm(forms.Form):
    member = forms.ModelChoiceField(label=_("人员"), queryset=Member.objects.none())
    reason = forms.CharField(label=_("原因"), max_length=200)

    def __init__(self, *args, user, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        on_list = meeting.attendance.filter(expected=True).values("member_id")
        self.fields["member"].queryset = (
            Member.objects.visible_to(user)
            .without_protected()
            .filter(status__in=ACTIVE_STATUSES, branch=meeting.organization)
            .exclude(pk__in=on_list)
            .order_by("name")
        )
        _bootstrap(self)


class ResolutionForm(forms.Form):
    text = forms.CharField(label=_("决议内容"), widget=forms.Textarea(attrs={"rows": 2}))
    put_to_vote = forms.BooleanField(label=_("付诸表决"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class VoteForm(forms.Form):
    votes_for = forms.IntegerField(label=_("赞成"), min_value=0)
    votes_against = forms.IntegerField(label=_("反对"), min_value=0, initial=0)
    votes_abstain = forms.IntegerField(label=_("弃权"), min_value=0, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        for f in self.fields.values():
            f.widget.attrs["inputmode"] = "numeric"


class _NameChoiceIterator(forms.models.ModelChoiceIterator):
    """Options from (pk, name) rows. ModelChoiceIterator builds a model instance per option and
    reads through `.iterator()` (a server-side cursor on PostgreSQL: DECLARE, FETCH, CLOSE); a
    branch's 50 members as a list of names need neither. The label is the name, as `str(member)`."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class MemberChoiceField(forms.ModelChoiceField):
    """A member picker: options from (pk, name) rows, rendered without the template engine."""

    widget = ListSelect
    iterator = _NameChoiceIterator


class ActionItemForm(forms.Form):
    text = forms.CharField(label=_("事项"), max_length=300)
    owner = MemberChoiceField(label=_("责任人"), queryset=Member.objects.none())
    due_on = forms.DateField(label=_("完成期限"), required=False, widget=DATE)

    def __init__(self, *args, user, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            Member.objects.visible_to(user)
            .without_protected()
            .filter(status__in=ACTIVE_STATUSES, branch=meeting.organization)
            .order_by("name")
        )
        _bootstrap(self)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("文件"), help_text=_("JPG、PNG 或 PDF，单个不超过 10 MB"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["file"].widget.attrs["accept"] = ".jpg,.jpeg,.png,.pdf"


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("审阅通过")), ("return", _("退回修改"))])
    comment = forms.CharField(label=_("审阅意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class AmendForm(forms.Form):
    field = forms.ChoiceField(label=_("更正内容"))
    new_value = forms.CharField(
        label=_("更正后的内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    reason = forms.CharField(label=_("更正原因"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [
            (f, Meeting._meta.get_field(f).verbose_name) for f in AMENDABLE_FIELDS
        ]
        _bootstrap(self)


class TalkForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("党支部"), queryset=Organization.objects.none())
    held_on = forms.DateField(label=_("谈话日期"), widget=DATE)
    pair_type = forms.ChoiceField(label=_("谈话类型"), choices=TalkPairType.choices)
    participants = forms.ModelMultipleChoiceField(
        label=_("谈话人员"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("至少两人"),
    )
    topic = forms.CharField(label=_("谈话主题"), max_length=200)
    summary = forms.CharField(
        label=_("谈话内容摘要"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user, branch=None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = branches_for(user)
        self.fields["organization"].queryset = branches
        # Choosing another branch reloads the form with that branch's members.
        self.fields["organization"].widget.attrs["onchange"] = "location.search='?branch='+this.value"
        if branch is None and branches.count() == 1:
            branch = branches.first()
        if branch is not None:
            self.fields["organization"].initial = branch.pk
        people = Member.objects.visible_to(user).without_protected().filter(status__in=ACTIVE_STATUSES)
        people = people.filter(branch=branch) if branch is not None else people.filter(branch__in=branches)
        self.fields["participants"].queryset = people.select_related("branch").order_by(
            "branch__path", "name"
        )
        _bootstrap(self)
        self.fields["participants"].widget.attrs["class"] = "form-check-input"
