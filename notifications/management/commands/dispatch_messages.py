import datetime as dt

from django.core.management.base import BaseCommand

from notifications.services import dispatch_reference_time, messages_dispatch_due


class Command(BaseCommand):
    help = "Send every message that is due now, once (the periodic task does the same every minute)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            default=None,
            help="YYYY-MM-DD: send what is due up to the end of that day (TIME_ZONE), or up to now if "
            "that is earlier (default: now)",
        )
        parser.add_argument("--max-batches", type=int, default=1000)

    def handle(self, *args, **options):
        due_by = dispatch_reference_time(on_date=options["date"])
        totals = messages_dispatch_due(max_batches=options["max_batches"], due_by=due_by)
        summary = ", ".join(f"{name} {count}" for name, count in sorted(totals.items())) or "nothing due"
        self.stdout.write(f"{summary} (due by {due_by.isoformat(timespec='seconds')})")
