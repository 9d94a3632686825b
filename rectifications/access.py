"""Who may do what with a ledger item (domain §2.6, §4).

- The responsible unit works the item: claims it, reports progress, asks for close-out. Its
  people are those whose authority (a branch post, a grant) is rooted within a responsible unit —
  below the issuer, or at the issuer when the issuer itself is a responsible unit.
- The issuing organisation verifies (销号) or returns: authority rooted at or above the issuer —
  but never by someone who works the item: a branch can never verify its own item, so an item the
  issuer assigned to itself is verified from above.
- A responsible person (总负责人 or 责任人) may report progress on their item.
"""

from django.utils.translation import gettext_lazy as _

from branches.models import OrgKind
from branches.scoping import scope_for

from .models import ItemStatus

ACTION_LABELS = {
    "claim": _("认领"),
    "progress": _("报送推进情况"),
    "request_closeout": _("申请销号"),
    "verify": _("验收销号"),
    "return": _("退回整改"),
}


def _roots(scope):
    return (*scope.staff_paths, *scope.officer_paths)


def can_issue(user, org):
    """Open a ledger for `org`: whoever may edit it (its officers or the committee above)."""
    return org.kind != OrgKind.PARTY_GROUP and scope_for(user).can_edit(org)


def works_item(user, item, units=None):
    scope = scope_for(user)
    if scope.is_admin:
        return True
    issuer = item.ledger.issuer
    units = list(item.units.all()) if units is None else units
    for p in _roots(scope):
        if not p.startswith(issuer.path):
            continue  # rooted above the issuer (or elsewhere): the issuer's side, not the unit's
        for unit in units:
            if unit.path.startswith(p) and (p != issuer.path or unit.pk == issuer.pk):
                return True
    return False


def verifies_item(user, item, units=None):
    scope = scope_for(user)
    if scope.is_admin:
        return True
    issuer = item.ledger.issuer
    units = list(item.units.all()) if units is None else units
    unit_paths = {u.path for u in units}
    return any(issuer.path.startswith(p) and p not in unit_paths for p in _roots(scope))


def is_responsible(user, item, people=None):
    ids = set(scope_for(user).member_ids)
    if not ids:
        return False
    people = list(item.responsible_people.all()) if people is None else people
    return item.lead_person_id in ids or any(m.pk in ids for m in people)


def allowed_actions(user, item):
    """The transitions `user` may make on `item` now (the item's units and people prefetched)."""
    units, people = list(item.units.all()), list(item.responsible_people.all())
    worker = works_item(user, item, units)
    actions = []
    if item.status == ItemStatus.OPEN and worker:
        actions.append("claim")
    if item.status in (ItemStatus.CLAIMED, ItemStatus.IN_PROGRESS) and (
        worker or is_responsible(user, item, people)
    ):
        actions.append("progress")
    if item.status == ItemStatus.IN_PROGRESS and worker:
        actions.append("request_closeout")
    if (
        item.status == ItemStatus.CLOSEOUT_REQUESTED
        and verifies_item(user, item, units)
        and not (worker and not scope_for(user).is_admin)
    ):
        actions.extend(["verify", "return"])
    return actions
