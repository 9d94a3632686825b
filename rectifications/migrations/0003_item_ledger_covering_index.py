"""A covering (ledger, category) index for a ledger page's counts and category list, in place of the
single-column index on the ledger foreign key that it now leads.

Only the index goes (DROP INDEX), as in dues 0011 and meetings 0002: Django's own AlterField would
also drop and re-add the foreign key constraint, re-validating every item."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rectifications", "0002_default_update_due_day"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="item",
                    name="ledger",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="rectifications.ledger",
                        verbose_name="整改台账",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "rectifications_item_ledger_id_aa812e60"',
                    reverse_sql='CREATE INDEX "rectifications_item_ledger_id_aa812e60" '
                    'ON "rectifications_item" ("ledger_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                fields=["ledger", "category"],
                include=("status", "deadline", "id"),
                name="rect_item_ledger_category",
            ),
        ),
    ]
