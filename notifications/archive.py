"""The history archive (docs/retention.md): old, final history leaves the hot tables.

Once a night (beat ``archive-history``; ``manage.py archive_history`` by hand) the events and the
final outbox rows of cases closed more than ``HISTORY_HOT_MONTHS`` ago move to the archive tables
(renewals_archivedcaseevent, notifications_archivedmessage) with their ids and columns; archived
rows older than ``HISTORY_RETENTION_MONTHS`` are deleted. The case page, the case's message log and
the customer's message history read both.

What moves, and why nothing can be planned or sent twice because of it:
- only cases that are closed (renewed, lost, lapsed, not offered), closed before the cut-off and
  expiring before it: planning plans steps of open (and not-offered) cases whose expiry is at most a
  few weeks past (notifications.services.planning._step_windows), so no step of such a case is ever
  planned again, and its duplicate protection (the outbox's unique indexes) no longer needs the rows;
- of those cases, outbox rows that are final (sent, failed, skipped), reminders and survey
  invitations only: never scheduled or sending (leased) rows, never campaign rows (a campaign's
  step counts join the hot outbox on campaign_message_id), never a row a NoticeProof points at
  (the proof is immutable and PROTECTs its message, so a sent statutory notice stays hot with its
  proof) or a daily-cap claim points at;
- of those cases, every event created before the cut-off.

Each chunk of cases moves in one transaction, events and messages together, as one DELETE …
RETURNING feeding the archive INSERT: a row is in exactly one of the two tables at any time. A run
takes a transaction-level advisory lock per chunk (pooler-safe, PgBouncer transaction mode); a
second run that finds it taken stops (``busy``), and even without the lock the statements cannot
duplicate or lose a row: a concurrent DELETE of the same row waits and then finds it gone, and an id
already in the archive (never expected) fails the chunk's INSERT on the primary key, rolling the
DELETE back with it, rather than being skipped (ON CONFLICT DO NOTHING would drop the row).
"""

import datetime as dt
import time
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications.archive_models import ArchivedMessage
from notifications.models import OutboundMessage
from renewals.archive_models import ArchivedCaseEvent
from renewals.models import CLOSED_STAGES, CaseEvent

# pg_try_advisory_xact_lock key of the archive job ("rd-archive" in ASCII, shortened to 63 bits).
ARCHIVE_LOCK_KEY = 0x72642D61726368
# The hot window may not be shorter: planning and dispatch look a few weeks back (grace steps,
# retries, catch-up), and the watchlist reads expiries up to a line's grace days back.
MIN_HOT_MONTHS = 3
FINAL_STATUSES = (OutboundMessage.Status.SENT, OutboundMessage.Status.FAILED, OutboundMessage.Status.SKIPPED)
ARCHIVED_KINDS = (OutboundMessage.Kind.REMINDER, OutboundMessage.Kind.SURVEY)
RETENTION_CHUNK = 20000


def hot_months() -> int:
    return max(int(settings.HISTORY_HOT_MONTHS), MIN_HOT_MONTHS)


def retention_months() -> int:
    """0: archived rows are kept for ever. Never shorter than the hot window."""
    months = int(settings.HISTORY_RETENTION_MONTHS)
    return 0 if months <= 0 else max(months, hot_months())


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same local day and time ``months`` calendar months earlier (the 31st → the month's last day)."""
    local = timezone.localtime(moment)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    month += 1
    day = local.day
    while True:
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


@dataclass
class ArchiveResult:
    cases: int = 0
    events: int = 0
    messages: int = 0
    deleted_events: int = 0
    deleted_messages: int = 0
    chunks: int = 0
    busy: bool = False
    seconds: float = 0.0
    cutoff: dt.datetime | None = None
    retention_cutoff: dt.datetime | None = None
    notes: list[str] = field(default_factory=list)


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _move_sql(hot_table: str, archive_table: str, columns: list[str], where: str) -> str:
    cols = ", ".join(columns)
    return f"""
        WITH moved AS (
            DELETE FROM {hot_table} h WHERE {where}
            RETURNING {", ".join(f"h.{c}" for c in columns)}
        )
        INSERT INTO {archive_table} ({cols}, archived_at)
        SELECT {cols}, %(now)s FROM moved
    """  # nosec B608 - table and column names from the models, values as parameters


def _event_move_sql() -> str:
    return _move_sql(
        CaseEvent._meta.db_table,
        ArchivedCaseEvent._meta.db_table,
        _columns(CaseEvent),
        "h.case_id = ANY(%(case_ids)s) AND h.created_at < %(cutoff)s",
    )


_MOVABLE_MESSAGE = """
    {alias}.kind IN ('reminder', 'survey') AND {alias}.status IN ('sent', 'failed', 'skipped')
    AND {alias}.due_date < %(cutoff_date)s
    AND NOT EXISTS (SELECT 1 FROM notifications_noticeproof np WHERE np.message_id = {alias}.id)
    AND NOT EXISTS (SELECT 1 FROM notifications_customerdayclaim dc WHERE dc.message_id = {alias}.id)
"""


def _message_move_sql() -> str:
    return _move_sql(
        OutboundMessage._meta.db_table,
        ArchivedMessage._meta.db_table,
        _columns(OutboundMessage),
        "h.case_id = ANY(%(case_ids)s) AND " + _MOVABLE_MESSAGE.format(alias="h"),
    )


_CASES_SQL = f"""
    SELECT c.id FROM renewals_renewalcase c
    WHERE c.stage IN ({", ".join(f"'{stage}'" for stage in CLOSED_STAGES)})
      AND c.closed_at < %(cutoff)s AND c.due_date < %(cutoff_date)s AND c.id > %(after)s
      AND (EXISTS (SELECT 1 FROM renewals_caseevent e WHERE e.case_id = c.id AND e.created_at < %(cutoff)s)
           OR EXISTS (SELECT 1 FROM notifications_outboundmessage o
                      WHERE o.case_id = c.id AND {_MOVABLE_MESSAGE.format(alias="o")}))
    ORDER BY c.id
    LIMIT %(chunk)s
"""  # nosec B608 - constants only


def _try_lock(cursor) -> bool:
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ARCHIVE_LOCK_KEY])
    return bool(cursor.fetchone()[0])


def history_archive(
    *, now: dt.datetime | None = None, chunk: int | None = None, max_seconds: float | None = None
) -> ArchiveResult:
    """Move old final history to the archive, then apply the retention limit (see the module doc).
    Idempotent: a second run moves nothing. ``max_seconds``: stop starting new chunks after this long
    (the next run goes on where this one stopped)."""
    started = time.monotonic()
    now = now or timezone.now()
    cutoff = months_before(now, hot_months())
    result = ArchiveResult(cutoff=cutoff)
    if connection.vendor != "postgresql":
        result.notes.append("the archive runs on PostgreSQL only")
        return result
    chunk = chunk or settings.HISTORY_ARCHIVE_CHUNK
    params = {"cutoff": cutoff, "cutoff_date": timezone.localdate(cutoff), "now": now, "chunk": chunk}
    event_sql, message_sql = _event_move_sql(), _message_move_sql()
    after = 0
    while max_seconds is None or time.monotonic() - started < max_seconds:
        with transaction.atomic(), connection.cursor() as cursor:
            if not _try_lock(cursor):
                result.busy = True
                break
            cursor.execute(_CASES_SQL, {**params, "after": after})
            case_ids = [row[0] for row in cursor.fetchall()]
            if not case_ids:
                break
            step = {**params, "case_ids": case_ids}
            cursor.execute(event_sql, step)
            result.events += max(cursor.rowcount, 0)
            cursor.execute(message_sql, step)
            result.messages += max(cursor.rowcount, 0)
        result.cases += len(case_ids)
        result.chunks += 1
        after = case_ids[-1]
    if not result.busy:
        _apply_retention(result, now=now)
    result.seconds = time.monotonic() - started
    return result


def _apply_retention(result: ArchiveResult, *, now: dt.datetime) -> None:
    """Delete archived rows created before the retention cut-off, oldest first, in chunks. Only
    archive tables are touched: notice proofs and the messages they point at never reach them."""
    months = retention_months()
    if not months:
        return
    result.retention_cutoff = limit = months_before(now, months)
    for model, counter in ((ArchivedCaseEvent, "deleted_events"), (ArchivedMessage, "deleted_messages")):
        table = model._meta.db_table
        sql = f"""
            DELETE FROM {table} WHERE id IN (
                SELECT id FROM {table} WHERE created_at < %s ORDER BY created_at LIMIT %s
            )
        """  # nosec B608 - table name from the model
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                if not _try_lock(cursor):
                    result.busy = True
                    return
                cursor.execute(sql, [limit, RETENTION_CHUNK])
                deleted = max(cursor.rowcount, 0)
            setattr(result, counter, getattr(result, counter) + deleted)
            if deleted < RETENTION_CHUNK:
                break


# The nightly task starts no new chunk after this long, well inside its time limit; a backlog (the
# first run on years of history) goes on the next night. A chunk cut by the limit rolls back whole.
TASK_BUDGET_SECONDS = 10 * 60


@shared_task(
    name="notifications.archive.archive_history", ignore_result=True, time_limit=14 * 60, soft_time_limit=13 * 60
)
def archive_history() -> dict:
    """Beat's nightly run (config/celery.py)."""
    result = history_archive(max_seconds=TASK_BUDGET_SECONDS)
    return {"cases": result.cases, "events": result.events, "messages": result.messages, "busy": result.busy}
