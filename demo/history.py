"""Demo history: the reminders a team that had been running for months would already have sent.

Used by ``manage.py seed_message_history`` (and by ``seed_demo`` after the book) so the demo's
message logs, timelines and compliance watchlist look like a working desk. It replays the real pipeline day by
day: the daily planning run, then dispatch at mid-morning through a silent backend that records
what a provider would answer. Nothing here runs in production.
"""

import datetime as dt
import random

from django.utils import timezone

from notifications.backends import Backends
from notifications.models import Channel, OutboundMessage
from notifications.services import call_task_complete, message_claim_one, message_dispatch, reminders_plan

HISTORY_DAYS = 120  # longer than every line's renewal window
NOTICES_MISSED_SHARE = 0.01  # a few notices slipped through, so the watchlist has work
CALLS_DONE_SHARE = 0.85


class _SilentBackend:
    def send(self, outgoing) -> str:
        return f"demo-{outgoing.idempotency_key}"


class _SilentBackends(Backends):
    def get(self, channel: str):
        return _SilentBackend()


def history_backfill(*, today: dt.date, days: int = HISTORY_DAYS, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    zone = timezone.get_current_timezone()
    backends = _SilentBackends()
    totals: dict[str, int] = {}
    missed: set[int] = set()  # notices nobody sent: still scheduled today, past their deadline
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        planning_run = timezone.make_aware(dt.datetime.combine(day, dt.time(1, 0)), zone)
        mid_morning = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)), zone)
        reminders_plan(on_date=day, now=planning_run, catch_up_days=0)
        due = OutboundMessage.objects.filter(
            status=OutboundMessage.Status.SCHEDULED,
            kind=OutboundMessage.Kind.REMINDER,
            next_attempt_at__lte=mid_morning,
        ).select_related("case")
        sent_today: set[int] = set()
        for message in due.order_by("-is_notice", "id"):
            if message.channel == Channel.CALL:
                if message.case.assignee_id and rng.random() < CALLS_DONE_SHARE:
                    call_task_complete(message_id=message.pk, actor=message.case.assignee, now=mid_morning)
                    totals["calls done"] = totals.get("calls done", 0) + 1
                continue
            if message.pk in missed or (message.is_notice and rng.random() < NOTICES_MISSED_SHARE):
                missed.add(message.pk)
                continue
            token = message_claim_one(message_id=message.pk, now=mid_morning)
            if token is None:
                continue
            outcome = message_dispatch(
                message_id=message.pk, lease_token=token, now=mid_morning, sent_today=sent_today, backends=backends
            )
            totals[outcome] = totals.get(outcome, 0) + 1
    return totals


def history_summary(totals: dict[str, int]) -> str:
    """The command's one line: "message history: 8 calls done, 112 sent"."""
    summary = ", ".join(f"{count:,} {outcome}" for outcome, count in sorted(totals.items())) or "nothing"
    return f"message history: {summary}"
