"""Celery tasks: thin wrappers around notifications.services (ids in, nothing long-running on ETAs)."""

from celery import shared_task
from django.utils import timezone

from notifications import services

# Dispatch stops after this many batches so one run stays well inside a minute's beat interval.
DISPATCH_MAX_BATCHES = 10


@shared_task(name="notifications.tasks.plan_reminders", time_limit=14 * 60, soft_time_limit=13 * 60)
def plan_reminders(on_date: str | None = None) -> int:
    """Plan the outbox rows of every due reminder step (idempotent, so acks_late is safe)."""
    import datetime as dt

    day = dt.date.fromisoformat(on_date) if on_date else timezone.localdate()
    return services.reminders_plan(on_date=day)


@shared_task(name="notifications.tasks.dispatch_messages", time_limit=10 * 60, soft_time_limit=9 * 60)
def dispatch_messages() -> dict:
    """Claim due messages in fixed-size batches and send them; overlapping runs are safe (lease)."""
    return services.messages_dispatch_due(max_batches=DISPATCH_MAX_BATCHES)


@shared_task(name="notifications.tasks.send_message", time_limit=120, soft_time_limit=100)
def send_message(message_id: int) -> str:
    """Send one message now (the watchlist's "send now"): claim it if still due, then send."""
    claimed = services.message_claim_one(message_id=message_id)
    if not claimed:
        return "not_due"
    return services.message_dispatch(message_id=message_id)
