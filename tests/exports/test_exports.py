"""Exports: a job per request, rows scoped to the requester, the file built by a task (inline here,
by a real Celery worker in the `redis` test)."""

import datetime
import io
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from exports.models import ExportJob, ExportStatus
from exports.services import export_request, export_run


def sheet_names(content):
    """The 组织名称 column of an export, header row dropped."""
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "组织名称"
    return [row[0] for row in rows[1:]]


def download(client, job):
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)


@pytest.fixture
def request_export(client_for, django_capture_on_commit_callbacks, media_root):
    """POST the export form as `user`; the job's task runs inline once the request commits."""

    def post(user, code="organizations", **params):
        client = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/exports/new/{code}/", params)
        if response.status_code != 302:
            return response, None
        job = ExportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))
        assert response.url == f"/exports/{job.pk}/"
        return response, job

    return post


def test_committee_staff_export_exactly_the_orgs_they_can_see(cast, client_for, request_export):
    _, job = request_export(cast.committee)

    assert (job.status, job.progress, job.rows, job.user) == (ExportStatus.DONE, 100, 4, cast.committee)
    assert job.finished_at is not None
    assert job.file.name.endswith(".xlsx")
    names = sheet_names(download(client_for(cast.committee), job))
    # Tree order: the committee, then each branch followed by its party groups.
    assert names == ["第一机关党委", "甲党支部", "甲第一党小组", "乙党支部"]
    assert not {"江城市委", "第二机关党委", "丁党支部"} & set(names)


def test_the_export_page_shows_the_finished_job_and_the_request_is_audited(cast, client_for, request_export):
    _, job = request_export(cast.committee)

    page = client_for(cast.committee).get(f"/exports/{job.pk}/").content.decode()
    assert f"/exports/{job.pk}/download/" in page
    entry = AuditEntry.objects.for_object(job).get()
    assert (entry.action, entry.actor, entry.data["exporter"]) == (
        "exports.export.requested",
        cast.committee,
        "organizations",
    )


def test_a_secretary_exports_their_branch_only(cast, client_for, request_export):
    _, job = request_export(cast.secretary_a)
    assert sheet_names(download(client_for(cast.secretary_a), job)) == ["甲党支部", "甲第一党小组"]


def test_within_limits_the_export_to_a_subtree(cast, client_for, request_export):
    _, job = request_export(cast.committee, within=cast.a.pk)
    assert sheet_names(download(client_for(cast.committee), job)) == ["甲党支部", "甲第一党小组"]


def test_within_a_foreign_org_exports_nothing_of_it(cast, client_for, request_export):
    _, job = request_export(cast.committee, within=cast.d.pk)
    assert job.status == ExportStatus.DONE
    assert sheet_names(download(client_for(cast.committee), job)) == []


def test_another_users_job_is_not_found(cast, client_for, request_export, api_for):
    _, job = request_export(cast.committee)

    for user in (cast.other_committee, cast.secretary_a, cast.admin):
        client = client_for(user)
        assert client.get(f"/exports/{job.pk}/").status_code == 404
        assert client.get(f"/exports/{job.pk}/download/").status_code == 404
        assert api_for(user).get(f"/api/v1/exports/{job.pk}/").status_code == 404
    assert str(job.pk) not in str(api_for(cast.other_committee).get("/api/v1/exports/").json())
    assert api_for(cast.committee).get(f"/api/v1/exports/{job.pk}/").json()["status"] == "done"


def test_an_unknown_exporter_is_not_found_and_creates_no_job(cast, request_export):
    response, job = request_export(cast.committee, code="nope")
    assert response.status_code == 404
    assert job is None
    assert not ExportJob.objects.exists()


def test_requesting_an_export_needs_a_login_and_a_post(cast, client, client_for):
    response = client.post("/exports/new/organizations/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert client_for(cast.committee).get("/exports/new/organizations/").status_code == 405
    assert not ExportJob.objects.exists()


def test_running_a_finished_job_again_does_nothing(cast, request_export, media_root):
    _, job = request_export(cast.committee)
    before = ExportJob.objects.values("status", "file", "rows", "progress", "finished_at").get(pk=job.pk)
    files = sorted(p.name for p in Path(media_root).rglob("*.xlsx"))

    assert export_run(job_id=job.pk) is None

    assert (
        ExportJob.objects.values("status", "file", "rows", "progress", "finished_at").get(pk=job.pk) == before
    )
    assert sorted(p.name for p in Path(media_root).rglob("*.xlsx")) == files


def test_a_failed_job_is_not_claimed_again(cast, media_root):
    job = ExportJob.objects.create(user=cast.committee, exporter="organizations", status=ExportStatus.FAILED)
    assert export_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.file.name) == (ExportStatus.FAILED, "")


def test_a_job_left_running_by_a_killed_worker_is_built_on_redelivery(cast, media_root):
    claimed_at = timezone.now()
    job = ExportJob.objects.create(
        user=cast.committee,
        exporter="organizations",
        status=ExportStatus.RUNNING,
        progress=40,
        started_at=claimed_at,
    )
    # While the first worker may still be at it, a second delivery must not build the file too.
    assert export_run(job_id=job.pk) is None
    # Once the claim is stale (the worker died), redelivery builds it.
    with time_machine.travel(claimed_at + datetime.timedelta(minutes=16)):
        assert export_run(job_id=job.pk).status == ExportStatus.DONE
    job.refresh_from_db()
    assert (job.rows, job.progress) == (4, 100)
    with job.file.open("rb") as f:
        assert sheet_names(f.read())[0] == "第一机关党委"


# --- A real Celery worker against Redis and the PostgreSQL test database ------------------------


def _database_url(settings_dict):
    user = urllib.parse.quote(settings_dict["USER"] or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def celery_worker_process(redis_url, on_postgres, transactional_db, tmp_path, settings):
    """A real worker (its own process) consuming from Redis and writing to the test database.

    The test database must be committed to for the worker to see it, hence `transactional_db`; the
    worker is stopped before pytest-django flushes the tables.
    """
    from django.db import connection

    from partyaffairs.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partyaffairs.settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = tmp_path / "worker.log"
    celery = Path(sys.executable).with_name("celery")
    with log.open("wb") as sink:
        worker = subprocess.Popen(
            [
                str(celery),
                "-A",
                "partyaffairs",
                "worker",
                "-P",
                "solo",
                "-c",
                "1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    previous = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False  # the autouse `_tasks_inline` fixture forced it on
    app.conf.broker_url = redis_url
    worker.log = log
    try:
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.redis
def test_a_real_worker_builds_the_export(cast, celery_worker_process):
    job = export_request(user=cast.committee, exporter="organizations", params={})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and celery_worker_process.poll() is None:
        job.refresh_from_db()
        if job.finished:
            break
        time.sleep(0.25)
    log = celery_worker_process.log.read_text(errors="replace")
    assert job.status == ExportStatus.DONE, f"job {job.status} after 60 s; worker log:\n{log}"
    assert job.rows == 4
    with job.file.open("rb") as f:  # written by the worker under the shared MEDIA_ROOT
        assert sheet_names(f.read()) == ["第一机关党委", "甲党支部", "甲第一党小组", "乙党支部"]
