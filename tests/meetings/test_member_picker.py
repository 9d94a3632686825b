"""The 责任人 picker of a meeting's page: the shared `ListSelect` builds in Python the markup the
project's select.html gives, and its options come from (pk, name) rows. The markup must be exactly
the template's."""

from django import forms
from django.template import engines
from django.utils.html import escape

from branches.widgets import ListSelect
from meetings.forms import ActionItemForm
from meetings.models import Meeting
from tests.conftest import make_member


class Picker(forms.Form):
    plain = forms.ChoiceField(
        choices=[("", "—"), ("a", "甲"), ("b", "A & <B>"), (3, "丙")], widget=ListSelect
    )
    styled = forms.ChoiceField(
        choices=[(None, "---------"), ("1", "一"), ("1", "一（重名）"), ("2", "二")],
        required=False,
        widget=ListSelect(attrs={"class": "form-select-sm", "data-x": 1, "disabled": True, "title": '"q"'}),
    )


def _through_template(bound_field):
    """What the template select.html renders for the same field."""
    widget = forms.Select(attrs=bound_field.field.widget.attrs)
    widget.choices = bound_field.field.widget.choices
    attrs = bound_field.build_widget_attrs({})
    attrs.setdefault("id", bound_field.auto_id)
    context = widget.get_context(bound_field.html_name, widget.format_value(bound_field.value()), attrs)
    return engines["django"].get_template(widget.template_name).render(context).strip()  # as the renderer


def test_markup_is_the_templates():
    for data in (None, {"plain": "b", "styled": "1"}, {"plain": "3", "styled": ""}, {"plain": "x"}):
        form = Picker(data)
        for name in ("plain", "styled"):
            assert str(form[name]) == _through_template(form[name]), (data, name)
    form = Picker({"plain": "b", "styled": "1"})
    assert "selected>A &amp; &lt;B&gt;</option>" in str(form["plain"])
    assert str(form["styled"]).count(" selected") == 1  # the first of two equal values only


def test_owner_options_are_the_branch_members_by_name(cast, recorder):
    make_member(cast.a, "乙<党员>")
    form = ActionItemForm(user=cast.secretary_a, meeting=Meeting(organization=cast.a))
    html = str(form["owner"])
    members = form.fields["owner"].queryset
    assert html == _through_template(form["owner"])
    assert html.count("<option") == members.count() + 1
    for member in members:
        assert f'<option value="{member.pk}">{escape(member.name)}</option>' in html
