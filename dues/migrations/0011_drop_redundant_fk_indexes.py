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
        ("branches", "0005_rule_tables_share_scoped_rule"),
        ("dues", "0010_month_indexes"),
        ("members", "0007_member_rules_transfers_mobile"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="duesbase",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="branches.organization",
                        verbose_name="所在支部",
                    ),
                ),
                migrations.AlterField(
                    model_name="duesbase",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dues_bases",
                        to="members.member",
                        verbose_name="党员",
                    ),
                ),
                migrations.AlterField(
                    model_name="duesobligation",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="branches.organization",
                        verbose_name="所在支部",
                    ),
                ),
                migrations.AlterField(
                    model_name="duesobligation",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dues_obligations",
                        to="members.member",
                        verbose_name="党员",
                    ),
                ),
                migrations.AlterField(
                    model_name="duespayment",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="branches.organization",
                        verbose_name="收缴支部",
                    ),
                ),
                migrations.AlterField(
                    model_name="duespayment",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dues_payments",
                        to="members.member",
                        verbose_name="党员",
                    ),
                ),
                migrations.AlterField(
                    model_name="paymentallocation",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="members.member",
                        verbose_name="党员",
                    ),
                ),
            ],
            database_operations=[
                _drop_index("dues_duesbase", "branch_id", "dues_duesbase_branch_id_5ca6e379"),
                _drop_index("dues_duesbase", "member_id", "dues_duesbase_member_id_d16f4d86"),
                _drop_index("dues_duesobligation", "branch_id", "dues_duesobligation_branch_id_6e98eb71"),
                _drop_index("dues_duesobligation", "member_id", "dues_duesobligation_member_id_13ad705e"),
                _drop_index("dues_duespayment", "branch_id", "dues_duespayment_branch_id_5c7ddc01"),
                _drop_index("dues_duespayment", "member_id", "dues_duespayment_member_id_da34a17d"),
                _drop_index(
                    "dues_paymentallocation", "member_id", "dues_paymentallocation_member_id_e6e1ec88"
                ),
            ],
        ),
    ]
