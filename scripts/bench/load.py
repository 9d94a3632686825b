"""A production-like server (gunicorn, DEBUG off) on a free loopback port, and wrk against it.

wrk reports p50 / p95 / p99 through a Lua `done` hook (its own --latency table has no p95) as one
JSON line; errors (connect, read, write, timeout, HTTP status ≥ 400) are kept so that a page that
fails under load never passes for a fast one. Each request carries the role's session cookie and
`X-Forwarded-Proto: https`, as behind the TLS-terminating proxy the production settings expect."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p95_us\\":%d,\\"p99_us\\":%d,"
    .. "\\"mean_us\\":%.1f,\\"max_us\\":%d,\\"errors_connect\\":%d,\\"errors_read\\":%d,\\"errors_write\\":%d,"
    .. "\\"errors_status\\":%d,\\"errors_timeout\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workers():
    return int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))


@contextlib.contextmanager
def gunicorn(env, port=None, log=None):
    """gunicorn serving partyaffairs.wsgi on 127.0.0.1:<port> with `env`; yields the base URL."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "gunicorn", "partyaffairs.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers()),
        "--worker-class", "sync", "--timeout", "120", "--log-level", "warning",
    ]  # fmt: skip
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode} (see {log})")
            try:
                if probe(base, "/healthz", "", timeout=2) == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()


def headers(cookie):
    out = {"X-Forwarded-Proto": "https"}
    if cookie:
        out["Cookie"] = cookie
    return out


def probe(base, url, cookie, timeout=60):
    """Status of one GET through the server (no redirects followed: a redirect is not the page)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    request = urllib.request.Request(base + url, headers=headers(cookie))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wrk_available():
    return shutil.which("wrk") is not None


def parse_wrk(output):
    """The JSON line the Lua hook writes, with milliseconds and requests per second added."""
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line[len("BENCH_JSON ") :])
            seconds = raw["duration_us"] / 1e6 or 1
            errors = sum(v for k, v in raw.items() if k.startswith("errors_"))
            return {
                "requests": raw["requests"],
                "rps": round(raw["requests"] / seconds, 1),
                "p50_ms": round(raw["p50_us"] / 1000, 2),
                "p95_ms": round(raw["p95_us"] / 1000, 2),
                "p99_ms": round(raw["p99_us"] / 1000, 2),
                "mean_ms": round(raw["mean_us"] / 1000, 2),
                "max_ms": round(raw["max_us"] / 1000, 2),
                "errors": errors,
                "errors_detail": {
                    k[len("errors_") :]: v for k, v in raw.items() if k.startswith("errors_") and v
                },
            }
    raise ValueError("wrk printed no BENCH_JSON line:\n" + output[-2000:])


def wrk(base, url, cookie, *, connections, duration, threads=2, timeout=30):
    """Load `url` for `duration` seconds at `connections` connections; the parsed result."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    try:
        command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{duration}s"]
        command += ["--timeout", f"{timeout}s", "-s", script.name]
        for name, value in headers(cookie).items():
            command += ["-H", f"{name}: {value}"]
        command.append(base + url)
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 30)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-1000:]}")
        return parse_wrk(done.stdout)
    finally:
        os.unlink(script.name)
