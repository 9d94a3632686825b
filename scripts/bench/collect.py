"""Each page requested in-process through django.test.Client: its status, size and query count.

One warm-up request, then `runs` counted ones (CaptureQueriesContext); a page whose count varies
between runs reports the range. The session cookie each role's client holds is what the load
generator sends to the server, so both see the same user."""

import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .targets import NotAvailable


@dataclass
class PageCount:
    key: str
    label: str
    url: str | None = None
    status: int | None = None
    queries: int | None = None
    queries_max: int | None = None
    bytes: int | None = None
    ms: float | None = None  # in-process, single request, for orientation only
    cpu_ms: float | None = None  # this process's CPU per request (Django + drivers; not PostgreSQL's)
    available: bool = True
    reason: str = ""

    def as_dict(self):
        return asdict(self)


def clients(users):
    """One logged-in client per role (None: anonymous) and its session cookie value."""
    out = {}
    for role, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
        out[role] = (client, f"{settings.SESSION_COOKIE_NAME}={cookie.value}" if cookie else "")
    return out


def count_queries(client, url, runs=3):
    """(status, min queries, max queries, bytes, median ms, median CPU ms) of GET `url` through
    `client`. CPU time is less disturbed than wall time by other work on the machine."""
    client.get(url, secure=True)
    counts, times, cpu, response = [], [], [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        counts.append(len(captured.captured_queries))
    times.sort()
    cpu.sort()
    middle = len(times) // 2
    return response.status_code, min(counts), max(counts), len(response.content), times[middle], cpu[middle]


def collect(pages, fx, role_clients, runs=3):
    """A PageCount for every page; pages an app does not provide are marked not available."""
    results = []
    for page in pages:
        row = PageCount(key=page.key, label=page.label)
        try:
            row.url = page.url(fx)
        except NotAvailable as exc:
            row.available, row.reason = False, str(exc)
            results.append(row)
            continue
        client, _cookie = role_clients[page.role]
        row.status, row.queries, row.queries_max, row.bytes, row.ms, row.cpu_ms = count_queries(
            client, row.url, runs
        )
        if row.status != 200:
            row.reason = f"HTTP {row.status} in-process"
        results.append(row)
    return results
