from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .models import ALLOWED_PARENT_KINDS, Organization, OrgKind, PostRole
from .scoping import scope_for
from .services import ORG_EDITABLE_FIELDS, SUPERVISOR_ONLY_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form, exc):
    """Put a service's ValidationError on the form: each message on its field where the form has
    that field, otherwise at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ORG_EDITABLE_FIELDS
        widgets = {"established_on": DATE, "term_start": DATE, "term_end": DATE}
        help_texts = {"term_end": _("留空则按任期规则自动计算")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not scope_for(user).supervises(self.instance):
            for name in SUPERVISOR_ONLY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("由上级党组织设定")

    def _post_clean(self):
        # Model validation runs in the service, where the tree position is known.
        pass


class OrganizationCreateForm(OrganizationForm):
    kind = forms.ChoiceField(label=_("类型"), choices=())

    class Meta(OrganizationForm.Meta):
        fields = ("kind", *ORG_EDITABLE_FIELDS)

    def __init__(self, *args, parent, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        from .services import can_create_child

        self.fields["kind"].choices = [
            (k.value, k.label)
            for k in OrgKind
            if parent.kind in ALLOWED_PARENT_KINDS[k] and can_create_child(user, parent, k)
        ]
        self.fields["field"].initial = parent.field
        for name in SUPERVISOR_ONLY_FIELDS:
            self.fields.pop(name, None)


class MoveForm(forms.Form):
    parent = forms.ModelChoiceField(label=_("新的上级党组织"), queryset=Organization.objects.none())

    def __init__(self, *args, org, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [k for k in ALLOWED_PARENT_KINDS[org.kind] if k]
        self.fields["parent"].queryset = (
            Organization.objects.filter(scope_for(user).staff_q())
            .filter(kind__in=allowed)
            .exclude(path__startswith=org.path)
            .order_by("path")
        )
        self.fields["parent"].label_from_instance = lambda o: "　" * (o.depth - 1) + o.name


class PostForm(forms.Form):
    role = forms.ChoiceField(label=_("职务"), choices=())
    member = forms.ModelChoiceField(label=_("任职党员"), queryset=None)
    started_on = forms.DateField(label=_("任职日期"), widget=DATE)
    elected_on = forms.DateField(label=_("选举日期"), widget=DATE, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, org, user, **kwargs):
        super().__init__(*args, **kwargs)
        if org.kind == OrgKind.PARTY_GROUP:
            roles = [PostRole.GROUP_LEADER]
            home = Organization.objects.get_parent(org)
        else:
            roles = [r for r in PostRole if r != PostRole.GROUP_LEADER]
            home = org
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        Member = apps.get_model("members", "Member")
        self.fields["member"].queryset = (
            Member.objects.visible_to(user)
            .filter(status="full", branch__path__startswith=home.path)
            .select_related("branch")
            .order_by("name")
        )
        self.fields["member"].label_from_instance = lambda m: (
            f"{m.name}（{m.branch.short_name or m.branch.name}）"
        )


class EndPostForm(forms.Form):
    ended_on = forms.DateField(label=_("离任日期"), widget=DATE)


class TreeFilterForm(forms.Form):
    q = forms.CharField(
        label=_("名称"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("按名称搜索"), "type": "search"}),
    )
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部类型")), *OrgKind.choices])
