"""Settings come from the environment only: defaults that run with nothing set, loud failures on a
bad value, and a production configuration that passes `check --deploy`.

Each case starts a fresh interpreter with a crafted environment, since settings are read once at
import.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# The interpreter running the tests: the project's .venv/bin/python under `make test`.
PYTHON = sys.executable
SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','partyaffairs.settings'); django.setup()"
PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def run(args, **env):
    """Run `python *args` in the project with only `env` set (plus PATH and friends)."""
    base = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
    return subprocess.run(
        [PYTHON, *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(**env):
    return run(["-c", SETUP], **env)


def production_env(**extra):
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.org",
        "FIELD_ENCRYPTION_KEYS": "x3u0Yc1mG3pK8C9o0WfG2y3hQyT2mC8Jr9yV4lUj8jE=",
        "FIELD_HASH_KEY": secrets.token_hex(32),
        **extra,
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not-a-url"),
        ("DATABASE_URL", "nosuchdb://host/name"),
        ("DATABASE_URL", "postgres://user@db.internal:port/partyaffairs"),
        ("DATABASE_URL", "postgres://"),
        ("EMAIL_PORT", "abc"),
        ("DEBUG", "maybe"),
        ("CONN_MAX_AGE", "forever"),
        ("SESSION_IDLE_SECONDS", "half an hour"),
        ("REDIS_URL", "localhost:6379"),
        ("LOG_LEVEL", "LOUD"),
        ("AXES_FAILURE_LIMIT", "five"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
    ],
)
def test_a_malformed_variable_stops_start_up_naming_it(variable, value):
    result = start(**{variable: value})

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert f"Environment variable {variable} " in last_line


def test_a_database_url_error_does_not_echo_the_password():
    result = start(DATABASE_URL="nosuchdb://admin:s3cret-pw@db.internal/partyaffairs")
    assert "DATABASE_URL" in result.stderr
    assert "s3cret-pw" not in result.stderr


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = start(DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured: Environment variable SECRET_KEY must be set" in result.stderr


def test_a_production_configuration_passes_the_deployment_checks():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_checks_do_fail_on_an_insecure_configuration():
    # The check above is meaningful: with HSTS switched off, --deploy reports it.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_env(SECURE_HSTS_SECONDS="0"),
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


DUMP = (
    SETUP
    + """
import json
from django.conf import settings
from partyaffairs.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "TIME_ZONE": settings.TIME_ZONE,
    "USE_TZ": settings.USE_TZ,
    "USE_I18N": settings.USE_I18N,
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_prefix": settings.CACHES["default"].get("KEY_PREFIX", ""),
    "broker_prefix": app.conf.broker_transport_options.get("global_keyprefix"),
}))
"""
)


def dump(**env):
    result = run(["-c", DUMP], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_nothing_set_the_app_runs_embedded_in_chinese_on_shanghai_time():
    values = dump()

    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert values["TIME_ZONE"] == "Asia/Shanghai"
    assert values["USE_TZ"] is True
    assert values["USE_I18N"] is True
    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(BASE_DIR / "db.sqlite3")
    # No Redis: tasks run inline, the cache is in-process.
    assert values["eager"] is True
    assert values["app_eager"] is True
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_and_redis_urls_switch_to_the_real_services():
    values = dump(
        DATABASE_URL="postgres://party:pw@db.internal:5432/partyaffairs",
        REDIS_URL="redis://cache.internal:6379/1",
    )

    assert (values["ENGINE"], values["NAME"], values["HOST"]) == (
        "django.db.backends.postgresql",
        "partyaffairs",
        "db.internal",
    )
    assert values["eager"] is False
    assert values["app_eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/1"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_a_redis_key_prefix_applies_to_the_cache_and_the_celery_queues():
    plain = dump(REDIS_URL="redis://cache.internal:6379/1")
    assert (plain["cache_prefix"], plain["broker_prefix"]) == ("", None)
    shared = dump(REDIS_URL="redis://cache.internal:6379/1", REDIS_KEY_PREFIX="pa-staging:")
    assert (shared["cache_prefix"], shared["broker_prefix"]) == ("pa-staging:", "pa-staging:")


def test_under_ci_the_suite_runs_on_postgresql(on_postgres):
    # Outside CI this skips on SQLite; with CI=true `on_postgres` fails instead of skipping.
    assert on_postgres.vendor == "postgresql"
    assert on_postgres.settings_dict["NAME"].startswith("test_")
    with on_postgres.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 130000


def test_debug_off_without_field_keys_refuses_to_start():
    env = production_env()
    del env["FIELD_ENCRYPTION_KEYS"]
    result = start(**env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr.strip().splitlines()[-1]
