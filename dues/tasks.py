"""Thin Celery wrappers: the monthly generation and the January lock run from beat
(CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task
from django.utils import timezone

from .generation import generate_month
from .services import lock_verified_bases


@shared_task(acks_late=True)
def generate_current_month():
    """This month's obligations for everyone (idempotent: a redelivery adds nothing)."""
    charges, reversals = generate_month(timezone.localdate())
    return {"charges": charges, "reversals": reversals}


@shared_task(acks_late=True)
def lock_bases_for_year():
    """The January lock (local practice, domain spec §2.3): verified bases of the year are locked."""
    return lock_verified_bases(timezone.localdate().year)
