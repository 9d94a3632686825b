"""One tier end to end, in a process whose Django settings point at the tier's database:
ensure the data, post-load steps, fixtures, query counts, gunicorn + wrk, the jobs, the JSON."""

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from . import config, load, results
from .collect import clients, collect
from .targets import PAGES, describe, fixtures

ROOT = Path(__file__).resolve().parents[2]
# Management commands an app may provide to rebuild derived data after a bulk load (rollups …);
# each one that exists runs after the data is generated or reused.
# Each runs once per generated data set (the marker table remembers it), so data generated before an
# app existed gets its derived tables when the bench first meets the app.
# The dashboards' rollups are rebuilt for the last 13 months (the twelve-month trend and the current
# period, as dashboards/scale.py builds them with fresh data): for data generated before that app.
POST_LOAD_COMMANDS = ("dues_rebuild_summary", "rebuild_dashboards")


def _command_args(name):
    if name == "rebuild_dashboards":
        import datetime

        from django.utils import timezone

        since = (timezone.localdate().replace(day=1) - datetime.timedelta(days=31 * 12)).replace(day=1)
        return ["--since", f"{since:%Y-%m}"]
    return []


PHASE = re.compile(r"^(?P<phase>[\w.]+): (?P<summary>.*) in (?P<seconds>[\d.]+)s$")
TOTAL = re.compile(r"^tier \w generated in (?P<seconds>[\d.]+)s$")
MARKER_DDL = """CREATE TABLE IF NOT EXISTS bench_generation (
    tier text PRIMARY KEY, seed integer, generated_at text, total_s double precision, phases text,
    post_load text NOT NULL DEFAULT '[]');
ALTER TABLE bench_generation ADD COLUMN IF NOT EXISTS post_load text NOT NULL DEFAULT '[]'"""


def say(*parts):
    print("[bench]", *parts, flush=True)


def ensure_database(tier):
    """CREATE DATABASE for the tier when it does not exist (connecting to `postgres`)."""
    import psycopg2

    name = config.db_name(tier)
    connection = psycopg2.connect(config.pg_base() + "/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                say(f"creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def parse_generation(output):
    """Phases and total time from generate_scale_data's output."""
    phases, total = [], None
    for line in output.splitlines():
        line = line.strip()
        if found := PHASE.match(line):
            phases.append(
                {"phase": found["phase"], "summary": found["summary"], "seconds": float(found["seconds"])}
            )
        elif found := TOTAL.match(line):
            total = float(found["seconds"])
    return {"phases": phases, "total_s": total}


def record_generation(tier, seed, output, when=None):
    from django.db import connection

    parsed = parse_generation(output)
    with connection.cursor() as cursor:
        cursor.execute(MARKER_DDL)
        cursor.execute(
            "INSERT INTO bench_generation (tier, seed, generated_at, total_s, phases) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (tier) DO UPDATE SET seed = EXCLUDED.seed, generated_at = EXCLUDED.generated_at, "
            "total_s = EXCLUDED.total_s, phases = EXCLUDED.phases, post_load = '[]'",
            [
                tier,
                seed,
                when or results.now(),
                parsed["total_s"],
                json.dumps(parsed["phases"], ensure_ascii=False),
            ],
        )
    return parsed


def generation_record(tier):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(MARKER_DDL)
        cursor.execute(
            "SELECT seed, generated_at, total_s, phases FROM bench_generation WHERE tier = %s", [tier]
        )
        row = cursor.fetchone()
    if row is None:
        return {"when": "before the bench recorded it (time unknown)"}
    return {"seed": row[0], "when": row[1], "total_s": row[2], "phases": json.loads(row[3] or "[]")}


def ensure_data(tier, seed):
    """Generate the tier's data when absent (timed phase by phase); reuse it otherwise."""
    from django.core.management import call_command

    from branches.models import Organization

    call_command("migrate", interactive=False, verbosity=0)
    if Organization.objects.filter(code=f"SCALE-{tier}", depth=1).exists():
        say(f"tier {tier}: reusing the data in {config.db_name(tier)}")
        return
    say(f"tier {tier}: generating (seed {seed}) into {config.db_name(tier)} …")
    command = [sys.executable, "manage.py", "generate_scale_data", "--tier", tier, "--seed", str(seed)]
    lines = []
    with subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            print("   ", line.rstrip(), flush=True)
            lines.append(line)
    if process.returncode:
        raise SystemExit(f"generate_scale_data failed with {process.returncode}")
    record_generation(tier, seed, "".join(lines))
    # The generator built the derived tables itself (dues.scale, dashboards.scale): the post-load
    # commands are for data generated before those apps, not for this.
    _post_load_record(tier, generated_post_load())


def generated_post_load():
    """The post-load records of freshly generated data: every command counts as done."""
    return [
        {
            "step": f"manage.py {name}",
            "seconds": 0,
            "when": results.now(),
            "note": "built by generate_scale_data",
        }
        for name in POST_LOAD_COMMANDS
    ]


def _post_load_done(tier):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(MARKER_DDL)
        cursor.execute("SELECT post_load FROM bench_generation WHERE tier = %s", [tier])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else []


def _post_load_record(tier, done):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_generation (tier, post_load) VALUES (%s, %s) "
            "ON CONFLICT (tier) DO UPDATE SET post_load = EXCLUDED.post_load",
            [tier, json.dumps(done, ensure_ascii=False)],
        )


def post_load(tier):
    """`post_load(ctx)` of each app's scale.py (every run), then each of the POST_LOAD_COMMANDS that
    exists and has not yet run on this data; timed. Returns the steps run now and before."""
    from django.core.management import call_command, get_commands

    from branches.discovery import app_modules
    from branches.models import Organization

    now = []
    root = Organization.objects.get(code=f"SCALE-{tier}", depth=1)
    for module in app_modules("scale"):
        if hasattr(module, "post_load"):
            started = time.perf_counter()
            module.post_load({"tier": tier, "root": root, "stdout": sys.stdout})
            now.append(
                {"step": f"{module.__name__}.post_load", "seconds": round(time.perf_counter() - started, 2)}
            )
    before = _post_load_done(tier)
    done_names = {step["step"].split(" --")[0] for step in before}
    available = get_commands()
    for name in POST_LOAD_COMMANDS:
        step = f"manage.py {name}"
        if name in available and step not in done_names:
            say(f"post-load {step} …")
            started = time.perf_counter()
            args = _command_args(name)
            call_command(name, *args)
            step = " ".join([step, *args])
            record = {"step": step, "seconds": round(time.perf_counter() - started, 2), "when": results.now()}
            now.append(record)
            before.append(record)
            _post_load_record(tier, before)
    for step in now:
        say(f"post-load {step['step']}: {step['seconds']} s")
    return {"this_run": now, "recorded": before}


def data_counts(root):
    from django.db import connection

    from branches.models import BRANCH_KINDS, Organization
    from dues.models import DuesObligation, DuesPayment
    from meetings.models import Attendance, Meeting
    from members.models import Member
    from rectifications.models import Item

    subtree = {"path__startswith": root.path}
    out = {
        "organisations": Organization.objects.filter(**subtree).count(),
        "branches": Organization.objects.filter(**subtree, kind__in=BRANCH_KINDS).count(),
        "members": Member.objects.filter(branch__path__startswith=root.path).count(),
        "meetings": Meeting.objects.filter(organization__path__startswith=root.path).count(),
        "attendance rows": Attendance.objects.filter(
            meeting__organization__path__startswith=root.path
        ).count(),
        "dues obligations": DuesObligation.objects.filter(branch__path__startswith=root.path).count(),
        "payments": DuesPayment.objects.filter(branch__path__startswith=root.path).count(),
        "rectification items": Item.objects.filter(ledger__issuer__path__startswith=root.path).count(),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        out_size = cursor.fetchone()[0]
    return out, out_size


def vacuum():
    """VACUUM the database (PostgreSQL; outside a transaction): the jobs' writes are rolled back,
    and their dead rows (270,000 obligations a month's generation at tier M) would otherwise pile
    up run after run until autovacuum, each job and page slower than the one before. Returns the
    seconds it took."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
    return round(time.perf_counter() - started, 2)


def run_jobs(tier):
    from .jobs import JOBS

    out = {}
    for job in JOBS:
        # Every job starts from the same tables: without the dead rows of the ones before it.
        say(f"vacuum before job {job.key}: {vacuum()} s")
        say(f"job {job.key} …")
        done = subprocess.run(
            [sys.executable, "-m", "scripts.bench", "job", job.key, "--tier", tier],
            cwd=ROOT,
            # Files the jobs store go to a scratch directory; mail stays in memory (no SMTP server).
            env={
                **os.environ,
                "MEDIA_ROOT": str(ROOT / ".bench" / "media"),
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            },
            capture_output=True,
            text=True,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JOB ")), None)
        if line is None:
            out[job.key] = {
                "available": False,
                "reason": f"job failed ({done.returncode}): {done.stderr[-500:]}",
            }
        else:
            out[job.key] = json.loads(line[len("BENCH_JOB ") :])
        say(f"job {job.key}: {out[job.key]}")
    say(f"vacuum after the jobs: {vacuum()} s")  # the next run's pages and jobs start from the same state
    return out


def measure_pages(fx, counts, role_clients):
    """wrk against gunicorn for every page that answered 200 in-process; ratios to /healthz."""
    pages = {row.key: row.as_dict() for row in counts}
    if not load.wrk_available():
        for page in pages.values():
            page["reason"] = page.get("reason") or "wrk is not installed (apt-get install wrk)"
        return pages, ""
    logs = ROOT / ".bench"
    logs.mkdir(exist_ok=True)
    with load.gunicorn(os.environ.copy(), log=logs / f"gunicorn-{fx.tier}.log") as base:
        role_of = {page.key: page.role for page in PAGES}
        for key, page in pages.items():
            if not page["available"] or page["status"] != 200:
                continue
            cookie = role_clients[role_of[key]][1]
            status = load.probe(base, page["url"], cookie)
            if status != 200:
                page["reason"] = f"HTTP {status} from gunicorn"
                continue
            if config.WARMUP:
                load.wrk(base, page["url"], cookie, connections=config.CONNECTIONS, duration=config.WARMUP)
            page["load_average"] = os.getloadavg()[0]
            page["wrk"] = load.wrk(
                base, page["url"], cookie, connections=config.CONNECTIONS, duration=config.DURATION
            )
            say(f"{key}: {page['wrk']}")
    baseline = (pages.get("healthz") or {}).get("wrk")
    if baseline:
        for page in pages.values():
            if page.get("wrk"):
                page["p95_ratio"] = round(page["wrk"]["p95_ms"] / (baseline["p95_ms"] or 0.01), 2)
                page["rps_ratio"] = round(baseline["rps"] / (page["wrk"]["rps"] or 0.01), 2)
    return pages, f"{load.workers()} sync workers"


def _scratch(tier):
    return ROOT / ".bench" / f"pages-{tier}.json"


def remember_pages(tier, pages, role_clients):
    """What the paired runs need to load a tier's pages again from another process: each measured
    page's URL and its role's session cookie, and the tier's SECRET_KEY (the sessions are signed
    with it). A scratch file under .bench/ (git-ignored), never in the docs: the cookies are live
    sessions."""
    role_of = {page.key: page.role for page in PAGES}
    measured = {
        key: {"url": page["url"], "cookie": role_clients[role_of[key]][1]}
        for key, page in pages.items()
        if (page.get("wrk") or {}).get("requests")
    }
    path = _scratch(tier)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"secret_key": os.environ["SECRET_KEY"], "pages": measured}))


def paired(tiers=("S", "M"), *, rounds=None, duration=None):
    """M/S measured in pairs: both tiers' servers up at once, and for each page `rounds` rounds of
    a tier S load run next to a tier M one (the order swapped every round), so both see the machine
    as it is in the same half-minute. A shared virtual machine's speed drifts by a third within a
    few minutes (the CPU probe before and after a tier), which a ratio of two runs minutes apart
    takes for a property of the code. The ratio is the median of the rounds'. None without wrk or
    without both tiers' scratch files."""
    rounds = rounds or config.PAIRED_ROUNDS
    duration = duration or config.PAIRED_DURATION
    small, large = tiers
    if not load.wrk_available() or not all(_scratch(t).exists() for t in tiers):
        return None
    saved = {t: json.loads(_scratch(t).read_text()) for t in tiers}
    keys = [p.key for p in PAGES if all(p.key in saved[t]["pages"] for t in tiers)]
    logs = ROOT / ".bench"
    out, started, probe_before = {}, results.now(), results.cpu_probe()
    env = {t: config.environment(t, secret_key=saved[t]["secret_key"]) for t in tiers}
    with (
        load.gunicorn(env[small], log=logs / f"gunicorn-paired-{small}.log") as base_small,
        load.gunicorn(env[large], log=logs / f"gunicorn-paired-{large}.log") as base_large,
    ):
        bases = {small: base_small, large: base_large}
        for key in keys:
            pages = {t: saved[t]["pages"][key] for t in tiers}
            # A session may have expired since its tier ran (30 idle minutes): a redirect to the
            # login page must not be timed as the page.
            statuses = {t: load.probe(bases[t], pages[t]["url"], pages[t]["cookie"]) for t in tiers}
            if any(status != 200 for status in statuses.values()):
                out[key] = {"reason": f"HTTP {statuses} before the paired rounds", "ratio": None}
                say(f"paired {key}: {out[key]['reason']}")
                continue
            for t in tiers:  # warm both servers' workers for this page
                load.wrk(
                    bases[t], pages[t]["url"], pages[t]["cookie"], connections=config.CONNECTIONS, duration=1
                )
            p95 = {small: [], large: []}
            for r in range(rounds):
                for t in tiers if r % 2 == 0 else tuple(reversed(tiers)):
                    result = load.wrk(
                        bases[t],
                        pages[t]["url"],
                        pages[t]["cookie"],
                        connections=config.CONNECTIONS,
                        duration=duration,
                    )
                    complete = result.get("requests") and not result.get("errors")
                    p95[t].append(result["p95_ms"] if complete else None)
            ratios = [b / a for a, b in zip(p95[small], p95[large], strict=True) if a and b]
            out[key] = {
                f"{small}_p95_ms": p95[small],
                f"{large}_p95_ms": p95[large],
                "ratio": round(statistics.median(ratios), 2) if ratios else None,
            }
            say(f"paired {key}: {out[key]}")
    return {
        "measured_at": started,
        "tiers": list(tiers),
        "rounds": rounds,
        "duration_s": duration,
        "connections": config.CONNECTIONS,
        "cpu_probe_ms": {"before": probe_before, "after": results.cpu_probe()},
        "pages": out,
    }


def git_head():
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            # The bench's own output does not make the code it measured "changed".
            [
                "git",
                "status",
                "--porcelain",
                "-uno",
                "--",
                ".",
                ":!docs/benchmarks.json",
                ":!docs/benchmarks.md",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return sha.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except OSError:
        return None


def run_tier(tier, seed):
    """The tier's whole measurement; stores it in docs/benchmarks.json."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's responses and 'testserver'
    started = results.now()
    load_before = os.getloadavg()
    probe_before = results.cpu_probe()
    ensure_data(tier, seed)
    post = post_load(tier)
    fx = fixtures(tier)
    counts_data, size = data_counts(fx.root)
    from .fingerprint import fingerprint

    prints = fingerprint()
    say(f"tier {tier}: {counts_data} ({size})")
    role_clients = clients(fx.users)
    counts = collect(PAGES, fx, role_clients)
    for row in counts:
        say(
            f"{row.key}: {row.url} → {row.status}, {row.queries} queries"
            if row.available
            else f"{row.key}: {row.reason}"
        )
    pages, server = measure_pages(fx, counts, role_clients)
    remember_pages(tier, pages, role_clients)
    connection.close()
    jobs = run_jobs(tier)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = "PostgreSQL " + cursor.fetchone()[0]
    tier_result = {
        "measured_at": started,
        "git": git_head(),
        "postgresql": pg,
        "server": server,
        "connections": config.CONNECTIONS,
        "duration_s": config.DURATION,
        "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "cpu_probe_ms": {"before": probe_before, "after": results.cpu_probe()},
        "data": counts_data,
        "database_size": size,
        "fingerprint": prints["digest"],
        "fingerprint_tables": prints["tables"],
        "generation": generation_record(tier),
        "post_load": post,
        "fixtures": describe(fx),
        "pages": pages,
        "jobs": jobs,
    }
    results.store(tier_result, tier)
    say(f"tier {tier} stored in {results.JSON_PATH}")
