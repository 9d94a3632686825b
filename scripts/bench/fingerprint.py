"""A fingerprint of the generated data that ignores ids, timestamps and ciphertexts, so two runs of
`generate_scale_data --tier T --seed N` on the same day can be compared (the data is dated from
today: meetings and dues run up to the current month, so a later day gives later data).

Per table of the domain apps: the row count and an order-independent sum of a hash of each row's
plain columns (no primary or foreign keys — they depend on sequences —, no date-times — created
and updated stamps —, no encrypted fields — a fresh IV each time). Bench users and grants, which the
bench adds, are left out; so are the columns in ID_COLUMNS."""

import hashlib

from django.apps import apps
from django.db import connection, models

APPS = ("branches", "members", "meetings", "dues", "rectifications")
SKIP = {"branches.Grant"}
# Columns that embed a row's or a member's database id by design (a sponsor's id in a step's detail,
# the 流动党员证 number): equivalent data, different ids.
ID_COLUMNS = {"members.DevelopmentStep": {"detail"}, "members.MobileRecord": {"card_no"}}


def _columns(model):
    out = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.is_relation or isinstance(f, models.DateTimeField):
            continue
        if not type(f).__module__.startswith("django."):
            continue  # encrypted and other custom fields
        if f.name in ID_COLUMNS.get(model._meta.label, ()):
            continue
        out.append(connection.ops.quote_name(f.column))
    return out


def tables():
    for label in APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            if model._meta.label in SKIP or model._meta.proxy or not model._meta.managed:
                continue
            yield model


def fingerprint():
    """{"digest": md5 over all tables, "tables": {label: [rows, hash sum]}} (PostgreSQL)."""
    out = {}
    with connection.cursor() as cursor:
        for model in tables():
            columns = _columns(model)
            row = "concat_ws('|', " + ", ".join(f"{c}::text" for c in columns) + ")" if columns else "''"
            cursor.execute(
                f"SELECT count(*), coalesce(sum(hashtext({row})::bigint), 0) FROM {connection.ops.quote_name(model._meta.db_table)}"
            )
            count, total = cursor.fetchone()
            out[model._meta.label] = [count, int(total)]
    digest = hashlib.md5(repr(sorted(out.items())).encode()).hexdigest()
    return {"digest": digest, "tables": out}
