from django.core.management.base import BaseCommand

from notifications.services import messages_dispatch_due


class Command(BaseCommand):
    help = "Send every message that is due now, once (the periodic task does the same every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--max-batches", type=int, default=1000)

    def handle(self, *args, **options):
        totals = messages_dispatch_due(max_batches=options["max_batches"])
        summary = ", ".join(f"{name} {count}" for name, count in sorted(totals.items())) or "nothing due"
        self.stdout.write(summary)
