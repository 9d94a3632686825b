"""ChoiceLabels: get_FOO_display() gives what Django's gives, in the language active when called,
without translating the field's other choices."""

import pytest
from django.db.models import Model
from django.utils import translation

from branches.models import CommitteePost, Organization
from dues.models import DuesBase, DuesPayment
from meetings.models import Attachment, Attendance, Meeting
from members.models import Member
from rectifications.models import Item

MODELS = [Organization, CommitteePost, Member, Meeting, Attendance, Attachment, DuesBase, DuesPayment, Item]


def _choice_fields(model):
    return [f for f in model._meta.get_fields() if getattr(f, "choices", None) and f.concrete]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_choice_displays_as_django_displays_it(model, language):
    assert any(_choice_fields(model)), model
    with translation.override(language):
        for field in _choice_fields(model):
            for value in [v for v, _ in field.flatchoices] + ["not-a-choice", None]:
                obj = model()
                setattr(obj, field.attname, value)
                ours = getattr(obj, f"get_{field.name}_display")()
                assert ours == Model._get_FIELD_display(obj, field), (field, value)
                assert type(ours) is type(Model._get_FIELD_display(obj, field))


def test_the_label_follows_the_active_language():
    member = Member(status="full")
    with translation.override("zh-hans"):
        assert member.get_status_display() == "正式党员"
    with translation.override("en"):
        assert member.get_status_display() != "正式党员"


def test_one_translation_per_call(monkeypatch):
    """Django's own hashes every choice's lazy label — one translation each — on every call."""
    calls = []
    real = translation.gettext("正式党员") and translation._trans.gettext
    monkeypatch.setattr(translation._trans, "gettext", lambda message: calls.append(message) or real(message))
    Member(status="full").get_status_display()
    assert calls == ["正式党员"]
