import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from renewals import services


class Command(BaseCommand):
    help = "Move undecided renewal cases past their last day to lapsed and policies past their end date to expired."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Lapse as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        try:
            on_date = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        lapsed = services.cases_lapse_due(on_date=on_date)
        expired = services.policies_expire_due(on_date=on_date)
        self.stdout.write(f"Lapsed {lapsed} renewal cases and expired {expired} policies as of {on_date}.")
