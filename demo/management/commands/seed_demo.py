"""`manage.py seed_demo`: a realistic, deterministic demo book (see the demo package)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.churn import churn_model_fit
from analytics.services import rollups_refresh
from customers.models import Customer
from demo import services
from demo.campaigns import campaigns_demo_line
from demo.history import history_backfill, history_summary
from demo.selectors import demo_users_exist
from demo.team import team_history_seed
from notifications.services import reminders_plan

# Jobs that derive figures from the seeded book (reminders, rollups, churn scores), named after the
# command that runs each on its own; each is owned by its app and optional here: a failing one is
# reported, not fatal.
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
        if options["once"] and demo_users_exist():
            self.stdout.write("Demo data already seeded; nothing to do.")
            return
        if options["customers"] < 1 or options["policies"] < 1:
            raise CommandError("--customers and --policies must be at least 1.")
        if options["reset"]:
            started = time.perf_counter()
            services.domain_reset()
            self.stdout.write(f"reset domain tables in {time.perf_counter() - started:.1f} s")
        elif Customer.objects.exists():
            raise CommandError("The database already holds customers; use --reset to replace them.")
        report = services.seed(
            customers=options["customers"],
            policies=options["policies"],
            seed=options["seed"],
            today=options["date"],
            out=self.stdout.write,
        )
        self.stdout.write(self.style.SUCCESS(f"Seeded {report.line()}"))
        if not options["skip_derived"]:
            self._derived(options["date"])

    def _derived(self, date: dt.date | None) -> None:
        jobs = [self._message_history, self._plan_reminders, self._refresh_rollups, self._fit_churn_model]
        for name, job in zip(DERIVED_COMMANDS, jobs, strict=True):
            try:
                job(date)
            except Exception as exc:  # another app's job failing must not lose the seeded book
                self.stderr.write(f"{name} failed: {type(exc).__name__}: {exc}")
        self.stdout.write(f"team history: {team_history_seed(today=date)['cases']:,} decided cases reshaped")
        self.stdout.write(campaigns_demo_line(today=date))

    # Each job prints what its own command prints, so the output reads the same either way.
    def _message_history(self, date: dt.date | None) -> None:
        self.stdout.write(history_summary(history_backfill(today=date or timezone.localdate())))

    def _plan_reminders(self, date: dt.date | None) -> None:
        on_date = date or timezone.localdate()
        planned = reminders_plan(on_date=on_date)
        self.stdout.write(f"planned {planned} message(s) for {on_date.isoformat()}")

    def _refresh_rollups(self, date: dt.date | None) -> None:
        result = rollups_refresh(full=True)  # rollups are not date-driven
        if result.skipped:
            self.stdout.write("Another refresh is running; nothing done.")
        elif result.rebuilt:
            self.stdout.write(self.style.SUCCESS("Rollups rebuilt."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Rollups refreshed ({result.months} months)."))

    def _fit_churn_model(self, date: dt.date | None) -> None:
        run = churn_model_fit(as_of=date)
        if run.status == run.Status.FITTED:
            self.stdout.write(
                self.style.SUCCESS(f"Fitted on {run.train_cases} cases, AUC {run.auc:.3f}; scored {run.scored_cases}.")
            )
        else:
            self.stdout.write(self.style.WARNING(run.message))
