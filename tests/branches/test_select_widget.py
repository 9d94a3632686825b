"""The project's select.html renders each option inline instead of including Django's
select_option.html (two template includes per option: a ledger's filter of 300 units cost 88,000
function calls). The markup must be exactly what the include gives."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.template import engines

TEMPLATE = Path(settings.BASE_DIR) / "templates/django/forms/widgets/select.html"
INLINE_OPTION = (
    "<option value=\"{{ option.value|stringformat:'s' }}\"{% for name, value in option.attrs.items %}"
    "{% if value is not False %} {{ name }}{% if value is not True %}=\"{{ value|stringformat:'s' }}\""
    "{% endif %}{% endif %}{% endfor %}>{{ option.label }}</option>\n"
)


class Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "甲"), ("b", "A & <B>")])
    grouped = forms.ChoiceField(
        choices=[("x", "X"), ("组", [("1", "一"), ("2", "二")])],
        widget=forms.Select(attrs={"class": "form-select-sm", "data-x": 1, "disabled": True}),
    )
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")])


def _render_with(source, bound_field):
    """What BoundField.as_widget renders, through `source` instead of the widget's template."""
    widget = bound_field.field.widget
    attrs = bound_field.build_widget_attrs({})
    attrs.setdefault("id", bound_field.auto_id)
    context = widget.get_context(bound_field.html_name, widget.format_value(bound_field.value()), attrs)
    return engines["django"].from_string(source).render(context).strip()


def test_inline_options_are_the_markup_of_the_include():
    source = TEMPLATE.read_text()
    assert INLINE_OPTION in source
    reference = source.replace(INLINE_OPTION, "{% include option.template_name with widget=option %}")
    form = Choices({"plain": "b", "grouped": "2", "several": ["a", "c"]})
    for name in ("plain", "grouped", "several"):
        ours = str(form[name])
        assert ours == _render_with(reference, form[name]), name
    assert "selected>A &amp; &lt;B&gt;</option>" in str(form["plain"])
    assert '<optgroup label="组">' in str(form["grouped"])
