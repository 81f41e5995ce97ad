"""The team rollup's periodic rebuild (beat: config/celery.py)."""

from celery import shared_task

from .services import team_rollups_refresh


@shared_task(name="analytics.tasks.refresh_team_rollups", time_limit=30 * 60, soft_time_limit=29 * 60)
def refresh_team_rollups() -> dict:
    """Hourly: rebuild the team rollup and the 13-week opening forecast (a no-op if one is running)."""
    return {"rebuilt": team_rollups_refresh()}
