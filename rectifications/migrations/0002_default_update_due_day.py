import datetime

from django.db import migrations


def forwards(apps, schema_editor):
    """The national practice (domain §2.6): monthly progress reported before the 28th."""
    Rule = apps.get_model("rectifications", "RectificationRule")
    Rule.objects.get_or_create(
        organization=None,
        effective_from=datetime.date(2000, 1, 1),
        defaults={"update_due_day": 28, "source": "整改台账每月28日前报送推进情况"},
    )


class Migration(migrations.Migration):
    dependencies = [("rectifications", "0001_ledgers_items_suggestions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
