"""Periodic jobs of the renewals app (scheduled in config/celery.py). Thin: they call services."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from renewals import services


def _date(on_date: str | None) -> dt.date:
    return dt.date.fromisoformat(on_date) if on_date else timezone.localdate()


@shared_task(name="renewals.tasks.open_renewal_cases", time_limit=15 * 60, soft_time_limit=14 * 60)
def open_renewal_cases(on_date: str | None = None) -> int:
    """Open cases whose renewal window has opened (idempotent, so safe to retry)."""
    return services.cases_open_due(on_date=_date(on_date))


@shared_task(name="renewals.tasks.lapse_cases", time_limit=15 * 60, soft_time_limit=14 * 60)
def lapse_cases(on_date: str | None = None) -> int:
    """Lapse undecided cases past their last day, then mark policies past their end date expired
    (both batched, rows claimed with SKIP LOCKED). Answers the number of cases lapsed."""
    day = _date(on_date)
    lapsed = services.cases_lapse_due(on_date=day)
    services.policies_expire_due(on_date=day)
    return lapsed


@shared_task(name="renewals.tasks.refresh_attach_rates", time_limit=15 * 60, soft_time_limit=14 * 60)
def refresh_attach_rates(on_date: str | None = None) -> int:
    """Recompute the add-on attach rates per segment over the last 12 months (set-based)."""
    from renewals.addons.selectors import attach_rates_refresh

    return attach_rates_refresh(as_of=_date(on_date))


@shared_task(name="renewals.tasks.reapply_playbook", time_limit=60 * 60, soft_time_limit=59 * 60)
def reapply_playbook(playbook_id: int, actor_id: int | None) -> int:
    """A manager's re-apply of a playbook to open cases, in batches (idempotent: a retry moves only
    the cases not moved yet; audited once per run that moved cases)."""
    from renewals.playbooks.services import playbook_reapply_job

    return playbook_reapply_job(playbook_id=playbook_id, actor_id=actor_id)
