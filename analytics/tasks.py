"""Celery tasks of the analytics app (names as in config/celery.py's beat schedule)."""

from celery import shared_task

from .churn import churn_model_fit
from .selectors.price_sensitivity import book_curve_refresh
from .services import rollups_refresh
from .team.tasks import refresh_team_rollups  # noqa: F401  (registers the Team page's hourly task)


@shared_task(name="analytics.tasks.refresh_rollups", time_limit=30 * 60, soft_time_limit=29 * 60)
def refresh_rollups(full: bool = False) -> dict:
    """Every 10 minutes: months touched since the last run (and a full rebuild once a day)."""
    result = rollups_refresh(full=full)
    return {"rebuilt": result.rebuilt, "skipped": result.skipped, "months": result.months}


@shared_task(name="analytics.tasks.fit_churn_model", time_limit=60 * 60, soft_time_limit=59 * 60)
def fit_churn_model() -> dict:
    """Nightly: refit on decided cases and rescore every open case; recount the 12-month
    price-sensitivity curve the quote preview reads (it moves with the same decided cases)."""
    run = churn_model_fit()
    curve_keys = book_curve_refresh()
    return {"run_id": run.pk, "status": run.status, "scored": run.scored_cases, "curve_keys": curve_keys}


@shared_task(name="analytics.tasks.refresh_price_curve", time_limit=15 * 60, soft_time_limit=14 * 60)
def refresh_price_curve() -> dict:
    """Enqueued by a request that found the price curve's cache cold (once, under a cache lock):
    recount the 12-month curve the quote preview reads, so no page pays for it."""
    return {"curve_keys": book_curve_refresh()}
