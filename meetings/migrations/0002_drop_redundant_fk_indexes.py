"""Drop the single-column foreign-key indexes that a composite index already leads with.

Only the indexes go (DROP INDEX); Django's own AlterField would also drop and re-add each foreign key
constraint, re-validating every row (tens of millions of attendance and ledger rows at city scale)."""

import django.db.models.deletion
from django.db import migrations, models


def _drop_index(table, column, name):
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"', reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_meetings_attendance_minutes_talks"),
        ("members", "0007_member_rules_transfers_mobile"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attendance",
                    name="meeting",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attendance",
                        to="meetings.meeting",
                        verbose_name="会议",
                    ),
                ),
                migrations.AlterField(
                    model_name="attendance",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attendance",
                        to="members.member",
                        verbose_name="党员",
                    ),
                ),
            ],
            database_operations=[
                _drop_index("meetings_attendance", "meeting_id", "meetings_attendance_meeting_id_296f48af"),
                _drop_index("meetings_attendance", "member_id", "meetings_attendance_member_id_4b8f2006"),
            ],
        ),
    ]
