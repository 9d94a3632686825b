"""Quorum and vote rules (条例§11, §12) — one place, used by the services, the live quorum panel on
the record form and the API alike.

- 支部党员大会: the base is everyone expected who has a vote (full members; probationary and mobile
  inflow members attend without one) minus approved quorum exclusions. Valid only when MORE than
  half of the base is present: exactly half is not a quorum.
- 支委会: more than half of the committee members expected are present.
- Other kinds have no quorum rule (`is_quorate` is None).
- A resolution passes when the ayes exceed half of those with a vote who should attend (应到会),
  i.e. the same base — never half of those present.
"""

from dataclasses import dataclass

from .models import ATTENDED_STATUSES, MeetingKind

QUORUM_KINDS = (MeetingKind.GENERAL_MEETING, MeetingKind.COMMITTEE_MEETING)


@dataclass(frozen=True)
class Row:
    """What the rule needs of one attendance line."""

    status: str
    expected: bool = True
    has_vote: bool = True
    quorum_excluded: bool = False

    @property
    def attended(self):
        return self.status in ATTENDED_STATUSES


@dataclass(frozen=True)
class Quorum:
    expected: int  # 应到 (expected, not excluded from the base)
    present: int  # 实到 among them
    voting_expected: int  # 有表决权应到 — the base of the quorum and of every vote
    voting_present: int
    is_quorate: bool | None  # None: this kind of meeting has no quorum rule
    needed: int  # voting members who must be present for a quorum (more than half the base)

    @property
    def applies(self):
        return self.is_quorate is not None


def more_than_half(base):
    """The smallest count that is more than half of `base` (exactly half is not enough)."""
    return base // 2 + 1


def compute(kind, rows):
    """The quorum of a meeting of `kind` from its attendance rows (Row or Attendance objects)."""
    counted = [r for r in rows if r.expected and not r.quorum_excluded]
    present = sum(1 for r in counted if r.status in ATTENDED_STATUSES)
    # Every committee member votes in the 支委会 (条例§12).
    voting = counted if kind == MeetingKind.COMMITTEE_MEETING else [r for r in counted if r.has_vote]
    voting_expected = len(voting)
    voting_present = sum(1 for r in voting if r.status in ATTENDED_STATUSES)
    needed = more_than_half(voting_expected)
    is_quorate = None
    if kind in QUORUM_KINDS:
        is_quorate = voting_expected > 0 and voting_present >= needed
    return Quorum(
        expected=len(counted),
        present=present,
        voting_expected=voting_expected,
        voting_present=voting_present,
        is_quorate=is_quorate,
        needed=needed,
    )


def resolution_passes(votes_for, vote_base):
    """Ayes exceed half of those with a vote who should attend (条例§11)."""
    return vote_base > 0 and votes_for * 2 > vote_base
