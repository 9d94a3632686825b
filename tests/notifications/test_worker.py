"""Against a real worker, Redis and PostgreSQL (CI=true): the beat schedule's tasks run on a
worker; two concurrent reminder runs (two processes, as with two beat processes) deliver each
reminder once; a worker SIGKILLed mid-report leaves exactly one complete report after redelivery."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count

from compliance.models import QuarterlyReport, ReportStatus
from meetings.models import Meeting, MeetingStatus
from notifications.models import Channel, Delivery, ReminderKind
from tests.conftest import clear_redis
from tests.exports.test_exports import _database_url

pytestmark = pytest.mark.redis


def start_worker(tmp_path, redis_url, name, **env):
    log = tmp_path / f"{name}.log"
    celery = Path(sys.executable).with_name("celery")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partyaffairs.settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        **env,
    }
    with log.open("wb") as sink:
        worker = subprocess.Popen(
            [
                str(celery),
                "-A",
                "tests.notifications.slow_worker",
                "worker",
                "-P",
                "solo",
                "-c",
                "1",
                "-n",
                f"{name}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "warning",
            ],
            cwd=django_settings.BASE_DIR,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    worker.log = log
    return worker


def stop(worker):
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def send(name):
    """Send a task as beat does, over an explicit Redis connection (the app's pool is cached)."""
    from kombu import Connection

    from partyaffairs.celery import app

    with Connection(os.environ["REDIS_URL"], transport_options=app.conf.broker_transport_options) as conn:
        return app.send_task(name, connection=conn)


def _fresh_pool(app):
    """The producer's connection pool follows the broker URL just set (it is cached on the app)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def workers(redis_url, on_postgres, transactional_db, tmp_path, settings):
    """`workers.start(name, **env)`: real worker processes; all stopped before the flush."""
    from partyaffairs.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    clear_redis(redis_url)  # no message left over from an earlier run
    started = []
    previous = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    _fresh_pool(app)

    class Workers:
        def start(self, name, **env):
            worker = start_worker(tmp_path, redis_url, name, **env)
            started.append(worker)
            return worker

    try:
        yield Workers()
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous
        for worker in started:
            stop(worker)
        _fresh_pool(app)


def wait_for(predicate, timeout=45, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    log = worker.log.read_text(errors="replace") if worker is not None else ""
    raise AssertionError(f"timed out; worker log:\n{log}")


def test_every_scheduled_task_runs_on_a_real_worker(cast, workers):
    """What beat sends (the names in CELERY_BEAT_SCHEDULE) is registered and runs on a worker."""

    worker = workers.start("w1")
    Meeting.objects.create(
        organization=cast.a,
        kind="committee_meeting",
        topic="支委会",
        status=MeetingStatus.HELD,
        held_on=datetime.date.today() - datetime.timedelta(days=10),
    )
    results = [send(e["task"]) for e in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert len(results) == len(django_settings.CELERY_BEAT_SCHEDULE)
    wait_for(
        lambda: Delivery.objects.filter(
            kind=ReminderKind.MINUTES_UNSIGNED, recipient=cast.secretary_a
        ).exists(),
        worker=worker,
    )
    wait_for(
        lambda: QuarterlyReport.objects.filter(organization=cast.c1, status=ReportStatus.DONE).exists(),
        worker=worker,
    )
    assert "NotRegistered" not in worker.log.read_text(errors="replace")


def test_two_concurrent_runs_deliver_each_reminder_once(cast, workers):
    for i in range(30):
        Meeting.objects.create(
            organization=cast.a if i % 2 else cast.b,
            kind="committee_meeting",
            topic=f"支委会{i}",
            status=MeetingStatus.HELD,
            held_on=datetime.date.today() - datetime.timedelta(days=5 + i),
        )
    first, second = workers.start("beat1"), workers.start("beat2")
    time.sleep(1.5)  # both consuming
    for _ in range(2):
        send("notifications.tasks.run_reminders")
    expected = 30 * 2  # each unsigned meeting: its branch's secretary, in-app and e-mail
    wait_for(
        lambda: Delivery.objects.filter(kind=ReminderKind.MINUTES_UNSIGNED).count() >= expected, worker=first
    )
    time.sleep(2)  # let the slower run finish too
    dupes = (
        Delivery.objects.values("kind", "subject", "period", "recipient", "channel")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not dupes.exists()
    assert Delivery.objects.filter(kind=ReminderKind.MINUTES_UNSIGNED, channel=Channel.IN_APP).count() == 30
    for worker in (first, second):
        assert "Traceback" not in worker.log.read_text(errors="replace")


def test_threads_racing_on_postgresql_claim_each_reminder_once(cast, on_postgres, transactional_db):
    from notifications.services import reminder_run

    for i in range(20):
        Meeting.objects.create(
            organization=cast.a,
            kind="committee_meeting",
            topic=f"支委会{i}",
            status=MeetingStatus.HELD,
            held_on=datetime.date.today() - datetime.timedelta(days=5 + i),
        )
    barrier, errors, results = threading.Barrier(2), [], []

    def run():
        from django.db import connection as conn

        try:
            barrier.wait()
            results.append(reminder_run())
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["claimed"] for r in results) == Delivery.objects.count() == 40
    assert Delivery.objects.filter(channel=Channel.IN_APP).count() == 20


def test_a_worker_killed_mid_report_leaves_one_complete_report(cast, workers, tmp_path):
    from compliance.reports import report_request

    killed = workers.start("doomed", SLOW_REPORT_SECONDS="30", CELERY_VISIBILITY_TIMEOUT="2")
    time.sleep(1.0)
    report = report_request(organization=cast.c1, period="2026-Q2", user=cast.committee)
    wait_for(
        lambda: QuarterlyReport.objects.filter(
            pk=report.pk, status=ReportStatus.RUNNING, progress__gt=0
        ).exists(),
        worker=killed,
    )
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING and not report.file
    time.sleep(2.5)  # past the visibility timeout: Redis hands the unacknowledged task out again
    rescuer = workers.start("rescuer", CELERY_VISIBILITY_TIMEOUT="2", COMPLIANCE_REPORT_LEASE_SECONDS="1")
    wait_for(
        lambda: QuarterlyReport.objects.filter(pk=report.pk, status=ReportStatus.DONE).exists(),
        worker=rescuer,
    )
    time.sleep(1.5)  # a duplicate delivery, if any, would have run by now
    assert QuarterlyReport.objects.count() == 1
    report.refresh_from_db()
    assert report.runs == 1 and report.branches == 2
    files = list((tmp_path / "media").rglob("*.xlsx"))
    assert len(files) == 1
    from openpyxl import load_workbook

    assert load_workbook(files[0], read_only=True).sheetnames[0] == "汇总"
