"""The biggest tables (tens of millions of rows at city scale) carry no index that another index makes
redundant: a single-column index on a column that a composite index already leads with only slows
every insert (and the bulk load of the scale data)."""

import pytest
from django.db import connection

BIG_TABLES = (
    "meetings_attendance",
    "dues_duesbase",
    "dues_duesobligation",
    "dues_duespayment",
    "dues_paymentallocation",
)


@pytest.mark.django_db
@pytest.mark.parametrize("table", BIG_TABLES)
def test_no_single_column_index_shadowed_by_a_composite_one(table):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    leading = {cols[0] for cols in indexes if len(cols) > 1}
    shadowed = [cols[0] for cols in indexes if len(cols) == 1 and cols[0] in leading]
    assert not shadowed, f"{table}: single-column index on {shadowed} duplicates a composite index"
    assert leading, f"{table}: expected its composite indexes"


@pytest.mark.django_db
def test_the_foreign_keys_are_still_enforced(on_postgres):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "meetings_attendance")
    fks = {c["columns"][0] for c in constraints.values() if c["foreign_key"]}
    assert {"meeting_id", "member_id"} <= fks
