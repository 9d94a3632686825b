"""Where the bench's databases are and the environment every bench process runs with.

Set before Django starts (the tier's process, gunicorn, each job's subprocess):
- `BENCH_PG` (default postgres://postgres@127.0.0.1:5432) and `BENCH_DB` (default
  partyaffairs_bench): tier S lives in `<BENCH_DB>_s`, tier M in `<BENCH_DB>_m`;
- `BENCH_REDIS_URL` (optional): the cache, as in production (empty: local-memory cache);
- DEBUG off, ALLOWED_HOSTS loopback + testserver (the in-process query counts), a fresh random
  SECRET_KEY per run, and the bench databases' FIELD_ENCRYPTION_KEYS / FIELD_HASH_KEY.

The field keys encrypt synthetic data only; they are fixed so a database generated in one run can be
read in the next. They are the keys a DEBUG process derives from the development SECRET_KEY, so a
database filled by a plain `manage.py generate_scale_data` (DEBUG on, no keys set) is readable too."""

import base64
import hashlib
import os
import secrets

TIERS = ("S", "M")
DEV_SECRET_KEY = "dev-only-insecure-key-partyaffairs-do-not-use-in-production-0123456789"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))  # seconds of load per page
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))  # seconds of load before each measurement
# The paired S/M runs (run.paired): rounds per page, seconds of load per tier and round.
PAIRED_ROUNDS = int(os.environ.get("BENCH_PAIRED_ROUNDS", "3"))
PAIRED_DURATION = int(os.environ.get("BENCH_PAIRED_DURATION", "4"))


def pg_base():
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def db_name(tier):
    return f"{os.environ.get('BENCH_DB', 'partyaffairs_bench')}_{tier.lower()}"


def database_url(tier):
    return f"{pg_base()}/{db_name(tier)}"


def field_keys():
    key = base64.urlsafe_b64encode(hashlib.sha256(f"fields:{DEV_SECRET_KEY}".encode()).digest()).decode()
    return key, hashlib.sha256(f"hash:{DEV_SECRET_KEY}".encode()).hexdigest()


def environment(tier, *, secret_key=None, base=None):
    """The environment of a bench process for `tier` (a copy of `base`, os.environ by default)."""
    env = dict(os.environ if base is None else base)
    encryption, hashing = field_keys()
    env.update(
        DATABASE_URL=database_url(tier),
        DEBUG="false",
        SECRET_KEY=secret_key or env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=encryption,
        FIELD_HASH_KEY=hashing,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="partyaffairs.settings",
        BENCH_TIER=tier,
    )
    env["BENCH_SECRET_KEY"] = env["SECRET_KEY"]
    redis = env.get("BENCH_REDIS_URL", "")
    if redis:
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    return env
