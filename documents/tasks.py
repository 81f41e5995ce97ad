"""Celery tasks of the documents app (thin: they call services)."""

from celery import shared_task

from documents import services


@shared_task(name="documents.tasks.issue_confirmation", acks_late=True, time_limit=120, soft_time_limit=110)
def issue_confirmation(case_id: int) -> bool:
    """The renewal confirmation of a just-renewed case (enqueued after the renewal committed).
    Idempotent enough for acks_late: a rerun issues one more version, never changes one."""
    return services.confirmation_issue_quietly(case_id=case_id) is not None
