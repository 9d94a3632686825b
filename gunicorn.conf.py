"""gunicorn's settings for partyaffairs, read from the working directory: the image's /app
(Dockerfile) and the checkout `make bench` serves from. Command-line options (bind, workers)
still come from whoever starts gunicorn."""

import gc


def post_worker_init(worker):
    """Once a worker has loaded Django: import the URLconf (every view module) now rather than in
    the first request, then move the ~350,000 long-lived objects of the interpreter, Django and the
    apps to the permanent generation (`gc.freeze`). Python's full collections no longer walk them:
    in-process at tier M a full collection took ~160 ms — a pause for whichever request set it
    off — and ~17 ms with them frozen (docs/benchmarks-notes.md)."""
    freeze_long_lived_objects()


def freeze_long_lived_objects():
    # In each worker, after it loaded the application itself (no --preload). With --preload the
    # freeze belongs in the master before the fork: a collection in every worker would touch, and
    # so copy, every page of memory the workers share with it.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — imports the views
    gc.collect()
    gc.freeze()
