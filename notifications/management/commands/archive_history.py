from django.core.management.base import BaseCommand

from notifications.archive import history_archive, hot_months, retention_months


class Command(BaseCommand):
    help = (
        "Move the events and final messages of cases closed more than HISTORY_HOT_MONTHS ago to the "
        "archive tables, then delete archived rows older than HISTORY_RETENTION_MONTHS (docs/retention.md). "
        "Idempotent; the nightly beat task does the same."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk", type=int, default=None, help="cases per transaction (default: HISTORY_ARCHIVE_CHUNK)"
        )
        parser.add_argument("--max-seconds", type=float, default=None, help="start no new chunk after this long")

    def handle(self, *args, **options):
        result = history_archive(chunk=options["chunk"], max_seconds=options["max_seconds"])
        if result.busy:
            self.stdout.write("another archive run holds the lock; stopped (run again later)")
        kept = f"{retention_months()} months" if retention_months() else "for ever"
        self.stdout.write(
            f"archived {result.events} events and {result.messages} messages of {result.cases} cases "
            f"(hot: {hot_months()} months, before {result.cutoff:%Y-%m-%d}); "
            f"retention ({kept}) deleted {result.deleted_events} events and {result.deleted_messages} messages; "
            f"{result.seconds:.1f} s"
        )
