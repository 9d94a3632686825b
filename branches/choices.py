"""`get_FOO_display()` without translating every choice of the field on every call.

Django's `Model._get_FIELD_display` rebuilds a dict of the field's choices on each call and
hashes each (value, label) pair; hashing a lazy label translates it. A roster page of 50 members
made 200 such calls — 2,000 translations, a third of the page's CPU. `ChoiceLabels` keeps one
{value: lazy label} dict per field and translates only the label shown, under the language active
at that moment, as Django does."""

from django.utils.encoding import force_str

_LABELS = {}


def _labels(field):
    labels = _LABELS.get(field)
    if labels is None:
        labels = _LABELS[field] = dict(field.flatchoices)  # hashes the values only
    return labels


def choice_labels(field):
    """{value: lazy label} of a model field's choices, built once (for rows read with `.values()`)."""
    return _labels(field)


class ChoiceLabels:
    """Mixin for models whose choice labels are shown in lists (first among the bases)."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value (choices over JSON): Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
