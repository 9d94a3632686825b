import datetime

from django.db import migrations

# 中国共产党支部工作条例（试行）§21, in force 2018-10-28: village and community branch committees
# serve 5 years; others normally 3.
DEFAULTS = [("", 3), ("village", 5), ("community", 5)]
SOURCE = "中国共产党支部工作条例（试行）第二十一条"


def forwards(apps, schema_editor):
    TermRule = apps.get_model("branches", "TermRule")
    for field, years in DEFAULTS:
        TermRule.objects.get_or_create(
            field=field, organization=None, effective_from=datetime.date(2018, 10, 28),
            defaults={"years": years, "source": SOURCE},
        )


class Migration(migrations.Migration):
    dependencies = [("branches", "0002_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
