import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from renewals import services


class Command(BaseCommand):
    help = "Open a renewal case for every active policy whose line's renewal window has opened (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Scan as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        try:
            on_date = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        opened = services.cases_open_due(on_date=on_date)
        self.stdout.write(f"Opened {opened} renewal cases as of {on_date}.")
