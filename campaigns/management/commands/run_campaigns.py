from django.core.management.base import BaseCommand

from campaigns import services
from campaigns.management.commands._dates import date_option


class Command(BaseCommand):
    help = "Match campaign outcomes (new policies, lost cases, no response) and plan the messages due."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        on_date = date_option(options["date"])
        totals = services.campaigns_run_due(on_date=on_date)
        figures = ", ".join(f"{key} {value}" for key, value in sorted(totals.items())) or "nothing to do"
        self.stdout.write(f"Campaigns as of {on_date}: {figures}.")
