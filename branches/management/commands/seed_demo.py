"""Load the demo organisation and the four demo accounts. Idempotent: a second run changes nothing.

Each app contributes its own part in a `demo.py` module with `seed(ctx)`, run in INSTALLED_APPS
order (the org tree first, then members and posts, then whatever later apps add), so this lower
app never imports the higher ones."""

import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from audit.context import acting_as
from branches.discovery import app_modules

DEMO_PASSWORD = "partyaffairs-demo"
DEMO_ACCOUNTS = (
    ("admin", "系统管理员"),
    ("committee", "机关党委工作人员（党务专干）"),
    ("secretary", "办公室党支部书记"),
    ("member", "办公室党支部党员"),
)


def set_demo_password(user):
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()


class Command(BaseCommand):
    help = "Load the demo organisation and the demo accounts (admin, committee, secretary, member)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password; refusing with DEBUG off. "
                "Use --force if this really is a demo installation."
            )
        User = get_user_model()
        with transaction.atomic():
            admin, _ = User.objects.get_or_create(
                username="admin", defaults={"name": "系统管理员", "is_staff": True, "is_superuser": True}
            )
            set_demo_password(admin)
            ctx = {
                "admin": admin,
                "rng": random.Random(20261122),
                "today": timezone.localdate(),
                "set_password": set_demo_password,
            }
            with acting_as(admin):
                for module in app_modules("demo"):
                    module.seed(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Demo accounts (password: {DEMO_PASSWORD}):"))
        for username, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {role}")
