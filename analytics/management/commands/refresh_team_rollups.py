"""`manage.py refresh_team_rollups [--date YYYY-MM-DD]`: rebuild the Team page's rollup and forecast."""

import datetime as dt

from django.core.management.base import BaseCommand

from analytics.team.services import team_rollups_refresh


class Command(BaseCommand):
    help = "Rebuild the team rollup (processing time, touches, scorecard) and the 13-week opening forecast."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="'Today' (YYYY-MM-DD).")

    def handle(self, *args, **options):
        if team_rollups_refresh(today=options["date"]):
            self.stdout.write(self.style.SUCCESS("Team rollups rebuilt."))
        else:
            self.stdout.write("Another refresh is running; nothing done.")
