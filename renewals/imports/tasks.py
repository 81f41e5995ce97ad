"""The upload page's import runs here, in a Celery worker (discovered by ``config/celery.py``)."""

from celery import shared_task

from renewals.imports import jobs


# The name is the task's original module path: queued messages and worker routes keep working.
@shared_task(name="renewals.import_tasks.import_policies_job", time_limit=30 * 60, soft_time_limit=29 * 60)
def import_policies_job(job_id: str) -> None:
    jobs.job_run(job_id)
