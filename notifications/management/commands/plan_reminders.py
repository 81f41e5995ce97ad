import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.services import STALE_DAYS, reminders_plan


class Command(BaseCommand):
    help = "Plan the outbox rows of every reminder step that is due (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--catch-up-days",
            type=int,
            default=STALE_DAYS,
            help=f"plan missed steps up to this many days old (default {STALE_DAYS}; raise after an outage)",
        )

    def handle(self, *args, **options):
        on_date = options["date"] or timezone.localdate()
        planned = reminders_plan(on_date=on_date, catch_up_days=options["catch_up_days"])
        self.stdout.write(f"planned {planned} message(s) for {on_date.isoformat()}")
