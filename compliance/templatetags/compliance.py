"""`{% compliance_panel org user %}`: the "本月/本季度应开会议" panel of a branch's page (the
secretary's home page) — this month's, this quarter's and this year's obligations with their status,
and how many members have had no organisational life for six months. A committee's page gets a link
to its subtree's compliance table instead."""

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from branches.models import BRANCH_KINDS
from members.models import Member

from .. import selectors
from ..engine import MET, NOT_APPLICABLE, evaluate
from ..periods import MONTH, QUARTER, current

register = template.Library()


@register.inclusion_tag("compliance/_panel.html")
def compliance_panel(org, user):
    today = timezone.localdate()
    month = current(MONTH, today)
    context = {
        "org": org,
        "month": month,
        "quarter": current(QUARTER, today),
        "is_branch": org.kind in BRANCH_KINDS,
    }
    if not context["is_branch"]:
        return context
    report = evaluate(org, month, today=today)
    due, badges = [], {}
    for rule in report.branches[0].rule_list if report.branches else ():
        status = rule.status
        if status == NOT_APPLICABLE:
            continue
        window = rule.windows[0].window
        done = status == MET
        if status not in badges:
            # The status badge rendered once per status, not included once per row.
            badges[status] = render_to_string("compliance/_status.html", {"status": status})
        due.append(
            {
                "label": rule.label,
                "window": window.label,
                "end": window.end,
                "deadline": "" if done else _("%(day)s 前") % {"day": date_format(window.end, "m-d")},
                "counts": _("已开并锁定记录 %(h)s 次，应开 %(r)s 次") % {"h": rule.held, "r": rule.required},
                "badge": mark_safe(badges[status]),
                "done": done,
            }
        )
    due.sort(key=lambda d: (d["done"], d["end"]))
    members = Member.objects.visible_to(user).filter(branch=org)
    inactive = selectors.members_without_org_life(members, last_attended=False).count()
    context.update(due=due, inactive=inactive)
    return context
