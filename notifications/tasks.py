"""Celery tasks: thin wrappers around notifications.services (ids in, nothing long-running on ETAs)."""

from celery import shared_task
from django.utils import timezone

from notifications import conf, services

# Dispatch stops after this many batches, or once it has run conf.dispatch_budget_seconds() (2 min),
# whichever comes first; overlapping runs share the queue safely (each row is leased to one worker).
DISPATCH_MAX_BATCHES = 10
# The longest a run can take: no new batch after the budget, a batch is sent within half the lease
# of its claim (the rest is released), and the last send is bounded by the backends' timeouts.
# The soft limit is above that (defaults: 120 + 150 + 180 s), so it never cuts a healthy run; if it
# fires anyway, the batch's unsent rows are released and no row is sent outside its lease.
DISPATCH_SOFT_TIME_LIMIT = int(
    conf.dispatch_budget_seconds() + conf.batch_window_seconds() + conf.longest_send_seconds() + 30
)
DISPATCH_TIME_LIMIT = DISPATCH_SOFT_TIME_LIMIT + 60


@shared_task(name="notifications.tasks.plan_reminders", time_limit=14 * 60, soft_time_limit=13 * 60)
def plan_reminders(on_date: str | None = None) -> int:
    """Plan the outbox rows of every due reminder step (idempotent, so acks_late is safe)."""
    import datetime as dt

    day = dt.date.fromisoformat(on_date) if on_date else timezone.localdate()
    return services.reminders_plan(on_date=day)


@shared_task(
    name="notifications.tasks.dispatch_messages",
    time_limit=DISPATCH_TIME_LIMIT,
    soft_time_limit=DISPATCH_SOFT_TIME_LIMIT,
)
def dispatch_messages() -> dict:
    """Claim due messages in fixed-size batches and send them; overlapping runs are safe (lease)."""
    return services.messages_dispatch_due(
        max_batches=DISPATCH_MAX_BATCHES, budget_seconds=conf.dispatch_budget_seconds()
    )


# "Send now": one send, bounded by the backends' timeouts (well inside the lease).
SEND_MESSAGE_SOFT_TIME_LIMIT = conf.longest_send_seconds() + 30


@shared_task(
    name="notifications.tasks.send_message",
    time_limit=SEND_MESSAGE_SOFT_TIME_LIMIT + 60,
    soft_time_limit=SEND_MESSAGE_SOFT_TIME_LIMIT,
)
def send_message(message_id: int) -> str:
    """Send one message now (the watchlist's "send now"): claim it if still due, then send."""
    lease_token = services.message_claim_one(message_id=message_id)
    if lease_token is None:
        return "not_due"
    return services.message_dispatch(message_id=message_id, lease_token=lease_token)


# Notice documents issued per batch: each is ~20 KB in memory for the moment it is stored.
NOTICE_DOCUMENT_BATCH = 200


@shared_task(name="notifications.tasks.prepare_notice_documents", time_limit=30 * 60, soft_time_limit=29 * 60)
def prepare_notice_documents(on_date: str | None = None) -> dict:
    """Issue the statutory notice PDF of every notice due that day, in batches, before dispatch
    sends them (dispatch issues a missing one itself, so this only takes the work off the sends).
    Idempotent: a case that has its notice document is left alone."""
    import datetime as dt

    from documents.services import notice_documents_issue
    from notifications.selectors import notice_case_ids_due

    day = dt.date.fromisoformat(on_date) if on_date else timezone.localdate()
    until = timezone.make_aware(dt.datetime.combine(day, dt.time.max))
    totals = {"issued": 0, "existing": 0, "failed": 0}
    after = 0
    while batch := notice_case_ids_due(until=until, after_id=after, limit=NOTICE_DOCUMENT_BATCH):
        for key, value in notice_documents_issue(case_ids=batch).items():
            totals[key] += value
        after = batch[-1]
    return totals
