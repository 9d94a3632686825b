import datetime

from django.db import migrations


def add_default(apps, schema_editor):
    ScoreRule = apps.get_model("compliance", "ScoreRule")
    if not ScoreRule.objects.exists():
        ScoreRule.objects.create(
            effective_from=datetime.date(2000, 1, 1),
            source="本地实践默认值：组织生活40%、到会率15%、党费20%、整改15%、发展党员10%；低于60分为红、低于85分为黄",
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_score_rule")]

    operations = [migrations.RunPython(add_default, migrations.RunPython.noop)]
