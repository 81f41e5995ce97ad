import time

from django.core.management.base import BaseCommand

from campaigns import services
from campaigns.management.commands._dates import date_option


class Command(BaseCommand):
    help = "Derive every customer's lifecycle stage (new, active, renewing, at risk, lapsed, dormant, won back)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Derive as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        on_date = date_option(options["date"])
        started = time.monotonic()
        changed = services.lifecycle_refresh(on_date=on_date)
        seconds = time.monotonic() - started
        self.stdout.write(f"{changed} customers changed lifecycle stage as of {on_date} ({seconds:.1f} s).")
