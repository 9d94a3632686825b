import datetime

from django.db import migrations


def forwards(apps, schema_editor):
    from notifications.reminders import DEFAULT_RULES
    from notifications.schedules import sync_beat_schedule

    ReminderRule = apps.get_model("notifications", "ReminderRule")
    for kind, (lead_days, recipients) in DEFAULT_RULES.items():
        ReminderRule.objects.get_or_create(
            kind=kind,
            organization=None,
            effective_from=datetime.date(2018, 1, 1),
            defaults={"lead_days": lead_days, "recipients": recipients, "source": "默认值"},
        )
    sync_beat_schedule(apps.get_model("django_celery_beat", "PeriodicTask"), apps.get_model("django_celery_beat", "CrontabSchedule"))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
