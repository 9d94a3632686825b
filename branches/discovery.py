"""Let each app contribute a part without this lower app importing the higher ones."""

import functools
import importlib

from django.apps import apps


def app_modules(name):
    """`<app>.<name>` for every installed app that has one, in INSTALLED_APPS order."""
    return _app_modules(name, tuple(config.name for config in apps.get_app_configs()))


@functools.cache
def _app_modules(name, app_names):
    # Found once per set of apps: an app without the module costs a failed import (a walk of
    # sys.path's finders) each time it is asked, which an organisation's page did per request.
    modules = []
    for app in app_names:
        try:
            modules.append(importlib.import_module(f"{app}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{name}":
                raise
    return tuple(modules)


def org_panels(request, org):
    """HTML panels higher apps add to an organisation's page (`<app>.panels.org_panel`), e.g. the
    overdue rectification items escalated to the issuing organisation."""
    from django.utils.safestring import mark_safe

    return [mark_safe(html) for m in app_modules("panels") if (html := m.org_panel(request, org))]
