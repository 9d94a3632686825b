"""docs/benchmarks.json (machine-readable, one entry per tier, kept across runs of single tiers)
and docs/benchmarks.md rendered from it, with the machine, the commands and the targets.

The JSON's shape (`SCHEMA`): {"schema", "updated_at", "machine", "commands", "tiers": {"S"|"M": {
"measured_at", "git", "postgresql", "load_average", "data", "generation", "fixtures",
"pages": {key: {label, url, status, queries, queries_max, bytes, wrk: {p50_ms, p95_ms, p99_ms, rps,
errors, …}, p95_ratio, rps_ratio, available, reason}}, "jobs": {key: {seconds, peak_rss_mb, …}}}}}.
Hand-written findings (profiles, fixes with before/after) live in docs/benchmarks-notes.md and are
included at the end of the Markdown."""

import datetime
import json
import os
import platform
import subprocess
import time
from pathlib import Path

SCHEMA = 1
DOCS = Path(__file__).resolve().parents[2] / "docs"
JSON_PATH = DOCS / "benchmarks.json"
MD_PATH = DOCS / "benchmarks.md"
NOTES_PATH = DOCS / "benchmarks-notes.md"
COMMANDS = [
    "make bench                       # both tiers (TIER=S or TIER=M for one), then the docs",
    "BENCH_DB=partyaffairs_bench BENCH_PG=postgres://postgres@127.0.0.1:5432 make bench",
    ".venv/bin/python -m scripts.bench --tiers S M   # what make bench runs after deps/static/wrk",
    ".venv/bin/python -m scripts.bench report        # re-render docs/benchmarks.md from the JSON",
]
PAGE_TARGET_MS, DASHBOARD_TARGET_MS, M_OVER_S = 150, 300, 1.5


def machine():
    """CPU, cores, RAM, OS, Python and tool versions of this machine."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gb = None
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        wrk = None
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "wrk": wrk,
    }


def cpu_probe(rounds=5):
    """Milliseconds of CPU time for a fixed piece of pure-Python work (the best of `rounds`): the
    same work on every run, so a run whose pages look slower can be told apart from a slower CPU —
    a shared virtual machine's vCPU runs slower while its host is busy, and the page figures move
    with it. (CPU time, not wall time: waiting for a core, e.g. behind the bench's own gunicorn,
    is not counted; the probe runs when the bench's load is off.)"""
    best = None
    for _ in range(rounds):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        spent = (time.process_time() - started) * 1000
        best = spent if best is None else min(best, spent)
    return round(best, 1)


def load():
    if JSON_PATH.exists():
        data = json.loads(JSON_PATH.read_text())
        if data.get("schema") == SCHEMA:
            return data
    return {"schema": SCHEMA, "tiers": {}}


def store(tier_result, tier, path=None):
    """Put one tier's results into the JSON (other tiers' last results are kept)."""
    path = Path(path or JSON_PATH)
    data = json.loads(path.read_text()) if path.exists() else {"schema": SCHEMA, "tiers": {}}
    if data.get("schema") != SCHEMA:
        data = {"schema": SCHEMA, "tiers": {}}
    data["tiers"][tier] = tier_result
    # Pairs measured against the previous results of this tier no longer describe it.
    data.pop("paired", None)
    data["machine"] = machine()
    data["commands"] = COMMANDS
    return _write(path, data)


def store_paired(pairs, path=None):
    """Put the paired S/M runs (run.paired) into the JSON beside the tiers."""
    path = Path(path or JSON_PATH)
    data = json.loads(path.read_text()) if path.exists() else {"schema": SCHEMA, "tiers": {}}
    data["paired"] = pairs
    return _write(path, data)


def _write(path, data):
    data["updated_at"] = now()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return data


def now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ms(value):
    return "—" if value is None else f"{value:.1f}"


def _verdict(ok):
    return "✅ met" if ok else "❌ missed"


def ordered(items, keys):
    """`items` (a dict) in the order of `keys` (the bench's own order), unknown keys last."""
    rank = {key: i for i, key in enumerate(keys)}
    return sorted(items.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def _page_keys():
    from .targets import PAGES

    return [page.key for page in PAGES]


def _job_keys():
    from .jobs import JOBS

    return [job.key for job in JOBS]


def page_rows(tier):
    """Rows of the pages table for one tier's results."""
    rows = []
    for key, page in ordered(tier.get("pages", {}), _page_keys()):
        if not page.get("available", True):
            rows.append(f"| {page['label']} | not available ({page.get('reason', '')}) | | | | | | | |")
            continue
        load = page.get("wrk") or {}
        if not load:
            rows.append(
                f"| {page['label']} | `{page.get('url')}` | {page.get('queries', '—')} | not measured "
                f"({page.get('reason') or 'no load run'}) | | | | | |"
            )
            continue
        if not load.get("requests"):
            rows.append(
                f"| {page['label']} | `{page['url']}` | {page.get('queries', '—')} | no response completed "
                f"within the {tier.get('duration_s')} s run (each took longer under 16 connections) | | | 0 | | "
                f"{_ms(page.get('ms'))} / {_ms(page.get('cpu_ms'))} |"
            )
            continue
        errors = f" ({load['errors']} errors)" if load.get("errors") else ""
        ratio = (
            "1.0"
            if key == "healthz"
            else f"{page.get('p95_ratio', 0):.1f}× / {page.get('rps_ratio', 0):.1f}×"
        )
        queries = page.get("queries")
        if page.get("queries_max") not in (None, queries):
            queries = f"{queries}–{page['queries_max']}"
        rows.append(
            f"| {page['label']} | `{page['url']}` | {'—' if queries is None else queries} | "
            f"{_ms(load.get('p50_ms'))} | {_ms(load.get('p95_ms'))} | {_ms(load.get('p99_ms'))} | "
            f"{load.get('rps', 0):.0f}{errors} | {ratio} | {_ms(page.get('ms'))} / {_ms(page.get('cpu_ms'))} |"
        )
    return rows


def target_rows(data):
    """Every issue-9 target against the tier M figure (and the M/S ratios)."""
    tiers = data.get("tiers", {})
    m, s = tiers.get("M", {}), tiers.get("S", {})
    rows = []
    for key, page in ordered(m.get("pages", {}), _page_keys()):
        if key == "healthz":
            continue
        target = DASHBOARD_TARGET_MS if key.startswith("dashboard") else PAGE_TARGET_MS
        load = page.get("wrk") or {}
        s_page = s.get("pages", {}).get(key, {})
        s_load = s_page.get("wrk") or {}
        if not page.get("available", True) or not load:
            rows.append(
                f"| {page['label']}: p95 ≤ {target} ms, M ≤ 1.5 × S, queries S = M | not available | | |"
            )
            continue
        if not load.get("requests"):
            rows.append(
                f"| {page['label']}: p95 ≤ {target} ms, M ≤ 1.5 × S, queries S = M | no response completed "
                f"within the run; one request alone {_ms(page.get('ms'))} ms; queries S {s_page.get('queries', '—')} "
                f"/ M {page.get('queries')} | {_verdict(False)} | |"
            )
            continue
        p95 = load["p95_ms"]
        ratio = p95 / s_load["p95_ms"] if s_load.get("p95_ms") else None
        pair = ((data.get("paired") or {}).get("pages") or {}).get(key) or {}
        paired = pair.get("ratio") is not None
        if paired:  # measured side by side: the machine's drift between the two tier runs cancels
            ratio = pair["ratio"]
        same = s_page.get("queries") == page.get("queries") and s_page.get("queries") is not None
        ok = p95 <= target and (ratio is None or ratio <= M_OVER_S) and same and not load.get("errors")
        ratio_text = "—" if ratio is None else f"{ratio:.2f}" + (" (paired)" if paired else "")
        rows.append(
            f"| {page['label']}: p95 ≤ {target} ms, M ≤ 1.5 × S, queries S = M | "
            f"p95 {p95:.1f} ms; M/S {ratio_text}; queries S {s_page.get('queries', '—')} / M {page.get('queries')} | "
            f"{_verdict(ok)} | {'' if not load.get('errors') else str(load['errors']) + ' errors'} |"
        )
    from .jobs import JOBS

    for job in JOBS:
        result = m.get("jobs", {}).get(job.key)
        limit = f"≤ {job.target_s:g} s" + (f", ≤ {job.target_mb:g} MB" if job.target_mb else "")
        if not result or not result.get("available"):
            rows.append(f"| {job.label}: {limit} | not available | | |")
            continue
        ok = result["seconds"] <= job.target_s
        figure = f"{result['seconds']:.1f} s"
        if job.target_mb:
            ok = ok and result.get("peak_rss_mb") is not None and result["peak_rss_mb"] <= job.target_mb
            figure += f", peak RSS {result.get('peak_rss_mb')} MB"
        rows.append(f"| {job.label}: {limit} | {figure} | {_verdict(ok)} | {result.get('summary', '')} |")
    gen = m.get("generation") or {}
    if gen.get("total_s") is not None:
        ok = gen["total_s"] <= 15 * 60
        rows.append(
            f"| tier M load into PostgreSQL ≤ 15 min | {gen['total_s'] / 60:.1f} min | {_verdict(ok)} | |"
        )
    return rows


def paired_rows(data):
    """The paired S/M runs' section (run.paired), or nothing when there were none."""
    pairs = data.get("paired") or {}
    if not pairs.get("pages"):
        return []
    small, large = pairs.get("tiers", ["S", "M"])
    probe = pairs.get("cpu_probe_ms") or {}
    out = [
        "## M/S measured in pairs",
        "",
        f"Measured {pairs.get('measured_at')}: both tiers' servers up at once; for each page "
        f"{pairs.get('rounds')} rounds of {pairs.get('duration_s')} s of load at {pairs.get('connections')} "
        f"connections on tier {small} and on tier {large} one after the other (the order swapped every "
        "round), so the two see the machine at the same speed; the M/S in the targets above is the "
        "median of the rounds' ratios. CPU probe before / after: "
        f"{probe.get('before')} / {probe.get('after')} ms.",
        "",
        f"| page | p95 ms at {small}, by round | p95 ms at {large}, by round | M/S (median) |",
        "|---|---|---|---:|",
    ]
    labels = {
        key: page.get("label", key)
        for key, page in data.get("tiers", {}).get(large, {}).get("pages", {}).items()
    }

    def cells(values):
        return ", ".join("—" if v is None else f"{v:.1f}" for v in values)

    for key, pair in ordered(pairs["pages"], _page_keys()):
        ratio = pair.get("ratio")
        out.append(
            f"| {labels.get(key, key)} | {cells(pair.get(f'{small}_p95_ms', []))} | "
            f"{cells(pair.get(f'{large}_p95_ms', []))} | {'—' if ratio is None else f'{ratio:.2f}'} |"
        )
    return [*out, ""]


def render(data):
    """docs/benchmarks.md from the JSON."""
    m = data.get("machine", {})
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`scripts/bench/`) from `docs/benchmarks.json` — do not edit by hand;",
        "findings, profiles and fixes are in the notes at the end (`docs/benchmarks-notes.md`).",
        f"Last update: {data.get('updated_at', '—')}.",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')}, {m.get('cores')} cores; RAM {m.get('ram_gb')} GB; {m.get('os')}",
        f"- Python {m.get('python')}, Django {m.get('django')}, {m.get('wrk') or 'wrk not installed'}",
    ]
    for name, tier in sorted(data.get("tiers", {}).items()):
        out.append(f"- tier {name}: {tier.get('postgresql', '—')}; gunicorn {tier.get('server', '')}")
    out += ["", "## Commands", "", "```sh", *data.get("commands", COMMANDS), "```", ""]
    out += [
        "Each page is loaded with wrk for the stated duration at 16 connections (after a warm-up),",
        "then the next; `/healthz` (no database) is measured in the same run and every page is also given",
        "as a ratio to it: p95 ratio (page p95 / healthz p95) and throughput ratio (healthz req/s / page",
        "req/s). Query counts come from the same URL requested in-process through django.test.Client",
        "(CaptureQueriesContext). wrk runs on the same machine as gunicorn and PostgreSQL, so it takes CPU",
        "from them; the figures are a floor for this machine, not for a deployment.",
        "",
        "## Targets (issue 9, at tier M)",
        "",
        "| target | tier M | verdict | |",
        "|---|---|---|---|",
        *target_rows(data),
        "",
        *paired_rows(data),
    ]
    for name, tier in sorted(data.get("tiers", {}).items()):
        out += [
            f"## Tier {name}",
            "",
            f"Measured {tier.get('measured_at')} at commit `{tier.get('git')}`; load average before / after: "
            f"{tier.get('load_average', {}).get('before')} / {tier.get('load_average', {}).get('after')}; "
            f"{tier.get('duration_s')} s of load per page at {tier.get('connections')} connections."
            + (
                f" CPU probe (`results.cpu_probe`, a fixed Python loop, best of 5): "
                f"{tier['cpu_probe_ms']['before']} ms before / {tier['cpu_probe_ms']['after']} ms after — "
                "the larger it is, the slower the machine was for this run."
                if tier.get("cpu_probe_ms")
                else ""
            ),
            "",
            "Data: "
            + ", ".join(f"{v:,} {k}" for k, v in tier.get("data", {}).items())
            + f"; {tier.get('database_size')} on disk; fingerprint `{tier.get('fingerprint')}` "
            "(`scripts/bench/fingerprint.py`: equal fingerprints, equal data).",
            "",
        ]
        gen = tier.get("generation") or {}
        if gen:
            out += [
                f"Generation (`generate_scale_data --tier {name} --seed {gen.get('seed')}`, {gen.get('when')}): "
                + (
                    f"{gen['total_s']:.1f} s in all."
                    if gen.get("total_s") is not None
                    else "time not recorded."
                ),
                "",
            ]
            if gen.get("phases"):
                out += ["| phase | seconds | rows |", "|---|---:|---|"]
                out += [f"| {p['phase']} | {p['seconds']:.1f} | {p['summary']} |" for p in gen["phases"]]
                out.append("")
        fixtures = tier.get("fixtures") or {}
        if fixtures:
            out += ["Objects measured: " + "; ".join(f"{k}: {v}" for k, v in fixtures.items()) + ".", ""]
        out += [
            "| page | URL | queries | p50 ms | p95 ms | p99 ms | req/s | vs healthz (p95 / req/s) | one request: ms / CPU ms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
            *page_rows(tier),
            "",
            "| job | seconds (median) | runs | peak RSS MB | what |",
            "|---|---:|---|---:|---|",
        ]
        from .jobs import JOB_BY_KEY

        for key, job in ordered(tier.get("jobs", {}), _job_keys()):
            label = JOB_BY_KEY[key].label if key in JOB_BY_KEY else key
            if not job.get("available"):
                out.append(f"| {label} | not available | | | {job.get('reason', '')} |")
                continue
            out.append(
                f"| {label} | {job['seconds']:.2f} | {', '.join(f'{t:.2f}' for t in job.get('seconds_all', []))} | "
                f"{job.get('peak_rss_mb') or '—'} | {job.get('summary', '')} |"
            )
        out.append("")
    if NOTES_PATH.exists():
        out += ["## Notes", "", NOTES_PATH.read_text().strip(), ""]
    return "\n".join(out)


def write_markdown(data=None, path=None):
    data = data if data is not None else load()
    path = Path(path or MD_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data))
    return path
