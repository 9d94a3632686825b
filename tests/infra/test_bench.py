"""The bench harness's pieces (scripts/bench), on the standing cast — not timed, so they do not rot:
fixtures picked from a tree coded like generated data, the in-process query-count collector, pages
and jobs an app does not provide reported as not available, wrk's output parsed (errors kept), the
generation log parsed, the JSON written and the Markdown rendered from it."""

import json

import pytest
from django.db import connection

from branches.models import Organization
from scripts.bench import config, jobs, load, results, run
from scripts.bench.collect import clients, collect
from scripts.bench.fingerprint import _columns, fingerprint, tables
from scripts.bench.targets import PAGES, NotAvailable, Page, fixtures, resolve_callable, url_by_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def fx(cast):
    Organization.objects.filter(pk=cast.root.pk).update(code="SCALE-S")
    return fixtures("S")


def test_fixtures_pick_a_branch_its_secretary_a_member_and_a_committee_over_the_root(fx, cast):
    assert fx.root.pk == cast.root.pk
    assert fx.branch.pk == cast.a.pk  # the median-sized branch with a 书记 (a: 2 members, b: 1)
    assert fx.users["secretary"] == cast.secretary_a
    assert fx.users["member"] == cast.member_a
    assert fx.users["committee"].grants.get().organization_id == cast.root.pk
    assert fx.meeting is None and fx.ledger is None  # the cast has none
    assert fixtures("S").users["committee"] == fx.users["committee"]  # idempotent


def test_collector_counts_queries_and_marks_what_is_missing(fx):
    rows = {row.key: row for row in collect(PAGES, fx, clients(fx.users), runs=2)}
    assert set(rows) == {page.key for page in PAGES}
    assert rows["healthz"].status == 200 and rows["healthz"].queries == 0
    for key in ("login", "roster", "roster_search", "my_dues", "branch_page", "compliance_api"):
        assert rows[key].available and rows[key].status == 200, (key, rows[key])
        assert rows[key].queries == rows[key].queries_max, key  # the same count each time
    assert rows["roster"].queries > 0
    for key in ("meeting", "ledger"):
        assert not rows[key].available and "no " in rows[key].reason
    for row in rows.values():
        assert row.available or row.reason, row  # never a number for a page that is not there


def test_session_cookies_are_the_clients_sessions(fx):
    role_clients = clients(fx.users)
    assert role_clients[None][1] == ""
    name = role_clients["committee"][1].split("=")[0]
    assert name == "sessionid" and role_clients["committee"][1] != role_clients["member"][1]


def test_lookups_by_name():
    assert url_by_name(("no:such", "accounts:login")) == "/accounts/login/"
    with pytest.raises(NotAvailable, match="no URL named no:such"):
        url_by_name(("no:such",))
    assert resolve_callable(("nowhere.fn", "compliance.engine.evaluate")).__name__ == "evaluate"
    with pytest.raises(NotAvailable):
        resolve_callable(("nowhere.fn", "compliance.engine.no_such_function"))
    page = Page("x", "x", None, lambda fx: url_by_name(("no:such",)))
    assert not collect([page], None, {None: (None, "")})[0].available


def test_jobs_run_in_a_rolled_back_transaction_and_missing_ones_say_so(fx):
    def write(fx):
        Organization.objects.filter(pk=fx.root.pk).update(name="changed")
        return "wrote"

    result = jobs.run_job(jobs.Job("w", "w", write, runs=2), fx)
    assert result["available"] and result["summary"] == "wrote" and len(result["seconds_all"]) == 2
    assert Organization.objects.get(pk=fx.root.pk).name != "changed"
    assert jobs.run_job(jobs.JOB_BY_KEY["compliance_tree"], fx)["summary"].endswith(": 3 branches")  # a, b, d
    missing = jobs.Job("m", "m", lambda fx: resolve_callable(("nowhere.fn",)))
    with pytest.raises(NotAvailable):
        jobs.run_job(missing, fx)


def test_wrk_output_parsed_with_its_errors():
    line = (
        'BENCH_JSON {"requests":500,"duration_us":10000000,"p50_us":12000,"p95_us":48000,"p99_us":90000,'
        '"mean_us":15000.5,"max_us":120000,"errors_connect":0,"errors_read":0,"errors_write":0,'
        '"errors_status":3,"errors_timeout":1}'
    )
    parsed = load.parse_wrk("Running 10s test\n" + line + "\n")
    assert parsed["rps"] == 50.0 and parsed["p95_ms"] == 48.0 and parsed["p99_ms"] == 90.0
    assert parsed["errors"] == 4 and parsed["errors_detail"] == {"status": 3, "timeout": 1}
    with pytest.raises(ValueError):
        load.parse_wrk("no summary")
    assert load.headers("sessionid=x") == {"X-Forwarded-Proto": "https", "Cookie": "sessionid=x"}


def test_generation_log_parsed():
    out = "branches.scale: 245 organisations in 0.1s\nmembers.scale: 5000 members in 3.0s\n"
    out += "commit: deferred constraint checks in 8.5s\ntier S generated in 12.0s\n"
    parsed = run.parse_generation(out)
    assert [p["phase"] for p in parsed["phases"]] == ["branches.scale", "members.scale", "commit"]
    assert parsed["total_s"] == 12.0 and parsed["phases"][1]["seconds"] == 3.0


def test_post_load_commands_run_once_and_not_on_freshly_generated_data(on_postgres, fx, monkeypatch):
    """Data from before an app gets the app's post-load command once; data the generator has just
    built (derived tables included) gets none."""
    calls = []
    monkeypatch.setattr("django.core.management.call_command", lambda name, *args: calls.append(name))
    run.post_load("S")
    assert calls == list(run.POST_LOAD_COMMANDS)
    run.post_load("S")
    assert len(calls) == len(run.POST_LOAD_COMMANDS)  # remembered: not again

    calls.clear()
    run._post_load_record("S", run.generated_post_load())
    run.post_load("S")
    assert calls == []


def test_bench_environment_is_production_like(monkeypatch):
    monkeypatch.setenv("BENCH_DB", "x_bench")
    monkeypatch.delenv("BENCH_SECRET_KEY", raising=False)
    env = config.environment("M", base={"PATH": "/bin", "REDIS_URL": "redis://elsewhere/0"})
    assert env["DATABASE_URL"].endswith("/x_bench_m") and env["DEBUG"] == "false"
    assert len(env["SECRET_KEY"]) > 40 and env["SECRET_KEY"] != config.DEV_SECRET_KEY
    assert env["FIELD_ENCRYPTION_KEYS"] and env["FIELD_HASH_KEY"] and "REDIS_URL" not in env
    assert config.environment("S", base=env)["SECRET_KEY"] == env["SECRET_KEY"]  # one key per run


def _tier(p95_root, queries):
    return {
        "measured_at": "now",
        "git": "abc",
        "data": {"members": 5000},
        "generation": {"seed": 2026, "when": "then", "total_s": 100.0, "phases": [{"phase": "members.scale", "summary": "5000", "seconds": 3.0}]},
        "pages": {
            "healthz": {"label": "/healthz", "url": "/healthz", "queries": 0, "available": True, "wrk": {"requests": 20000, "p50_ms": 1, "p95_ms": 2, "p99_ms": 3, "rps": 2000}},
            "roster": {"label": "roster", "url": "/members/", "queries": queries, "available": True, "p95_ratio": 40, "rps_ratio": 20,
                       "wrk": {"requests": 1000, "p50_ms": 50, "p95_ms": p95_root, "p99_ms": 90, "rps": 100, "errors": 0}},
            "dashboard_root": {"label": "dashboard", "available": False, "reason": "no URL named dashboard:index"},
            "ledger": {"label": "ledger", "url": "/l/", "queries": 5, "available": True, "ms": 9000.0,
                       "wrk": {"requests": 0, "p50_ms": 0, "p95_ms": 0, "p99_ms": 0, "rps": 0, "errors": 0}},
        },
        "jobs": {
            "compliance_tree": {"available": True, "seconds": 1.5, "seconds_all": [1.5], "peak_rss_mb": 150, "summary": "88 branches"},
            "reminder_run": {"available": False, "reason": "none of x"},
        },
    }  # fmt: skip


def test_results_written_and_rendered(tmp_path):
    path = tmp_path / "benchmarks.json"
    results.store(_tier(80, 11), "S", path)
    data = results.store(_tier(100, 11), "M", path)
    assert json.loads(path.read_text())["tiers"].keys() == {"S", "M"}  # one tier's run keeps the other
    assert data["machine"]["cores"] and data["commands"]
    md = results.render(data)
    assert "## Machine" in md and "## Tier S" in md and "## Tier M" in md and "make bench" in md
    assert "p95 100.0 ms; M/S 1.25; queries S 11 / M 11 | ✅ met" in md
    assert "dashboard" in md and "not available" in md
    # A page that never answered within the run is a miss, never a 0 ms p95.
    assert "ledger: p95 ≤ 150 ms, M ≤ 1.5 × S, queries S = M | no response completed" in md
    assert "❌ missed" in md.split("ledger: p95")[1].split("\n")[0]
    assert "a full reminder run: ≤ 60 s | not available" in md
    assert "compliance engine, whole tree, one quarter: ≤ 5 s | 1.5 s | ✅ met" in md
    assert "tier M load into PostgreSQL ≤ 15 min | 1.7 min | ✅ met" in md
    # How fast the machine was for the run, beside its figures.
    probed = _tier(100, 11) | {"cpu_probe_ms": {"before": 61.5, "after": 70.2}}
    md = results.render(results.store(probed, "M", path))
    assert (
        "CPU probe (`results.cpu_probe`, a fixed Python loop, best of 5): 61.5 ms before / 70.2 ms after"
        in md
    )
    assert results.cpu_probe(rounds=1) > 0
    worse = results.store(_tier(200, 12), "M", path)
    assert "p95 200.0 ms; M/S 2.50; queries S 11 / M 12 | ❌ missed" in results.render(worse)


def test_fingerprint_leaves_out_ids_timestamps_and_ciphertexts(cast):
    from members.models import Member

    columns = _columns(Member)
    assert '"name"' in columns and '"id_hash"' in columns
    assert not any(c in columns for c in ('"id"', '"branch_id"', '"id_number"', '"created_at"'))
    assert "branches.Grant" not in {m._meta.label for m in tables()}
    if connection.vendor == "postgresql":
        first = fingerprint()
        assert first == fingerprint() and first["tables"]["members.Member"][0] == 4


@pytest.mark.django_db(transaction=True)
def test_vacuum_clears_what_a_rolled_back_job_leaves():
    """Between jobs the bench vacuums (outside a transaction), so a rolled-back job's dead rows do
    not slow the next job or the next run; on SQLite there is nothing to do."""
    from django.db import transaction

    if connection.vendor != "postgresql":
        assert run.vacuum() == 0.0
        return
    table = Organization._meta.db_table

    def vacuums():
        with connection.cursor() as cursor:
            cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    with pytest.raises(RuntimeError), transaction.atomic():
        Organization.add_root(name="临时", kind="committee", field="organ", code="VACUUM-TEST")
        raise RuntimeError("rolled back, as the bench's jobs are")
    before = vacuums()
    assert run.vacuum() >= 0
    assert vacuums() == before + 1  # the whole database, outside a transaction, this table included


def test_a_paired_ratio_replaces_the_ratio_of_two_runs(tmp_path):
    """M/S from the paired runs (both tiers side by side) is the one judged, and shown with its
    rounds; without pairs the ratio of the two tier runs stands."""
    path = tmp_path / "benchmarks.json"
    results.store(_tier(80, 11), "S", path)
    results.store(_tier(140, 11), "M", path)  # 1.75 apart: the machine slowed between the runs
    assert "p95 140.0 ms; M/S 1.75; queries S 11 / M 11 | ❌ missed" in results.render(
        json.loads(path.read_text())
    )
    pairs = {
        "measured_at": "later",
        "tiers": ["S", "M"],
        "rounds": 3,
        "duration_s": 4,
        "connections": 16,
        "cpu_probe_ms": {"before": 52.0, "after": 53.1},
        "pages": {
            "roster": {"S_p95_ms": [100.0, 120.0, 90.0], "M_p95_ms": [110.0, 126.0, None], "ratio": 1.08}
        },
    }
    md = results.render(results.store_paired(pairs, path))
    assert "p95 140.0 ms; M/S 1.08 (paired); queries S 11 / M 11 | ✅ met" in md
    assert "## M/S measured in pairs" in md
    assert "| roster | 100.0, 120.0, 90.0 | 110.0, 126.0, — | 1.08 |" in md
    # A tier measured again on its own: the old pairs no longer describe it.
    data = results.store(_tier(140, 11), "M", path)
    assert any("M/S 1.75; queries" in row for row in results.target_rows(data))
    assert results.paired_rows(data) == []


def test_pages_remembered_for_the_paired_runs_and_none_without_them(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "_scratch", lambda tier: tmp_path / f"pages-{tier}.json")
    monkeypatch.setenv("SECRET_KEY", "k" * 50)
    monkeypatch.setattr(load, "wrk_available", lambda: True)
    assert run.paired(("S", "M")) is None  # no tier has run
    pages = {
        "roster": {"url": "/members/", "wrk": {"requests": 10}},
        "ledger": {"url": "/l/", "wrk": {"requests": 0}},  # never answered under load: not paired
        "login": {"url": "/accounts/login/", "available": True},
    }
    run.remember_pages("S", pages, {"committee": (None, "sessionid=abc"), None: (None, "")})
    saved = json.loads((tmp_path / "pages-S.json").read_text())
    assert saved == {
        "secret_key": "k" * 50,
        "pages": {"roster": {"url": "/members/", "cookie": "sessionid=abc"}},
    }
    assert run.paired(("S", "M")) is None  # tier M's file is missing
