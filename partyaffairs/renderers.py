"""The API's JSON renderer: DRF's JSONRenderer, encoded by orjson.

A page of the compliance endpoint is some 200 KB of nested dicts; the standard library's encoder
took 2.4 ms of it per request, orjson 0.2 ms. For what the API sends — dicts and lists of strings,
integers, booleans, None, dates and datetimes, Decimals, lazy translations — the bytes are DRF's
(tests/infra/test_renderers.py): compact, UTF-8, dates, datetimes, Decimals, lazy strings and the
rest through DRF's own encoder (`default`), U+2028/U+2029 escaped. Whatever orjson refuses (an
integer beyond 64 bits) and an indented response (`Accept: application/json; indent=4`) go to
DRF's renderer unchanged.

Where the two differ, none of it sent by this API (pinned by the tests): a float is written in
orjson's shortest form (1e-05 as 0.00001), NaN and infinities become null where DRF refuses them,
an OrderedDict reordered with move_to_end keeps its insertion order, and dict keys or values that
DRF cannot encode (dates as keys, plain Enums) are encoded."""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if not self.compact or self.ensure_ascii or indent is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_default, option=_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: let DRF's encoder say what it makes of it
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: a strict JavaScript subset (these two bytes sequences only occur inside strings).
        if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
