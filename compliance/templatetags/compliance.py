"""`{% compliance_panel org user %}`: the "本月/本季度应开会议" panel of a branch's page (the
secretary's home page) — this month's, this quarter's and this year's obligations with their status,
and how many members have had no organisational life for six months. A committee's page gets a link
to its subtree's compliance table instead."""

from django import template
from django.utils import timezone

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
    due = []
    for rule in report.branches[0].rule_list if report.branches else ():
        if rule.status == NOT_APPLICABLE:
            continue
        window = rule.windows[0].window
        due.append({"rule": rule, "window": window, "done": rule.status == MET})
    due.sort(key=lambda d: (d["done"], d["window"].end))
    members = Member.objects.visible_to(user).filter(branch=org)
    context.update(due=due, inactive=selectors.members_without_org_life(members).count())
    return context
