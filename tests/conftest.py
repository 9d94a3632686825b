"""Shared fixtures: the standing cast and the real-service switches.

The cast (healthchecks-style): under a city 党委 `root` sit committee `c1` (over branches `a` and
`b`, siblings) and an unrelated committee `c2` (over branch `d`).
- `admin`          system admin
- `committee`      staff of c1 (sees a and b)
- `other_committee` staff of c2 (a and b are 404 for them)
- `secretary_a`    secretary of branch a
- `secretary_b`    secretary of sibling branch b
- `member_a`       plain member of branch a
- `outsider`       a login with no role at all

Real services: without CI=true a test whose service is absent skips with a one-line reason; with
CI=true the absence is a failure.

Parallel runs (pytest-xdist; `make test` uses `-n auto --dist loadfile`): each worker has its own
PostgreSQL test database (pytest-django suffixes the name), its own Redis key prefix (cache and
Celery queues, so the real-worker tests of two workers never take each other's tasks), its own
MEDIA_ROOT and tmp_path, and live servers on ephemeral ports. A file's tests stay on one worker
(its module-scoped Chromium); the tier S files (tests/*/test_scale*.py) are one unit, run first.

Every test starts from the migrated database (the data migrations' default rules included), in
any order: tests in a transaction roll back, and after a transactional test's flush the database
is put back as migrations left it (pytest-django alone would leave it empty for the tests after).
"""

import datetime
import io
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

CI = os.environ.get("CI", "").lower() == "true"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def pytest_configure(config):
    """Per-process resources, before any test touches them (settings are loaded by now)."""
    from django.conf import settings

    from partyaffairs.celery import app

    media = Path(tempfile.mkdtemp(prefix=f"pa-media-{WORKER or 'main'}-"))
    config._pa_media = media
    settings.MEDIA_ROOT = media
    if WORKER:
        prefix = f"{settings.REDIS_KEY_PREFIX}test-{WORKER}:"
        os.environ["REDIS_KEY_PREFIX"] = prefix  # for worker subprocesses (their settings read it)
        settings.REDIS_KEY_PREFIX = prefix
        if "KEY_PREFIX" in settings.CACHES["default"]:
            settings.CACHES["default"]["KEY_PREFIX"] = prefix
        options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
        app.conf.broker_transport_options = options


def pytest_unconfigure(config):
    media = getattr(config, "_pa_media", None)
    if media is not None:
        shutil.rmtree(media, ignore_errors=True)


def uses_tier_s(item):
    return "scale_tier_s" in getattr(item, "fixturenames", ())


def is_tier_s_file(nodeid):
    return Path(nodeid.split("::", 1)[0]).name.startswith("test_scale")


def is_transactional(item):
    """As pytest-django decides: the test commits, and its teardown flushes every table."""
    from pytest_django.fixtures import validate_django_db

    marker = item.get_closest_marker("django_db")
    transaction, reset_sequences, *_rest = validate_django_db(marker) if marker else (False, False)
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(transaction or reset_sequences or {"transactional_db", "live_server"} & fixtures)


@pytest.hookimpl(tryfirst=True)  # pytest-django's (stable) sort by kind of database use follows
def pytest_collection_modifyitems(config, items):
    """The tier S tests first and together: one generation for all of them."""
    items[:] = [i for i in items if uses_tier_s(i)] + [i for i in items if not uses_tier_s(i)]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, with the tier S files as one unit (so one worker generates the data once),
    handed out in collection order: the tier S unit, the longest, first (not sorted by size)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False

    class TierSTogether(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return "tier S files" if is_tier_s_file(nodeid) else super()._split_scope(nodeid)

    return TierSTogether(config, log)


def clear_redis(url):
    """Empty this process's part of Redis: its key prefix under xdist, else the whole database."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(url)
    prefix = settings.REDIS_KEY_PREFIX
    if not prefix:
        client.flushdb()
        return
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)


# --- The test database's states -----------------------------------------------------------------


class SharedDatabase:
    """This process's test database: its rows as migrations left them (`baseline`, put back after
    every flush) and, while the tier S tests run, the tier S data.

    `generate_scale_data --tier S` is committed once and shared by the consecutive tests that ask
    for it: each runs in its own transaction on top of the rows and rolls back (a --replace too).
    Before the next test that does not ask for them, the baseline is put back."""

    current = None  # the session's instance, for the runtest hooks below

    def __init__(self, blocker):
        from tests.snapshot import Snapshot

        self.blocker = blocker
        with blocker.unblock():
            self.baseline = Snapshot.take()
        self.tier_s = None  # the generation's output while the rows are there

    def reset(self, *, truncate=False):
        with self.blocker.unblock():
            self.baseline.restore(truncate=truncate)

    def load_tier_s(self):
        from django.core.management import call_command
        from django.db import connection

        if self.tier_s is None:
            if connection.in_atomic_block:
                raise RuntimeError("request scale_tier_s (or a tier_s fixture) before db")
            out = io.StringIO()
            with self.blocker.unblock():
                call_command("generate_scale_data", "--tier", "S", stdout=out)
            self.tier_s = out.getvalue()
        return self.tier_s

    def unload_tier_s(self):
        if self.tier_s is not None:
            self.reset(truncate=True)
            self.tier_s = None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and its baseline taken right after the migrations."""
    SharedDatabase.current = SharedDatabase(django_db_blocker)
    yield
    SharedDatabase.current.unload_tier_s()
    SharedDatabase.current = None


@pytest.fixture
def scale_tier_s(request, django_db_setup):
    """The tier S scale data, committed (generated at the first test asking for it); the output of
    the generation. Ask for it before `db`: the rows cannot be committed from inside a test's
    transaction. Not for transactional tests (their flush would take the rows away)."""
    if is_transactional(request.node):
        raise RuntimeError("scale_tier_s is shared read-only data: not for transactional tests")
    return SharedDatabase.current.load_tier_s()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of a test that does not use the tier S rows: take them away."""
    if SharedDatabase.current is not None and not uses_tier_s(item):
        SharedDatabase.current.unload_tier_s()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush: the migrated rows back for the tests after it."""
    result = yield
    if nextitem is not None and SharedDatabase.current is not None and is_transactional(item):
        SharedDatabase.current.reset()
    return result


def require(available, reason):
    if available:
        return
    if CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _tasks_inline(settings):
    """Tasks run inline unless a test asks for the real worker (`celery_worker_process`)."""
    from partyaffairs.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast has seven logins; real PBKDF2 would spend seconds per test hashing them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def chromium_paths():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    require(
        os.path.exists(chromium) and os.path.exists(driver),
        "Chromium/chromedriver not installed (apt-get install chromium chromium-driver)",
    )
    return chromium, driver


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    require(bool(url), "REDIS_URL is not set (no Redis to test against)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require(False, f"Redis at {url} is not answering ({exc})")
    return url


@pytest.fixture
def on_postgres(db):
    from django.db import connection

    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    return connection


def make_member(branch, name, *, user=None, group=None, status="full"):
    from members.models import Member

    return Member.objects.create(
        name=name, gender="male", branch=branch, party_group=group, status=status, user=user
    )


@pytest.fixture
def cast(db):
    from django.contrib.auth import get_user_model

    from branches.models import CommitteePost, Grant, Organization, PostRole

    User = get_user_model()
    root = Organization.objects.add_root({"name": "江城市委", "kind": "committee", "field": "organ"})
    c1 = Organization.objects.add_child(root, {"name": "第一机关党委", "kind": "committee", "field": "organ"})
    c2 = Organization.objects.add_child(root, {"name": "第二机关党委", "kind": "committee", "field": "organ"})
    a = Organization.objects.add_child(c1, {"name": "甲党支部", "kind": "branch", "field": "organ"})
    b = Organization.objects.add_child(c1, {"name": "乙党支部", "kind": "branch", "field": "organ"})
    d = Organization.objects.add_child(c2, {"name": "丁党支部", "kind": "branch", "field": "organ"})
    a_group = Organization.objects.add_child(
        a, {"name": "甲第一党小组", "kind": "party_group", "field": "organ"}
    )

    def user(username, **extra):
        return User.objects.create_user(
            username=username, password="correct horse battery", name=username, **extra
        )

    admin = user("admin", is_superuser=True, is_staff=True)
    committee = user("committee")
    other_committee = user("other_committee")
    secretary_a = user("secretary_a")
    secretary_b = user("secretary_b")
    member_a = user("member_a")
    outsider = user("outsider")
    Grant.objects.create(user=committee, organization=c1)
    Grant.objects.create(user=other_committee, organization=c2)
    start = datetime.date(2024, 1, 1)
    sec_a = make_member(a, "甲书记", user=secretary_a, group=a_group)
    sec_b = make_member(b, "乙书记", user=secretary_b)
    mem_a = make_member(a, "甲党员", user=member_a, group=a_group)
    make_member(d, "丁党员")
    CommitteePost.objects.create(organization=a, role=PostRole.SECRETARY, member=sec_a, started_on=start)
    CommitteePost.objects.create(organization=b, role=PostRole.SECRETARY, member=sec_b, started_on=start)
    orgs = {o.pk: o for o in Organization.objects.all()}
    return SimpleNamespace(
        root=orgs[root.pk],
        c1=orgs[c1.pk],
        c2=orgs[c2.pk],
        a=orgs[a.pk],
        b=orgs[b.pk],
        d=orgs[d.pk],
        a_group=orgs[a_group.pk],
        admin=admin,
        committee=committee,
        other_committee=other_committee,
        secretary_a=secretary_a,
        secretary_b=secretary_b,
        member_a=member_a,
        outsider=outsider,
        sec_a=sec_a,
        sec_b=sec_b,
        mem_a=mem_a,
    )


@pytest.fixture
def client_for(client):
    """`client_for(user)` → a test client logged in as `user` (force_login: axes wants a request)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    from rest_framework.test import APIClient

    def login(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return login
