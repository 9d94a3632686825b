"""Periodic schedules: declared once, in settings.CELERY_BEAT_SCHEDULE; this copies them into
django-celery-beat's tables (editable in the admin) — from the migration and from
`manage.py sync_schedules`. An existing entry is left as the admin edited it unless `reset`."""

import json

from django.conf import settings

CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


def sync_beat_schedule(periodic_task_model=None, crontab_model=None, *, reset=False):
    if periodic_task_model is None:
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        periodic_task_model, crontab_model = PeriodicTask, CrontabSchedule
    created = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        values = {f: str(getattr(schedule, f"_orig_{f}")) for f in CRONTAB_FIELDS}
        crontab, _new = crontab_model.objects.get_or_create(timezone=settings.TIME_ZONE, **values)
        defaults = {
            "task": entry["task"],
            "crontab": crontab,
            "args": json.dumps(list(entry.get("args", ()))),
            "kwargs": json.dumps(entry.get("kwargs", {})),
            "enabled": True,
        }
        if reset:
            periodic_task_model.objects.update_or_create(name=name, defaults=defaults)
        else:
            _task, new = periodic_task_model.objects.get_or_create(name=name, defaults=defaults)
            if new:
                created.append(name)
    return created
