"""Every row of the test database kept in memory and put back, so that tests on committed data
(live-server browser tests) can each start from the same loaded state without loading it again.

`Snapshot.take()` reads each model table (PostgreSQL: COPY, byte for byte; SQLite: SELECT);
`restore()` empties those tables and writes the rows back in one transaction (foreign keys are
checked at COMMIT, so the order does not matter), then moves the id sequences past the restored
rows and forgets the cached content types (their ids are the snapshot's again)."""

import io

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction


def _models():
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _tables():
    existing = set(connection.introspection.table_names())
    tables = []
    for model in _models():
        table = model._meta.db_table
        if table in existing and table not in tables:
            tables.append(table)
    return tables


class Snapshot:
    def __init__(self, rows):
        self.rows = rows  # {table: COPY text (PostgreSQL) or (columns, rows)}

    @classmethod
    def take(cls):
        q = connection.ops.quote_name
        rows = {}
        with connection.cursor() as cursor:
            for table in _tables():
                if connection.vendor == "postgresql":
                    buffer = io.BytesIO()
                    cursor.cursor.copy_expert(f"COPY {q(table)} TO STDOUT", buffer)
                    rows[table] = buffer.getvalue()
                else:
                    cursor.execute(f"SELECT * FROM {q(table)}")
                    rows[table] = ([c[0] for c in cursor.description], cursor.fetchall())
        return cls(rows)

    def restore(self, *, truncate=False):
        """`truncate`: empty the tables with one TRUNCATE (PostgreSQL; for large tables — a DELETE
        of nearly empty ones is quicker)."""
        q = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            if truncate and connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {', '.join(q(t) for t in self.rows)}")
            else:
                for table in self.rows:
                    cursor.execute(f"DELETE FROM {q(table)}")
            for table, data in self.rows.items():
                if connection.vendor == "postgresql":
                    if data:
                        cursor.cursor.copy_expert(f"COPY {q(table)} FROM STDIN", io.BytesIO(data))
                else:
                    columns, values = data
                    if values:
                        cols = ", ".join(q(c) for c in columns)
                        marks = ", ".join("%s" for _ in columns)
                        cursor.executemany(f"INSERT INTO {q(table)} ({cols}) VALUES ({marks})", values)
            for sql in connection.ops.sequence_reset_sql(no_style(), _models()):
                cursor.execute(sql)
        ContentType.objects.clear_cache()
