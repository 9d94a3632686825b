"""Profile one bench page in-process with pyinstrument (dev extra), as the page's role:

    .venv/bin/python -m scripts.bench profile roster --tier S [--runs 20]

Prints the call tree (wall time over `runs` requests after one warm-up) and the queries of one
request, slowest first — what docs/benchmarks-notes.md quotes before and after a fix."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext


def profile_page(key, tier, runs=20, queries=8):
    from pyinstrument import Profiler

    from .collect import clients
    from .targets import PAGES, fixtures

    page = {p.key: p for p in PAGES}[key]
    fx = fixtures(tier)
    client, _cookie = clients({page.role: fx.users[page.role]})[page.role]
    url = page.url(fx)
    client.get(url, secure=True)
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for _ in range(runs):
            response = client.get(url, secure=True)
    elapsed = (time.perf_counter() - started) / runs * 1000
    print(f"{key} {url}: HTTP {response.status_code}, {elapsed:.1f} ms per request (in-process, profiled)")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    slow = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    print(f"{len(slow)} queries, {sum(float(q['time']) for q in slow) * 1000:.1f} ms in all; slowest:")
    for q in slow[:queries]:
        print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
