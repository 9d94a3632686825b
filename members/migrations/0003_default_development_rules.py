import datetime

from django.db import migrations
from pypinyin import Style, lazy_pinyin

SOURCE = "中国共产党发展党员工作细则（2014）"
EFFECTIVE = datetime.date(2014, 6, 10)
# 细则 §2.4 of the domain spec: the national defaults. Local rules add subtree-scoped rows.
DEFAULTS = {
    "min_age_years": 18,
    "talk_within_days": 30,
    "activist_min_months": 12,
    "assessment_interval_months": 6,
    "sponsors": 2,
    "training_min_hours": 24,
    "training_min_days": 3,
    "notice_working_days": 5,
    "approval_within_months": 3,
    "approval_extension_months": 3,
    "probation_months": 12,
    "extension_min_months": 6,
    "extension_max_months": 12,
}


def forwards(apps, schema_editor):
    DevelopmentRule = apps.get_model("members", "DevelopmentRule")
    for code, value in DEFAULTS.items():
        DevelopmentRule.objects.get_or_create(
            code=code, organization=None, effective_from=EFFECTIVE, defaults={"value": value, "source": SOURCE}
        )
    Member = apps.get_model("members", "Member")
    for member in Member.objects.filter(name_initials="").only("pk", "name"):
        initials = "".join(lazy_pinyin(member.name, style=Style.FIRST_LETTER)).lower()[:20]
        Member.objects.filter(pk=member.pk).update(name_initials=initials)


class Migration(migrations.Migration):
    dependencies = [("members", "0002_member_records_pipeline_transfers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
