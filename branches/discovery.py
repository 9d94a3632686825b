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
