"""Generate a city-sized organisation for benchmarks, deterministically from a seed.

    manage.py generate_scale_data --tier S   # ≈ 250 organisations
    manage.py generate_scale_data --tier M   # ≈ 15,000 organisations

Each app adds its own data in a `scale.py` module with `generate(ctx)`, run in INSTALLED_APPS order
(the org tree first; members, meetings, dues … as later apps add them). Rows go in with bulk
inserts. The generated tree hangs under a root 党委 coded SCALE-<tier>; `--replace` deletes an
existing one first (and everything that cascades from it)."""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from branches.discovery import app_modules
from partyaffairs.bulkload import bulk_load, memory_for_bulk_work

TIERS = ("S", "M")


def _skip_row_triggers():
    """PostgreSQL, as a superuser: no per-row foreign-key triggers for this transaction (tens of
    millions of rows at tier M, each checked at COMMIT one index probe at a time, took longer than
    generating them); _check_foreign_keys() checks every foreign key set-based instead. False when
    not possible (another database, or a role that may not set session_replication_role)."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        return True
    except DatabaseError:
        return False


def _check_foreign_keys():
    """Every single-column foreign key in the schema checked with one anti-join each; a dangling
    reference raises CommandError naming the constraint (and the transaction rolls back)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(
            """SELECT c.conname, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, f.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
              AND c.connamespace = current_schema()::regnamespace"""
        )
        keys = cursor.fetchall()
        for name, table, column, target, target_column in keys:
            q = connection.ops.quote_name
            cursor.execute(
                f"SELECT 1 FROM {table} t WHERE t.{q(column)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.{q(target_column)} = t.{q(column)}) LIMIT 1"
            )
            if cursor.fetchone():
                raise CommandError(f"foreign key {name}: {table}.{column} points at a missing {target} row")
    return len(keys)


class Command(BaseCommand):
    help = "Generate realistic scale data (tier S ≈ 250 organisations, tier M ≈ 15,000) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--tier", choices=TIERS, default="S")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--replace", action="store_true", help="delete an existing tree of this tier first"
        )

    def handle(self, *args, tier, seed, replace, **options):
        from branches.models import Organization

        code = f"SCALE-{tier}"
        existing = Organization.objects.filter(code=code, depth=1).first()
        if existing is not None:
            if not replace:
                raise CommandError(
                    f"Tier {tier} data already exists (root {code}); use --replace to regenerate."
                )
            started = time.monotonic()
            with transaction.atomic():
                for module in reversed(list(app_modules("scale"))):
                    if hasattr(module, "delete"):
                        module.delete({"root": existing, "stdout": self.stdout})
            self.stdout.write(f"deleted tier {tier} in {time.monotonic() - started:.1f}s")
        ctx = {"tier": tier, "rng": random.Random(seed), "stdout": self.stdout, "code": code}
        total = time.monotonic()
        own_transaction = not connection.in_atomic_block
        with transaction.atomic():
            bulk_checks = _skip_row_triggers()
            memory_for_bulk_work()
            with bulk_load(defer_indexes=bulk_checks and own_transaction):
                for module in app_modules("scale"):
                    started = time.monotonic()
                    summary = module.generate(ctx)
                    self.stdout.write(f"{module.__name__}: {summary} in {time.monotonic() - started:.1f}s")
            if bulk_checks:
                started = time.monotonic()
                checked = _check_foreign_keys()
                self.stdout.write(
                    f"foreign keys: {checked} checked set-based in {time.monotonic() - started:.1f}s"
                )
            # Without the bulk checks, the deferred foreign-key checks run at COMMIT, row by row.
            started = time.monotonic()
        self.stdout.write(f"commit: deferred constraint checks in {time.monotonic() - started:.1f}s")
        if connection.vendor == "postgresql":
            # Millions of rows arrived in one transaction: without fresh statistics the planner keeps
            # the sizes it saw before (empty tables) until autovacuum gets round to them, and picks
            # plans for a handful of rows (e.g. a hash of all attendance for one branch's page).
            # VACUUM also sets the visibility map, as autovacuum would on a live system by now, so
            # covering indexes answer without visiting the table (index-only scans). VACUUM cannot
            # run inside a transaction (a test's): there, statistics only.
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
            self.stdout.write(f"analyze: vacuum and planner statistics in {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS(f"tier {tier} generated in {time.monotonic() - total:.1f}s"))
