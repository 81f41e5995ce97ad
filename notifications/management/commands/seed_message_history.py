"""`manage.py seed_message_history [--date]`: demo only, see notifications/demo.py."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.demo import history_backfill


class Command(BaseCommand):
    help = "Demo data: replay the last months of reminder planning and sending for the open cases."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="'Today' (YYYY-MM-DD).")

    def handle(self, *args, **options):
        totals = history_backfill(today=options["date"] or timezone.localdate())
        summary = ", ".join(f"{count:,} {outcome}" for outcome, count in sorted(totals.items())) or "nothing"
        self.stdout.write(f"message history: {summary}")
