from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = _("组织")

    def ready(self):
        from audit.services import register

        from .models import CommitteePost, Grant, Organization, TermRule

        register(Organization, exclude=("path", "depth", "numchild"))  # a move is logged as its own event
        register(CommitteePost)
        register(Grant)
        register(TermRule)

        from . import exporters  # noqa: F401 — registers the org-tree export
