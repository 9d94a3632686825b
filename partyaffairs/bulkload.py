"""Helpers for loading millions of generated rows into PostgreSQL (manage.py generate_scale_data).

`memory_for_bulk_work()` gives the loading transaction room to sort and hash in memory, and
`indexes_deferred(*models)` drops a table's plain secondary indexes for the length of a bulk insert
and builds them again afterwards: one sort per index instead of millions of random insertions into
it. Primary keys and the indexes behind constraints (unique, exclusion) stay, so every row is still
checked as it goes in. Both do nothing on other databases."""

from contextlib import contextmanager

from django.db import connection

WORK_MEM = "256MB"
MAINTENANCE_WORK_MEM = "1GB"
_state = {"defer": False}


@contextmanager
def bulk_load(defer_indexes=True):
    """The loading transaction (generate_scale_data): `indexes_deferred` drops indexes only within
    it, and only when the load owns its transaction with no row triggers firing — inside a longer
    transaction (a test's), pending foreign-key trigger events forbid CREATE INDEX."""
    previous = _state["defer"]
    _state["defer"] = defer_indexes
    try:
        yield
    finally:
        _state["defer"] = previous


def memory_for_bulk_work():
    """Within the current transaction: larger sort/hash memory (the default 4 MB spills the
    GROUP BYs over millions of rows to disk)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")


def plain_indexes(model):
    """(name, definition) of `model`'s table's indexes that back no constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname""",
            [model._meta.db_table],
        )
        return cursor.fetchall()


@contextmanager
def indexes_deferred(*models):
    """Drop the plain indexes of `models`' tables inside the current transaction and build them
    again when the block is done. DROP INDEX is transactional: if the block fails, the rollback
    that follows brings the indexes back."""
    if connection.vendor != "postgresql" or not _state["defer"]:
        yield
        return
    dropped = [index for model in models for index in plain_indexes(model)]
    with connection.cursor() as cursor:
        for name, _definition in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in dropped:
            cursor.execute(definition)
