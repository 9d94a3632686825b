from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """党建驾驶舱, the branch page and the member page, read from per-organisation per-period
    rollups of compliance.metrics kept current by the lower apps' signals."""

    name = "dashboards"
    verbose_name = _("党建驾驶舱")

    def ready(self):
        from . import signals

        signals.connect()
