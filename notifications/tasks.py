"""Thin Celery wrappers (schedules in CELERY_BEAT_SCHEDULE, settings). Idempotent: a redelivered
run claims nothing it already claimed (see services)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_reminders():
    return services.reminder_run()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dispatch_deliveries():
    return services.dispatch()
