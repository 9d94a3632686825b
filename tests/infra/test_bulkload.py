"""partyaffairs.bulkload: the plain indexes of a table are gone during a bulk load and back, with
the same definitions, afterwards; primary keys and constraint indexes never leave; a failed block
rolls back to the indexes it started with."""

import pytest
from django.db import connection, transaction

from meetings.models import Attendance
from partyaffairs.bulkload import bulk_load, indexes_deferred, memory_for_bulk_work, plain_indexes


def all_indexes(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def test_plain_indexes_are_dropped_for_the_block_and_rebuilt(on_postgres):
    table = Attendance._meta.db_table
    before = all_indexes(table)
    plain = dict(plain_indexes(Attendance))
    assert "attendance_member_meeting" in plain  # a plain index
    assert "attendance_unique" not in plain  # backs the (meeting, member) unique constraint
    assert f"{table}_pkey" not in plain
    with transaction.atomic(), bulk_load(), indexes_deferred(Attendance):
        during = all_indexes(table)
        assert set(during) == set(before) - set(plain)
    assert all_indexes(table) == before


def test_outside_a_bulk_load_nothing_is_dropped(on_postgres):
    table = Attendance._meta.db_table
    before = all_indexes(table)
    with transaction.atomic(), indexes_deferred(Attendance):
        assert all_indexes(table) == before


def test_a_failed_block_rolls_back_to_the_indexes_it_started_with(on_postgres):
    table = Attendance._meta.db_table
    before = all_indexes(table)
    with pytest.raises(RuntimeError), transaction.atomic(), bulk_load(), indexes_deferred(Attendance):
        raise RuntimeError("the load failed")
    assert all_indexes(table) == before


def test_bulk_memory_is_set_for_the_transaction(on_postgres):
    def setting(name):
        with connection.cursor() as cursor:
            cursor.execute(f"SHOW {name}")
            return cursor.fetchone()[0]

    assert setting("work_mem") != "256MB"
    with transaction.atomic():
        memory_for_bulk_work()  # SET LOCAL: it ends with the transaction
        assert setting("work_mem") == "256MB" and setting("maintenance_work_mem") == "1GB"
