from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationsConfig(AppConfig):
    """整改台账: ledgers, items, progress, verification and close-out (销号), the suggestion box."""

    name = "rectifications"
    verbose_name = _("整改台账")

    def ready(self):
        from audit.services import register

        from . import exporters  # noqa: F401  (registers the ledger export)
        from .models import (
            Evidence,
            Item,
            Ledger,
            Measure,
            ProgressUpdate,
            RectificationRule,
            SuggestionReply,
        )

        # Item status moves are bulk updates with their own named entries (rectifications.item.*);
        # suggestions log their own entries so an anonymous one carries no actor.
        for model in (Ledger, Item, Measure, ProgressUpdate, SuggestionReply, RectificationRule):
            register(model)
        register(Evidence, exclude=("file",))  # the trail keeps its name and size
