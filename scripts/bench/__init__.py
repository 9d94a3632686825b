"""`make bench`: partyaffairs measured at tier S and tier M against a production-like server.

    python -m scripts.bench                  # both tiers, then docs/benchmarks.md and .json
    python -m scripts.bench --tiers S        # one tier (the other tier's last results are kept)
    python -m scripts.bench report           # rewrite docs/benchmarks.md from docs/benchmarks.json

Each tier runs in its own process against its own PostgreSQL database (`<BENCH_DB>_s`, `<BENCH_DB>_m`
on `BENCH_PG`): the database is created, migrated and filled by `generate_scale_data` when the
tier's data is absent and reused otherwise; then the post-load steps run (`post_load(ctx)` in an
app's `scale.py`, and the management commands in `POST_LOAD_COMMANDS` that exist). The pages are
first requested once in-process through django.test.Client with CaptureQueriesContext (status and
query count), then served by gunicorn (DEBUG off, a fresh SECRET_KEY, collectstatic'd manifest
storage) on a free loopback port and loaded with wrk at 16 connections, each page and the
no-database `/healthz` in the same run. Jobs (quarterly report, a month of dues, a reminder run,
the compliance engine over the whole tree) run each in a fresh subprocess, timed, with the peak
resident memory of that process; writes are rolled back, so runs are repeatable.

Pages and jobs that an app does not provide (yet) are reported as "not available", never as a
number: each is looked up by name (URL names, dotted paths) when the bench runs.

The modules: `targets` (what is measured, looked up by name), `collect` (query counts), `load`
(gunicorn and wrk), `jobs` (the timed jobs), `results` (the JSON, the Markdown, the machine),
`run` (one tier end to end)."""
