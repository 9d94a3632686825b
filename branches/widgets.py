"""Form widgets shared by the apps' pages."""

from html import escape  # django.utils.html.escape's own, without its lazy-text wrapper

from django import forms
from django.utils.safestring import mark_safe


def _attrs(attrs):
    """select.html's attributes loop: True as a bare name, False left out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A <select> of flat choices written in Python exactly as templates/django/forms/widgets/
    select.html writes it (Django's widget context, attributes and selection, then the renderer's
    strip): a ledger filter's 责任单位 lists up to 300 units and a meeting's 责任人 picker a
    branch's members, which the template took some 15 µs an option to write."""

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        attrs = widget["attrs"]
        css = f"form-select {escape(str(attrs['class']))}" if attrs.get("class") else "form-select"
        options = []
        for group_name, group, _index in widget["optgroups"]:
            if group_name:  # not written for: the filters' choices are flat
                return super()._render(template_name, context, renderer)
            options += (
                f'\n  <option value="{escape(str(o["value"]))}"{_attrs(o["attrs"])}>{escape(str(o["label"]))}</option>\n'
                for o in group
            )
        others = _attrs({k: v for k, v in attrs.items() if k != "class"})
        return mark_safe(
            f'<select name="{escape(widget["name"])}" class="{css}"{others}>{"".join(options)}\n</select>'
        )
