"""Rebuild the derived dues tables (per-branch month summary, per-member arrears state) from the
ledger: after a bulk load, a restore, or to check them. Set-based; a tier M city takes a minute."""

import time

from django.core.management.base import BaseCommand, CommandError

from branches.models import Organization
from dues import summary


class Command(BaseCommand):
    help = "Rebuild dues summary tables (DuesMonthSummary, DuesArrearsState) from the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="code of an organisation: rebuild only its subtree")
        parser.add_argument("--arrears-only", action="store_true", help="only the per-member arrears state")

    def handle(self, *args, **options):
        paths = None
        if options["org"]:
            org = Organization.objects.filter(code=options["org"]).order_by("depth").first()
            if org is None:
                raise CommandError(f"--org: no organisation with code {options['org']!r}")
            paths = [org.path]
        started = time.monotonic()
        if options["arrears_only"]:
            rows, arrears = 0, summary.refresh_arrears(paths=paths)
        else:
            rows, arrears = summary.rebuild(paths=paths)
        self.stdout.write(
            f"{rows} summary rows, {arrears} members in arrears in {time.monotonic() - started:.1f}s"
        )
