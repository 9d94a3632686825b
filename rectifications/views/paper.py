"""The paper layout's rows (序号, 问题, 整改措施, 责任人, 责任单位, 整改时限, 推进情况, 状态) as HTML, each
built once in Python from `selectors.table_rows` — as the admin builds its change list's rows
(`items_for_result`). Written as a template loop, the twenty-odd lookups, filters and tags of each
row were most of a ledger page's CPU. `_table.html` places the rows; the text is the same as the
template's (`truncatechars`, `date:"Y-m-d"`, the same msgids as its `{% blocktrans %}`)."""

import unicodedata
from html import escape  # django.utils.html.escape's own, without its lazy-text wrapper

from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from ..models import ItemStatus

STATUS_BADGES = {
    ItemStatus.CLOSED: "text-bg-success",
    ItemStatus.CLOSEOUT_REQUESTED: "text-bg-info",
    ItemStatus.OPEN: "text-bg-secondary",
}
NO_UPDATE = '<span class="text-secondary">—</span>'


def truncated(text, length):
    """What the `truncatechars` filter makes of `text`, without its per-character loop for the
    usual text that fits (and is already NFC, as the filter returns it)."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


def _others(people, lead_id):
    """The 责任人 other than the 总负责人, "、" after each but the last of them all (the lead
    included, as the template's `forloop.last` had it)."""
    last = len(people) - 1
    return "".join(name + ("、" if i < last else "") for i, (pk, name) in enumerate(people) if pk != lead_id)


def rows_html(rows, *, show_ledger=False):
    """Set each row's `html`: its <tr>, every value escaped (`rows` from `selectors.table_rows`).
    The translations as the template's tags make them: `{% trans %}` escaped, `{% blocktrans %}`
    as written with its values escaped."""
    # One reverse a page: the item URL around a placeholder pk, the row's pk put in its place.
    url_head, _zero, url_tail = (
        escape(part) for part in reverse("rectifications:item", args=[0]).rpartition("0")
    )
    labels = {value: escape(str(label)) for value, label in ItemStatus.choices}
    due_label, lead_label, returned_label = (escape(gettext(s)) for s in ("时限", "总负责人", "被退回"))
    late_message = gettext("本月推进情况未按时报送（%(d)s前）")
    for row in rows:
        status, lead_id, deadline = row["status"], row["lead_person_id"], row["deadline"].isoformat()
        ledger = (
            f'<div class="text-secondary">{escape(truncated(row["ledger__title"], 16))}</div>'
            if show_ledger
            else ""
        )
        category = (
            f'<span class="badge text-bg-light">{escape(row["category"])}</span> ' if row["category"] else ""
        )
        measures = "".join(
            f"<div>{seq}. {escape(truncated(text, 80))}</div>" for seq, text in row["measures"]
        )
        lead = (
            f'<div><span class="text-secondary">{lead_label}</span> {escape(row["lead_person__name"])}</div>'
            if lead_id
            else ""
        )
        units = "".join(f"<div>{escape(name)}</div>" for name in row["units"])
        latest = row["latest"]
        if latest:
            latest = (
                f'<div class="text-secondary">{latest[0].isoformat()}</div>{escape(truncated(latest[1], 80))}'
            )
        late = ""
        if row["update_is_late"]:
            due = row["update_due"]
            late = (
                f'<div class="text-danger">{late_message % {"d": escape(f"{due.month}月{due.day}日")}}</div>'
            )
        overdue = ""
        if row["is_overdue"]:
            n = row["days_late"]
            text = ngettext("逾期%(n)s天", "逾期%(n)s天", n) % {"n": n}
            overdue = f' <span class="badge text-bg-danger" data-testid="overdue">{text}</span>'
        returned = ""
        if row["return_count"] and status == ItemStatus.IN_PROGRESS:
            returned = f' <span class="badge text-bg-warning">{returned_label}</span>'
        row["html"] = mark_safe(
            '<tr data-testid="item-row">\n'
            f'        <td class="text-nowrap">{ledger}{row["seq"]}</td>\n'
            f'        <td>{category}<a href="{url_head}{row["id"]}{url_tail}">{escape(truncated(row["problem"], 120))}</a>\n'
            '          <div class="small text-secondary d-sm-none mt-1">'
            f"{escape('、'.join(row['units']))} · {due_label} {deadline}</div></td>\n"
            f'        <td class="pa-hide-sm">{measures}</td>\n'
            f'        <td class="pa-hide-sm">{lead}{escape(_others(row["people"], lead_id))}</td>\n'
            f'        <td class="pa-hide-sm">{units}</td>\n'
            f'        <td class="text-nowrap pa-hide-sm">{deadline}</td>\n'
            f'        <td class="pa-hide-sm">{latest or NO_UPDATE}\n'
            f"          {late}</td>\n"
            f'        <td><span class="badge {STATUS_BADGES.get(status, "text-bg-primary")}" data-testid="item-status">'
            f"{labels.get(status) or escape(status)}</span>{overdue}{returned}\n"
            "</td>\n"
            "      </tr>"
        )
    return rows
