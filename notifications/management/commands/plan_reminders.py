import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.services import reminders_plan


class Command(BaseCommand):
    help = "Plan the outbox rows of every reminder step that is due (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        on_date = options["date"] or timezone.localdate()
        planned = reminders_plan(on_date=on_date)
        self.stdout.write(f"planned {planned} message(s) for {on_date.isoformat()}")
