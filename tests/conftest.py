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
"""

import datetime
import os
import shutil
from types import SimpleNamespace

import pytest

CI = os.environ.get("CI", "").lower() == "true"


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
