"""Let each app contribute a part without this lower app importing the higher ones."""

import importlib

from django.apps import apps


def app_modules(name):
    """`<app>.<name>` for every installed app that has one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        try:
            yield importlib.import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise


def org_panels(request, org):
    """HTML panels higher apps add to an organisation's page (`<app>.panels.org_panel`), e.g. the
    overdue rectification items escalated to the issuing organisation."""
    from django.utils.safestring import mark_safe

    return [mark_safe(html) for m in app_modules("panels") if (html := m.org_panel(request, org))]
