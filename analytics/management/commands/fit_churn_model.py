from django.core.management.base import BaseCommand

from analytics.churn import churn_model_fit


class Command(BaseCommand):
    help = (
        "Fit the churn model on decided cases (validated on the latest period) and score every open case "
        "(0-100, top three reasons); with too little history, clear the old scores."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Fit as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        import datetime as dt

        as_of = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        run = churn_model_fit(as_of=as_of)
        if run.status == run.Status.FITTED:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Fitted on {run.train_cases} cases due before {run.diagnostics.get('cutoff')}, "
                    f"held-out AUC {run.auc:.3f} on {run.test_cases} later cases; scored {run.scored_cases}."
                )
            )
        else:
            self.stdout.write(self.style.WARNING(run.message))
