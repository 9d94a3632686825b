"""Excel export of a ledger in the paper layout (序号, 问题, 整改措施, 责任人, 责任单位, 整改时限,
推进情况, 状态), with the ledger page's filters."""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exports.base import ListExporter, register

from . import selectors
from .models import Item, Ledger


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register
class LedgerExporter(ListExporter):
    """Params (strings, as the ledger page posts them): `ledger` (required), `status`, `overdue`,
    `unit`, `category`."""

    code = "rectification_ledger"
    label = _("整改台账")
    sheet_title = "整改台账"

    def headers(self):
        return list(selectors.PAPER_COLUMNS)

    def queryset(self, user, params):
        ledger = Ledger.objects.visible_to(user).filter(pk=_int(params.get("ledger"))).first()
        if ledger is None:
            return Item.objects.none()
        return selectors.items_table(
            Item.objects.visible_to(user).filter(ledger=ledger),
            status=params.get("status") or "",
            overdue=params.get("overdue") or "",
            unit=_int(params.get("unit")),
            category=params.get("category") or "",
            user=user,
        )

    def iterate_rows(self, user, params):
        today = timezone.localdate()
        qs = self.queryset(user, params).for_table(today).order_by("ledger", "seq")
        for item in qs.iterator(chunk_size=500):
            yield selectors.paper_row(item, today, overdue_label=gettext("（已逾期）"))

    def filename(self, params):
        return "整改台账.xlsx"
