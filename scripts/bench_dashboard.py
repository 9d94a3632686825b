"""Load-test the committee dashboard (党建驾驶舱) behind gunicorn with wrk, against scale data.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_dash
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_scale_data --tier M     # and --tier S
    .venv/bin/python manage.py rebuild_dashboards --since 2026-01   # if the scale run predates it
    .venv/bin/python scripts/bench_dashboard.py [--period 2026-Q3] [--duration 20] [--connections 4]

For each tier present (the generated roots SCALE-M and SCALE-S) it creates a committee user with a
grant on the root and a logged-in session, counts the page's queries in-process (django.test.Client,
CaptureQueriesContext), then starts gunicorn (DEBUG off, 2 workers) and runs wrk with a Lua script
that sends the session cookie; it reports requests/s and the latency p50 / p95 / p99 (warm: one
wrk pass warms up first). The users and sessions are deleted afterwards. Needs `wrk` (Debian:
apt-get install -y wrk)."""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyaffairs.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from branches.models import Grant, Organization  # noqa: E402
from compliance.periods import QUARTER, current  # noqa: E402

LUA = """
wrk.headers["Cookie"] = "{cookie}"
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%.1f p95=%.1f p99=%.1f rps=%.1f requests=%d errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def session_for(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def count_queries(user, url):
    setup_test_environment()
    client = Client()
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (localhost)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def wrk(url, cookie, duration, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.replace("{cookie}", cookie))
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", script.name, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    found = re.search(r"RESULT (.*)", out)
    if not found:
        raise SystemExit(out)
    return dict(part.split("=") for part in found.group(1).split())


def closest_subtree(root, size):
    """The committee under `root` whose subtree (organisations, party groups included) is closest to
    `size` — counted per path prefix at each depth in one query per depth."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    best = None
    for depth in (2, 3, 4):
        length = depth * Organization.steplen
        for row in (
            Organization.objects.filter(path__startswith=root.path, depth__gte=depth)
            .annotate(node=Substr("path", 1, length))
            .values("node")
            .annotate(n=Count("pk"))
        ):
            if best is None or abs(row["n"] - size) < abs(best[1] - size):
                best = (row["node"], row["n"])
    return Organization.objects.get(path=best[0])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--period", default=current(QUARTER, timezone.localdate()).code)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--subtree-size",
        type=int,
        default=250,
        help="also measure the committee in SCALE-M whose subtree is closest to this size (tier S ≈ 250)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    roots = list(Organization.objects.filter(code__in=["SCALE-M", "SCALE-S"], depth=1).order_by("code"))
    if not roots:
        raise SystemExit("no scale data: run manage.py generate_scale_data --tier M first")
    tier_m = next((r for r in roots if r.code == "SCALE-M"), None)
    if tier_m is not None and args.subtree_size:
        roots.append(closest_subtree(tier_m, args.subtree_size))
    User = get_user_model()
    users, cases = [], []
    for root in roots:
        user = User.objects.create_user(username=f"bench-dash-{root.pk}", password=None, name="bench")
        Grant.objects.create(user=user, organization=root)
        users.append(user)
        url = f"/dashboard/?org={root.pk}&period={args.period}"
        size = Organization.objects.filter(path__startswith=root.path).count()
        cases.append((root, size, url, count_queries(user, url), session_for(user)))
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        # The sessions were signed here: the server needs the same keys.
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "FIELD_HASH_KEY": settings.FIELD_HASH_KEY,
    }
    # DEBUG off serves hashed static files from the manifest.
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "partyaffairs.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{args.port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_for(base + "/healthz")
        print(
            f"period {args.period}; gunicorn 2 workers, DEBUG off; wrk -t2 -c{args.connections} -d{args.duration}s"
        )
        for root, size, url, queries, key in cases:
            cookie = f"{settings.SESSION_COOKIE_NAME}={key}"
            wrk(base + url, cookie, 5, args.connections)  # warm up
            result = wrk(base + url, cookie, args.duration, args.connections)
            print(
                f"{root.code or root.name}: {size} organisations — {queries} queries; p50 {result['p50']} ms, "
                f"p95 {result['p95']} ms, p99 {result['p99']} ms, {result['rps']} req/s "
                f"({result['requests']} requests, {result['errors']} errors)"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        SessionStore.get_model_class().objects.filter(session_key__in=[c[4] for c in cases]).delete()
        for user in users:
            user.delete()


if __name__ == "__main__":
    main()
