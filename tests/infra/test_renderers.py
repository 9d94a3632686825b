"""The API's renderer (partyaffairs/renderers.py) writes what DRF's JSONRenderer writes."""

import datetime
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from partyaffairs.renderers import FastJSONRenderer

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def both(data, media_type=None):
    return FastJSONRenderer().render(data, media_type), JSONRenderer().render(data, media_type)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "甲党支部", "count": 3, "nested": [{"a": None, "b": True, "c": 1.5}], "empty": {}},
        {"date": datetime.date(2026, 12, 1), "time": datetime.time(9, 30)},
        {"aware": datetime.datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)},
        {"utc": datetime.datetime(2026, 12, 1, 1, 30, tzinfo=datetime.UTC)},
        {"naive": datetime.datetime(2026, 12, 1, 9, 30)},
        {"money": decimal.Decimal("12.50"), "id": uuid.UUID(int=7)},
        {"label": gettext_lazy("整改台账"), "tuple": (1, "二")},
        {1: "integer keys", "x": [1, 2, 3]},
        {"line separators": "甲\u2028乙\u2029丙"},
        {"huge": 2**70},  # beyond orjson's 64 bits: DRF's encoder writes it
        [],
        "plain string",
    ],
)
def test_the_bytes_are_drfs(data):
    fast, drf = both(data)
    assert fast == drf
    assert json.loads(fast) == json.loads(drf)


def test_an_indented_response_is_drfs():
    fast, drf = both({"a": [1, 2]}, "application/json; indent=4")
    assert fast == drf
    assert b"\n    " in fast


def test_an_indent_asked_for_by_the_context_is_drfs():
    fast = FastJSONRenderer().render({"a": 1}, None, {"indent": 0})
    assert fast == JSONRenderer().render({"a": 1}, None, {"indent": 0})


def test_where_the_two_differ_nothing_this_api_sends():
    """Pinned: floats in orjson's shortest form, NaN as null (DRF refuses it)."""
    assert FastJSONRenderer().render({"x": 1e-05}) == b'{"x":0.00001}'
    assert FastJSONRenderer().render({"x": float("nan")}) == b'{"x":null}'
    with pytest.raises(ValueError):
        JSONRenderer().render({"x": float("nan")})


def test_nothing_renders_as_nothing():
    assert FastJSONRenderer().render(None) == b""


def test_what_neither_can_encode_fails_as_drf_does():
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"x": object()})


@pytest.mark.django_db
def test_the_api_answers_through_it(client, django_user_model):
    """A list endpoint's JSON comes from this renderer; the browsable API still answers browsers."""
    user = django_user_model.objects.create_superuser("api_renderer", password="x")
    client.force_login(user)
    response = client.get("/api/v1/organizations/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response.json()["count"] == 0
    assert "text/html" in client.get("/api/v1/organizations/", HTTP_ACCEPT="text/html")["Content-Type"]
