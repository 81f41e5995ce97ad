from django.core.management.base import BaseCommand

from analytics.services import rollups_refresh


class Command(BaseCommand):
    help = "Rebuild the analytics rollups from the raw rows (--incremental: only months changed since the last run)."

    def add_arguments(self, parser):
        parser.add_argument("--incremental", action="store_true", help="Refresh only the months that changed.")
        # Every date-driven command takes --date; rollups are not date-driven, so it is accepted and unused.
        parser.add_argument("--date", help="Accepted for symmetry with the other commands; has no effect.")

    def handle(self, *args, **options):
        result = rollups_refresh(full=not options["incremental"])
        if result.skipped:
            self.stdout.write("Another refresh is running; nothing done.")
        elif result.rebuilt:
            self.stdout.write(self.style.SUCCESS("Rollups rebuilt."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Rollups refreshed ({result.months} months)."))
