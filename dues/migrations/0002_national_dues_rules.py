"""The national dues rules of 党费规定 (in force 2008-04-01) as the global rule rows."""

import datetime
from decimal import Decimal

from django.db import migrations

EFFECTIVE = datetime.date(2008, 4, 1)
SOURCE = "党费规定（2008）"
BRACKETS = (
    ("in_service", Decimal("3000.00"), Decimal("0.0050")),
    ("in_service", Decimal("5000.00"), Decimal("0.0100")),
    ("in_service", Decimal("10000.00"), Decimal("0.0150")),
    ("in_service", None, Decimal("0.0200")),
    ("retired", Decimal("5000.00"), Decimal("0.0050")),
    ("retired", None, Decimal("0.0100")),
)


def load(apps, schema_editor):
    DuesBracket = apps.get_model("dues", "DuesBracket")
    DuesPolicy = apps.get_model("dues", "DuesPolicy")
    BranchDuesSetting = apps.get_model("dues", "BranchDuesSetting")
    if not DuesBracket.objects.filter(organization__isnull=True).exists():
        DuesBracket.objects.bulk_create(
            DuesBracket(effective_from=EFFECTIVE, source=SOURCE, category=c, upper_bound=u, rate=r)
            for c, u, r in BRACKETS
        )
    if not DuesPolicy.objects.filter(organization__isnull=True).exists():
        DuesPolicy.objects.create(effective_from=EFFECTIVE, source=SOURCE)
    if not BranchDuesSetting.objects.filter(organization__isnull=True).exists():
        BranchDuesSetting.objects.create(effective_from=EFFECTIVE, source=SOURCE)


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_dues_ledger")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
