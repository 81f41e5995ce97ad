"""`manage.py seed_demo`: a realistic, deterministic demo book (see renewals/demo.py)."""

import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from renewals import demo

# Jobs that derive figures from the seeded book (reminders, rollups, churn scores); each is
# owned by its app and optional here: a missing or failing one is reported, not fatal.
DERIVED_COMMANDS = ["seed_message_history", "plan_reminders", "refresh_rollups", "fit_churn_model"]


class Command(BaseCommand):
    help = "Seed demo users and a realistic, deterministic book of customers, policies and renewal cases."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=3000, help="Customers to create (default 3,000).")
        parser.add_argument("--policies", type=int, default=6000, help="Policies to create (default 6,000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same book.")
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="'Today' (YYYY-MM-DD).")
        parser.add_argument("--once", action="store_true", help="Do nothing if the demo users already exist.")
        parser.add_argument("--reset", action="store_true", help="Empty the customer/policy/case tables first.")
        parser.add_argument(
            "--skip-derived", action="store_true", help=f"Do not run {', '.join(DERIVED_COMMANDS)} afterwards."
        )

    def handle(self, *args, **options):
        if options["once"] and demo.demo_users_exist():
            self.stdout.write("Demo data already seeded; nothing to do.")
            return
        if options["customers"] < 1 or options["policies"] < 1:
            raise CommandError("--customers and --policies must be at least 1.")
        if options["reset"]:
            started = time.perf_counter()
            demo.domain_reset()
            self.stdout.write(f"reset domain tables in {time.perf_counter() - started:.1f} s")
        elif Customer.objects.exists():
            raise CommandError("The database already holds customers; use --reset to replace them.")
        report = demo.seed(
            customers=options["customers"],
            policies=options["policies"],
            seed=options["seed"],
            today=options["date"],
            out=self.stdout.write,
        )
        self.stdout.write(self.style.SUCCESS(f"Seeded {report.line()}"))
        if not options["skip_derived"]:
            self._derived(options["date"])

    def _derived(self, date):
        for name in DERIVED_COMMANDS:
            args = ["--date", date.isoformat()] if date else []
            try:
                call_command(name, *args, stdout=self.stdout, stderr=self.stderr)
            except CommandError as exc:
                self.stderr.write(f"skipped {name}: {exc}")
            except Exception as exc:  # another app's job failing must not lose the seeded book
                self.stderr.write(f"{name} failed: {type(exc).__name__}: {exc}")
