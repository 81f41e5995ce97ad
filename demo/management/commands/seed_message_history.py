"""`manage.py seed_message_history [--date]`: demo only, see demo/history.py."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from demo.history import history_backfill, history_summary


class Command(BaseCommand):
    help = "Demo data: replay the last months of reminder planning and sending for the open cases."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="'Today' (YYYY-MM-DD).")

    def handle(self, *args, **options):
        totals = history_backfill(today=options["date"] or timezone.localdate())
        self.stdout.write(history_summary(totals))
