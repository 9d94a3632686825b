"""python -m scripts.bench [--tiers S M] | tier T | job KEY --tier T | report | record-generation …"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench import config  # noqa: E402


def _django(tier):
    """Point this process's (not yet started) Django at the tier's database."""
    os.environ.update(config.environment(tier))
    import django

    django.setup()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("--tiers", nargs="+", default=list(config.TIERS), choices=config.TIERS)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", "2026")))
    sub = parser.add_subparsers(dest="command")
    tier = sub.add_parser("tier", help="measure one tier (run in its own process)")
    tier.add_argument("tier", choices=config.TIERS)
    job = sub.add_parser("job", help="run one timed job (in its own process)")
    job.add_argument("key")
    job.add_argument("--tier", choices=config.TIERS, required=True)
    prepare = sub.add_parser("prepare", help="ensure one tier's data and post-load steps, measure nothing")
    prepare.add_argument("tier", choices=config.TIERS)
    prof = sub.add_parser("profile", help="profile one page in-process (pyinstrument)")
    prof.add_argument("page")
    prof.add_argument("--tier", choices=config.TIERS, required=True)
    prof.add_argument("--runs", type=int, default=20)
    sub.add_parser("report", help="render docs/benchmarks.md from docs/benchmarks.json")
    record = sub.add_parser("record-generation", help="record the timings of a generate_scale_data log")
    record.add_argument("--tier", choices=config.TIERS, required=True)
    record.add_argument("--log", required=True)
    record.add_argument("--when", default=None)
    args = parser.parse_args(argv)

    if args.command == "tier":
        from scripts.bench.run import run_tier

        os.environ.update(config.environment(args.tier))
        run_tier(args.tier, args.seed)
    elif args.command == "job":
        # The parent's environment already holds the tier's settings (and its SECRET_KEY).
        _django(args.tier)
        from scripts.bench.jobs import main as job_main

        job_main(args.key, args.tier)
    elif args.command == "prepare":
        from scripts.bench.run import ensure_data, post_load

        run_env = config.environment(args.tier)
        from scripts.bench.run import ensure_database

        ensure_database(args.tier)
        os.environ.update(run_env)
        import django

        django.setup()
        ensure_data(args.tier, args.seed)
        print(post_load(args.tier))
    elif args.command == "profile":
        _django(args.tier)
        from django.test.utils import setup_test_environment

        from scripts.bench.profile import profile_page

        setup_test_environment()
        profile_page(args.page, args.tier, args.runs)
    elif args.command == "report":
        from scripts.bench import results

        print(results.write_markdown())
    elif args.command == "record-generation":
        _django(args.tier)
        from scripts.bench.run import record_generation

        print(record_generation(args.tier, args.seed, Path(args.log).read_text(), args.when))
    else:
        from scripts.bench import results
        from scripts.bench.run import ensure_database

        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=config.environment(args.tiers[0]),
            check=True,
        )
        for name in args.tiers:
            ensure_database(name)
            done = subprocess.run(
                [sys.executable, "-m", "scripts.bench", "--seed", str(args.seed), "tier", name], cwd=ROOT
            )
            if done.returncode:
                sys.exit(f"tier {name} failed ({done.returncode})")
        if {"S", "M"} <= set(args.tiers):
            from scripts.bench.run import paired

            pairs = paired(("S", "M"))
            if pairs is not None:
                results.store_paired(pairs)
        print(results.write_markdown())


if __name__ == "__main__":
    main()
