"""Customer voice Celery tasks: thin wrappers around services."""

from celery import shared_task

from customers import services


@shared_task(name="customers.tasks.escalate_breached_complaints", time_limit=300, soft_time_limit=270, acks_late=True)
def escalate_breached_complaints() -> int:
    """Beat, every minute: flag open complaints whose SLA is breached (idempotent, batched)."""
    return services.complaints_escalate_breached()
