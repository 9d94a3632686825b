"""Thin Celery wrappers for the quarterly reports (beat: CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task

from .reports import quarterly_reports_request, report_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_report(report_id):
    report = report_run(report_id=report_id)
    return report.pk if report else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_quarterly_reports():
    """The first day after a quarter: last quarter's workbook for every committee."""
    return quarterly_reports_request()
