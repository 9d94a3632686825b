from .ledger import (
    ACTIVE_STATUSES,
    WORKING_STATUSES,
    Evidence,
    Item,
    ItemStatus,
    ItemTransition,
    Ledger,
    LedgerSource,
    Measure,
    ProgressUpdate,
    ResolutionLevel,
    TransitionAction,
)
from .rules import RectificationRule
from .suggestion import Suggestion, SuggestionKind, SuggestionReply

__all__ = [
    "ACTIVE_STATUSES",
    "WORKING_STATUSES",
    "Evidence",
    "Item",
    "ItemStatus",
    "ItemTransition",
    "Ledger",
    "LedgerSource",
    "Measure",
    "ProgressUpdate",
    "RectificationRule",
    "ResolutionLevel",
    "Suggestion",
    "SuggestionKind",
    "SuggestionReply",
    "TransitionAction",
]
