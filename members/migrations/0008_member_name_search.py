"""The roster's search through indexes: `Member.name_search` (the name upper-cased, one word per
character, see `members.models.member.search_text`), filled for the existing rows, and on
PostgreSQL the pg_trgm extension with a trigram GIN index on it and on `id_masked` (the 身份证号
tail search). The indexes are created here rather than in the model's Meta because SQLite has no
GIN index: there the same queries run without them."""

from django.db import migrations, models

BATCH = 2000
INDEXES = {
    "member_name_search_trgm": "name_search",
    "member_id_masked_trgm": "id_masked",
}


def search_text(text):
    # members.models.member.search_text, frozen here (a migration must not change with the model).
    return f" {' '.join(text.upper())} " if text else ""


def fill_name_search(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    last = 0
    while True:
        rows = list(Member.objects.filter(pk__gt=last).order_by("pk").only("pk", "name")[:BATCH])
        if not rows:
            break
        for member in rows:
            member.name_search = search_text(member.name)
        Member.objects.bulk_update(rows, ["name_search"])
        last = rows[-1].pk


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database's owner may create it. Left in place when the
    # migration is reversed (Django's TrigramExtension cannot be reversed on SQLite).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON members_member USING gin ({column} gin_trgm_ops)"
        )


def settle_indexes(apps, schema_editor):
    """After the fill: the rows it wrote wait in the GIN indexes' pending lists (scanned in full by
    every search until a vacuum merges them: 15 ms instead of 0.7 at tier M), and the planner has
    no statistics for the new column. Both are done here (VACUUM cannot run in a migration)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")
    schema_editor.execute("ANALYZE members_member")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("members", "0007_member_rules_transfers_mobile")]

    operations = [
        migrations.AddField(
            model_name="member",
            name="name_search",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        # The indexes before the fill: rows updated first would leave heap-only tuple chains that a
        # new index cannot use until every transaction older than it has ended (indcheckxmin).
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(fill_name_search, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(settle_indexes, migrations.RunPython.noop, elidable=True),
    ]
