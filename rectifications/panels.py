"""Escalation on an organisation's page (the issuing organisation's home): its overdue items."""

from django.template.loader import render_to_string

from branches.scoping import scope_for

from .selectors import overdue_for_issuer


def org_panel(request, org):
    if not scope_for(request.user).can_edit(org):
        return ""
    rows, total = overdue_for_issuer(request.user, org)
    if not total:
        return ""
    return render_to_string("rectifications/_org_panel.html", {"rows": rows, "total": total}, request=request)
