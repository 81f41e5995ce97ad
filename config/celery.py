"""The Celery app and the whole beat schedule, in one place.

Due times live in the database; beat only wakes the periodic jobs that pick up what is due.
django-celery-beat's DatabaseScheduler copies these entries into its tables on start, where
managers may tune them in the admin.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("renewal_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["renewals.imports"])  # renewals/imports/tasks.py (bulk import jobs)
app.autodiscover_tasks(["notifications"], related_name="archive")  # notifications/archive.py (history archive)

BEAT_SCHEDULE = {
    # Open a case for every policy whose line's renewal window opened today.
    "open-renewal-cases": {"task": "renewals.tasks.open_renewal_cases", "schedule": crontab(hour=1, minute=0)},
    # Undecided cases past expiry + grace (or a reopened case's decision date) become lapsed, and
    # policies past their end date become expired.
    "lapse-cases": {"task": "renewals.tasks.lapse_cases", "schedule": crontab(hour=1, minute=30)},
    # The add-ons' attach rates per segment (last 12 months) that the case page's suggestions read.
    "refresh-attach-rates": {"task": "renewals.tasks.refresh_attach_rates", "schedule": crontab(hour=1, minute=45)},
    # Plan the outbox rows of reminder steps that came due (idempotent).
    "plan-reminders": {"task": "notifications.tasks.plan_reminders", "schedule": crontab(minute="*/15")},
    # The statutory notice PDFs of the day's notices, in batches, before the morning's sends
    # (dispatch issues a missing one itself; a case that has its document is skipped).
    "prepare-notice-documents": {
        "task": "notifications.tasks.prepare_notice_documents",
        "schedule": crontab(hour=0, minute=20),
    },
    # Send what is due; the outbox lease makes overlapping runs safe.
    "dispatch-messages": {"task": "notifications.tasks.dispatch_messages", "schedule": crontab(minute="*")},
    # Flag complaints whose SLA has been breached so managers see them.
    "escalate-complaints": {"task": "customers.tasks.escalate_breached_complaints", "schedule": crontab(minute="*")},
    # Keep the dashboard rollups fresh for recently changed cases.
    "refresh-rollups": {"task": "analytics.tasks.refresh_rollups", "schedule": crontab(minute="*/10")},
    # The Team page's rollup and 13-week forecast: a full set-based rebuild, hourly (figures by month).
    "refresh-team-rollups": {"task": "analytics.tasks.refresh_team_rollups", "schedule": crontab(minute=20)},
    # Refit the churn model on decided cases and rescore open ones, nightly.
    "fit-churn-model": {"task": "analytics.tasks.fit_churn_model", "schedule": crontab(hour=2, minute=0)},
    # Customers' lifecycle stages from the night's policies, cases and churn scores (after the refit).
    "refresh-lifecycle": {"task": "campaigns.tasks.refresh_lifecycle", "schedule": crontab(hour=3, minute=0)},
    # Win-back campaigns: outcomes matched to new policies, messages due handed to the outbox, ended ones finished.
    "run-campaigns": {"task": "campaigns.tasks.run_campaigns", "schedule": crontab(hour=3, minute=30)},
    # Old final history (closed cases' events and sent/skipped/failed messages) to the archive
    # tables, then the retention limit (docs/retention.md); after the night's jobs, before the sends.
    "archive-history": {"task": "notifications.archive.archive_history", "schedule": crontab(hour=4, minute=15)},
}
app.conf.beat_schedule = BEAT_SCHEDULE
