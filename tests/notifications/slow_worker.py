"""The real Celery app for worker tests, with the quarterly report's build slowed down (by
SLOW_REPORT_SECONDS) so a test can SIGKILL the worker in the middle of a report."""

import os
import time

from celery.signals import task_prerun

from partyaffairs.celery import app

__all__ = ["app"]


@task_prerun.connect
def _slow_reports(sender=None, **kwargs):
    delay = float(os.environ.get("SLOW_REPORT_SECONDS", "0"))
    from compliance import reports

    if not delay or getattr(reports.build_workbook, "slowed", False):
        return
    original = reports.build_workbook

    def slowed(org, period, **options):
        if options.get("on_progress"):
            options["on_progress"](1, 3)
        time.sleep(delay)
        return original(org, period, **options)

    slowed.slowed = True
    reports.build_workbook = slowed
