"""The branch dues ledger (党费台账) as an Excel export: every obligation and payment entry of a
year, in date order, scoped to the user like every page."""

import itertools

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from branches.models import Organization
from exports.base import ListExporter, register

from .models import Channel, DuesObligation, DuesPayment, EntryKind, PaymentKind, period_label


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register
class DuesLedgerExporter(ListExporter):
    """Params: `branch` (required, an organisation the user can see) and `year`."""

    code = "dues_ledger"
    label = _("党费台账")
    sheet_title = "党费台账"

    def headers(self):
        return [
            _("日期"),
            _("姓名"),
            _("类型"),
            _("月份"),
            _("应交（元）"),
            _("实交（元）"),
            _("收据编号"),
            _("交纳方式"),
            _("代交人"),
            _("说明"),
        ]

    def _branch(self, user, params):
        pk = _int(params.get("branch"))
        return Organization.objects.visible_to(user).filter(pk=pk).first() if pk is not None else None

    def _year(self, params):
        year = _int(params.get("year"))
        return year if year and 2000 <= year <= 2100 else None

    def queryset(self, user, params):
        branch, year = self._branch(user, params), self._year(params)
        if branch is None or year is None:
            return DuesObligation.objects.none()
        return DuesObligation.objects.visible_to(user).filter(
            branch=branch, period__gte=year * 12, period__lt=(year + 1) * 12
        )

    def _payments(self, user, params):
        branch, year = self._branch(user, params), self._year(params)
        if branch is None or year is None:
            return DuesPayment.objects.none()
        return DuesPayment.objects.visible_to(user).filter(branch=branch, paid_on__year=year)

    def iterate_rows(self, user, params):
        kinds = {
            EntryKind.CHARGE: gettext("应交"),
            EntryKind.REVERSAL: gettext("应交冲销"),
        }
        channels = {v: str(label) for v, label in Channel.choices}
        obligations = (
            (o.created_at.date(), 0, o.pk, o)
            for o in self.queryset(user, params)
            .select_related("member")
            .order_by("created_at", "pk")
            .iterator(2000)
        )
        payments = (
            (p.paid_on, 1, p.pk, p)
            for p in self._payments(user, params)
            .select_related("member")
            .prefetch_related("allocations")
            .order_by("paid_on", "pk")
        )
        for day, _kind, _pk, entry in sorted(itertools.chain(obligations, payments), key=lambda r: r[:3]):
            if isinstance(entry, DuesObligation):
                yield [
                    day,
                    entry.member.name,
                    kinds[entry.kind],
                    entry.period_label,
                    entry.amount,
                    None,
                    "",
                    "",
                    "",
                    entry.reason,
                ]
            else:
                months = "、".join(period_label(a.period) for a in entry.allocations.all())
                if entry.reverses_id:
                    kind = gettext("交纳冲销")
                elif entry.kind == PaymentKind.VOLUNTARY:
                    kind = gettext("自愿多交")
                else:
                    kind = gettext("交纳")
                yield [
                    day,
                    entry.member.name,
                    kind,
                    months,
                    None,
                    entry.amount,
                    entry.receipt_no,
                    channels.get(entry.channel, entry.channel),
                    entry.payer_name,
                    entry.reason or entry.note,
                ]
