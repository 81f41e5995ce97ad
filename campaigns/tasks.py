"""Periodic jobs of the campaigns app (scheduled in config/celery.py). Thin: they call services."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from campaigns import services


def _date(on_date: str | None) -> dt.date:
    return dt.date.fromisoformat(on_date) if on_date else timezone.localdate()


@shared_task(name="campaigns.tasks.refresh_lifecycle", time_limit=15 * 60, soft_time_limit=14 * 60)
def refresh_lifecycle(on_date: str | None = None) -> int:
    """Every customer's lifecycle stage as of the day, with the changes kept (idempotent)."""
    return services.lifecycle_refresh(on_date=_date(on_date))


@shared_task(name="campaigns.tasks.run_campaigns", time_limit=15 * 60, soft_time_limit=14 * 60)
def run_campaigns(on_date: str | None = None) -> dict:
    """Match outcomes and plan the due messages of every running campaign (idempotent)."""
    return services.campaigns_run_due(on_date=_date(on_date))
