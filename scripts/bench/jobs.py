"""The timed jobs, each run in a fresh process (`python -m scripts.bench job <key> --tier T`) so its
peak resident memory is its own: the kernel's high-water mark (VmHWM) is reset just before the job
starts (after Django, the imports and the fixtures are loaded) and read when it ends.

Every job's writes are rolled back (foreign keys checked immediately, so the time includes what
COMMIT would check), so runs are repeatable and the bench databases stay as generated. A job an app
does not provide yet raises NotAvailable and is reported as such."""

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass

from .targets import NotAvailable, resolve_callable


class Rollback(Exception):
    pass


@dataclass(frozen=True)
class Job:
    key: str
    label: str
    run: object  # callable(Fixtures) -> str (what was done), inside a rolled-back transaction
    target_s: float | None = None
    target_mb: float | None = None
    runs: int = 1


def _dues_month(fx):
    from django.utils import timezone

    from dues.generation import reconcile_month
    from dues.models import period_label, period_of

    period = period_of(timezone.localdate())
    charges, reversals = reconcile_month(period, paths=[fx.root.path])
    return f"{period_label(period)}: {charges} charges, {reversals} reversals"


def _compliance_tree(fx):
    from compliance.engine import evaluate

    report = evaluate(fx.root, fx.quarter)
    return f"{fx.quarter.code}: {len(report.branches)} branches"


def _quarterly_report(fx):
    """The report task as the worker runs it: the request (one row per organisation and quarter),
    then the run — the workbook built for the whole subtree and its file stored."""
    request = resolve_callable(("compliance.reports.report_request",))
    run = resolve_callable(("compliance.reports.report_run",))
    report = run(report_id=request(organization=fx.root, period=fx.quarter.code).pk)
    return f"{fx.quarter.code}: {report.branches} branches, {report.file.size:,} bytes"


def _reminder_run(fx):
    """Every reminder rule evaluated for today over the whole database, claimed and dispatched."""
    run = resolve_callable(("notifications.services.reminder_run",))
    return ", ".join(f"{k} {v}" for k, v in run().items())


JOBS = (
    Job("quarterly_report", "quarterly report, root committee", _quarterly_report, 60, 300),
    Job("dues_month", "a month of dues obligations, whole tree", _dues_month, 30),
    Job("reminder_run", "a full reminder run", _reminder_run, 60),
    Job("compliance_tree", "compliance engine, whole tree, one quarter", _compliance_tree, 5, runs=3),
)
JOB_BY_KEY = {job.key: job for job in JOBS}


def _status_kb(field):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def run_job(job, fx):
    """Run `job` `job.runs` times (each rolled back); seconds, peak RSS and what it did."""
    from django.db import connection, transaction

    times, summary = [], ""
    baseline = _status_kb("VmRSS")
    reset = _reset_peak()
    for _ in range(job.runs):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                started = time.perf_counter()
                summary = job.run(fx)
                times.append(time.perf_counter() - started)
                raise Rollback
        except Rollback:
            pass
    peak = _status_kb("VmHWM")
    return {
        "available": True,
        "seconds": round(statistics.median(times), 3),
        "seconds_all": [round(t, 3) for t in times],
        "peak_rss_mb": round(peak / 1024, 1) if peak and reset else None,
        "baseline_rss_mb": round(baseline / 1024, 1) if baseline else None,
        "summary": summary,
    }


def main(key, tier):
    """Entry point of the job's subprocess: prints one `BENCH_JOB {json}` line."""
    from .targets import fixtures

    job = JOB_BY_KEY[key]
    try:
        fx = fixtures(tier)
        result = run_job(job, fx)
    except NotAvailable as exc:
        result = {"available": False, "reason": str(exc)}
    sys.stdout.write("BENCH_JOB " + json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: nothing is left to flush
