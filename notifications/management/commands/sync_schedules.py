from django.core.management.base import BaseCommand

from notifications.schedules import sync_beat_schedule


class Command(BaseCommand):
    help = "Create the periodic tasks of CELERY_BEAT_SCHEDULE in django-celery-beat (editable in admin)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="overwrite entries edited in admin")

    def handle(self, *args, reset, **options):
        created = sync_beat_schedule(reset=reset)
        self.stdout.write(f"periodic tasks created: {', '.join(created) or 'none'}")
