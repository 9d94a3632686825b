"""docker-compose.yml validates offline with `docker-compose config` (no Docker engine needed).

Skips when `docker-compose` is not on PATH, also under CI (.ci/run installs it, so it runs there)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")
SERVICES = {"web", "worker", "beat", "db", "redis"}

pytestmark = pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed")


def compose_config(tmp_path, env_file=None, **env):
    """`docker-compose config` on the repo's file; an empty env file stands in for any local .env."""
    if env_file is None:
        env_file = tmp_path / "empty.env"
        env_file.write_text("")
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "COMPOSE_FILE"}}
    environ.update(env)
    return subprocess.run(
        [COMPOSE, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_validates_with_all_services(tmp_path):
    result = compose_config(
        tmp_path, SECRET_KEY="compose-config-test-key", FIELD_ENCRYPTION_KEYS="k", FIELD_HASH_KEY="h"
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) >= SERVICES

    services = config["services"]
    assert "gunicorn" in services["web"]["command"]
    assert "partyaffairs.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "partyaffairs", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "partyaffairs", "beat"]
    assert any("DatabaseScheduler" in part for part in services["beat"]["command"])
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert "healthcheck" in services["db"]
    assert "healthcheck" in services["redis"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["SECRET_KEY"] == "compose-config-test-key"
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_refuses_to_start_without_a_secret_key(tmp_path):
    result = compose_config(tmp_path, FIELD_ENCRYPTION_KEYS="k", FIELD_HASH_KEY="h")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_env_example_is_a_working_env_file(tmp_path):
    result = compose_config(tmp_path, env_file=ROOT / ".env.example")
    assert result.returncode == 0, result.stderr
    env = yaml.safe_load(result.stdout)["services"]["web"]["environment"]
    assert env["SECRET_KEY"]
    assert env["ALLOWED_HOSTS"]
