"""gunicorn.conf.py: a worker freezes what Django loaded, so full collections skip it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_freezes_what_django_loaded():
    script = (
        "import gc, runpy, django; django.setup(); "
        "conf = runpy.run_path('gunicorn.conf.py'); "
        "assert gc.get_freeze_count() == 0; "
        "conf['post_worker_init'](None); "
        "import sys; print(gc.get_freeze_count(), 'meetings.views' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(out[0]) > 100_000  # Django and the apps, not a handful of objects
    assert out[1] == "True"  # the URLconf was imported: the views are loaded before a request


def test_gunicorn_reads_it_from_where_the_bench_and_the_image_start_it():
    from scripts.bench import load

    assert (ROOT / "gunicorn.conf.py").is_file()
    assert load.ROOT == ROOT  # the bench starts gunicorn in the checkout
    assert "COPY . ." in (ROOT / "Dockerfile").read_text()  # the image's /app holds it
