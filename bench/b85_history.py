"""History benchmark (docs/retention.md): three years of outbox and timeline history, archived.

Runs after every other module (it commits, so it must be last) and removes everything it added at
the end, putting back any of the book's own rows the archive moved, so a re-run of any module sees
the book as before. Steps:

1. Reference figures on the book as the modules before left it: the case page (20 open cases of
   the busiest specialist), the compliance watchlist, and claiming a dispatch batch (200 of 2,000
   due e-mails, each claim rolled back), plus the hot tables' sizes.
2. Seed three years of history, set-based (generate_series): for each active policy three earlier
   terms (expired policies) with a closed case each (lapsed or lost), the line's reminder steps in
   the outbox (sent, some skipped; with subject and body as dispatch records them), a notice proof
   per sent notice, and five timeline events per case. Timed, rows counted.
3. The same figures with the history in the hot tables (not archived yet).
4. The archive job (``history_archive``, with the configured hot months, 25 by default): rows moved, rows/s.
5. The same figures after the archive, and the case page of archived cases (timeline and message
   log read hot + archive). Targets: p95 after ≤ 1.3 × the reference of step 1.
6. Clean up (timed): the book's archived rows go back, the seeded rows are deleted, VACUUM ANALYZE.
"""

import statistics
import uuid

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from bench.common import Report, percentile, stopwatch, time_requests

YEARS = 3
EVENTS_PER_CASE = 5
CLAIM_ROWS = 2000
CLAIM_BATCH = 200
CLAIM_REPEAT = 20
RATIO_TARGET = 1.3
TARGET_PAGE_P95_MS = 100.0
HOT_TABLES = ("notifications_outboundmessage", "renewals_caseevent")
ARCHIVE_TABLES = ("notifications_archivedmessage", "renewals_archivedcaseevent")
BODY = (
    "Dear customer, your policy expires soon. Renew online with the secure link in this message or "
    "call your renewal specialist; your new premium and the cover it buys are set out in the attached "
    "renewal notice. If anything changed (address, vehicle, household), tell us before you renew so the "
    "quote stays right. Thank you for insuring with us."
)


def _one(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def _exec(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return max(cursor.rowcount, 0)


def _markers() -> dict[str, int]:
    tables = ("renewals_policy", "renewals_renewalcase", "notifications_outboundmessage", "renewals_caseevent")
    return {table: _one(f"SELECT COALESCE(max(id), 0) FROM {table}") for table in tables}  # nosec B608


def _sizes() -> str:
    parts = []
    for table in HOT_TABLES + ARCHIVE_TABLES:
        rows = _one(f"SELECT count(*) FROM {table}")  # nosec B608 - constant table names
        size = _one("SELECT pg_total_relation_size(%s::regclass)", [table])
        parts.append(f"{table} {rows:,} rows / {size / 2**20:,.0f} MB")
    return "; ".join(parts)


def _client(user: User) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _manager() -> User:
    user = User.objects.filter(groups__name="manager", is_active=True).order_by("pk").first()
    if user is None:
        user, _created = User.objects.get_or_create(username="bench-manager")
        user.groups.add(Group.objects.get(name="manager"))
    return user


def _seed_history(report: Report, markers: dict[str, int]) -> None:
    zone = settings.TIME_ZONE
    counts = {}
    with stopwatch() as elapsed, transaction.atomic():
        counts["policies"] = _exec(
            """
            INSERT INTO renewals_policy (number, customer_id, line_id, product, start_date, end_date, premium,
                sum_insured, channel, status, claims_count, attributes, created_at, updated_at)
            SELECT p.number || '-H' || y, p.customer_id, p.line_id, p.product,
                   (p.end_date - make_interval(years => y + 1))::date, (p.end_date - make_interval(years => y))::date,
                   round(p.premium * (1 - 0.03 * y), 2), p.sum_insured, p.channel, 'expired', 0, '{}'::jsonb,
                   now(), now()
            FROM renewals_policy p CROSS JOIN generate_series(1, %s) y
            WHERE p.id <= %s AND p.status = 'active'
            """,
            [YEARS, markers["renewals_policy"]],
        )
        lost_reason = _one("SELECT min(id) FROM renewals_lostreason WHERE kind = 'lost'")
        counts["cases"] = _exec(
            """
            INSERT INTO renewals_renewalcase (policy_id, customer_id, line_id, expiring_premium, due_date, stage,
                assignee_id, opened_at, priority, churn_reasons, has_open_complaint, first_contact_at, closed_at,
                lost_reason_id, outcome_note, version, updated_at)
            SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date,
                   CASE WHEN p.id %% 7 = 0 AND %s::bigint IS NOT NULL THEN 'lost' ELSE 'lapsed' END,
                   (SELECT u.id FROM auth_user u JOIN auth_user_groups ug ON ug.user_id = u.id
                    JOIN auth_group g ON g.id = ug.group_id AND g.name = 'specialist'
                    ORDER BY u.id LIMIT 1),
                   (p.end_date - l.renewal_window_days + time '01:00') AT TIME ZONE %s, 0, '[]'::jsonb, false,
                   (p.end_date - 20 + time '11:00') AT TIME ZONE %s,
                   (p.end_date + l.grace_days + time '01:30') AT TIME ZONE %s,
                   CASE WHEN p.id %% 7 = 0 THEN %s::bigint END, '', 3, now()
            FROM renewals_policy p JOIN renewals_lineofinsurance l ON l.id = p.line_id
            WHERE p.id > %s
            """,
            [lost_reason, zone, zone, zone, lost_reason, markers["renewals_policy"]],
        )
        counts["messages"] = _exec(
            """
            INSERT INTO notifications_outboundmessage (kind, case_id, customer_id, line_id, step_id, channel,
                is_notice, status, skip_reason, defer_reason, due_date, scheduled_for, next_attempt_at, attempts,
                sent_at, provider_message_id, error, address, content_hash, subject, body, link, delivery_status,
                created_at, updated_at)
            SELECT 'reminder', q.case_id, q.customer_id, q.line_id, q.step_id, q.channel, q.is_notice,
                   CASE WHEN q.skip THEN 'skipped' ELSE 'sent' END, CASE WHEN q.skip THEN 'opted_out' ELSE '' END,
                   '', q.step_date, q.at, q.at, 1, CASE WHEN q.skip THEN NULL ELSE q.at END,
                   CASE WHEN q.skip THEN '' ELSE 'hist-' || q.case_id || '-' || q.step_id END, '',
                   CASE WHEN q.channel = 'email' THEN 'customer' || q.customer_id || '@example.com'
                        ELSE '+8613' || lpad(q.customer_id::text, 9, '0') END,
                   CASE WHEN q.skip THEN '' ELSE md5(q.case_id::text) || md5(q.step_id::text) END,
                   CASE WHEN q.skip THEN '' ELSE 'Your policy renewal' END, CASE WHEN q.skip THEN '' ELSE %s END,
                   '', CASE WHEN q.skip OR q.channel = 'call' THEN '' ELSE 'delivered' END,
                   q.at - interval '1 day', q.at
            FROM (
                SELECT c.id AS case_id, c.customer_id, c.line_id, s.id AS step_id, s.channel, s.is_notice,
                       c.due_date + s.offset_days AS step_date,
                       (c.due_date + s.offset_days + time '10:00') AT TIME ZONE %s AS at,
                       NOT s.is_notice AND (c.id + s.id) %% 9 = 0 AS skip
                FROM renewals_renewalcase c
                JOIN notifications_reminderstep s ON s.line_id = c.line_id AND s.active AND s.removed_at IS NULL
                WHERE c.id > %s
            ) q
            """,
            [BODY, zone, markers["renewals_renewalcase"]],
        )
        counts["notice proofs"] = _exec(
            """
            INSERT INTO notifications_noticeproof (case_id, message_id, sent_at, channel, address, content_hash,
                document_sha256, deadline, note, created_at)
            SELECT o.case_id, o.id, o.sent_at, o.channel, o.address, o.content_hash, '',
                   c.due_date - l.notice_lead_days, '', o.sent_at
            FROM notifications_outboundmessage o
            JOIN renewals_renewalcase c ON c.id = o.case_id
            JOIN renewals_lineofinsurance l ON l.id = c.line_id
            WHERE o.id > %s AND o.is_notice AND o.status = 'sent'
            """,
            [markers["notifications_outboundmessage"]],
        )
        counts["events"] = _exec(
            """
            INSERT INTO renewals_caseevent (case_id, kind, actor_id, payload, created_at)
            SELECT c.id, (ARRAY['opened', 'assigned', 'contact', 'note', c.stage])[g],
                   CASE WHEN g IN (3, 4) THEN c.assignee_id END,
                   CASE g WHEN 3 THEN '{"channel": "phone", "reached": false}'::jsonb
                          WHEN 4 THEN '{"note": "Left a voicemail about the renewal; will try again."}'::jsonb
                          WHEN 5 THEN jsonb_build_object('from', 'open', 'to', c.stage)
                          ELSE '{}'::jsonb END,
                   c.opened_at + (g - 1) * ((c.closed_at - c.opened_at) / 4)
            FROM renewals_renewalcase c CROSS JOIN generate_series(1, %s) g
            WHERE c.id > %s
            """,
            [EVENTS_PER_CASE, markers["renewals_renewalcase"]],
        )
    seconds = elapsed()
    for table in ("renewals_policy", "renewals_renewalcase", "notifications_noticeproof") + HOT_TABLES:
        _exec(f"ANALYZE {table}")
    total = sum(counts.values())
    report.add(
        "history",
        f"seed {YEARS} years of history (set-based)",
        f"{seconds:.1f} s, {total:,} rows ({total / max(seconds, 1e-9):,.0f} rows/s): "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items()),
    )


def _due_rows_for_claims(markers: dict[str, int]) -> int:
    """Up to 2,000 e-mails and SMS due now on open cases (steps of theirs with no row yet), for the
    claim figure (removed with the seeded rows at the end)."""
    now = timezone.now()
    return _exec(
        """
        INSERT INTO notifications_outboundmessage (kind, case_id, customer_id, line_id, step_id, channel,
            is_notice, status, skip_reason, defer_reason, due_date, scheduled_for, next_attempt_at, attempts,
            provider_message_id, error, address, content_hash, subject, body, link, delivery_status,
            created_at, updated_at)
        SELECT 'reminder', c.id, c.customer_id, c.line_id, s.id, s.channel, false, 'scheduled', '', '',
               c.due_date + s.offset_days, %s, %s - interval '1 hour', 0, '', '', 'due@example.com', '', '', '',
               '', '', %s, %s
        FROM renewals_renewalcase c
        JOIN notifications_reminderstep s
          ON s.line_id = c.line_id AND s.channel IN ('email', 'sms') AND NOT s.is_notice
        WHERE c.stage IN ('open', 'contacted', 'quoted') AND c.id <= %s
        ORDER BY c.id
        LIMIT %s
        ON CONFLICT DO NOTHING
        """,
        [now, now, now, now, markers["renewals_renewalcase"], CLAIM_ROWS],
    )


def _claim_samples() -> list[float]:
    from notifications.services import messages_claim

    samples = []
    for _ in range(CLAIM_REPEAT + 1):
        with transaction.atomic():
            with stopwatch() as elapsed:
                claimed = messages_claim(lease_token=uuid.uuid4(), limit=CLAIM_BATCH)
            samples.append(elapsed() * 1000)
            transaction.set_rollback(True)
    if not claimed:
        return []
    return samples[1:]  # the first warms the caches


def _measure(clients: dict, paths: dict) -> dict[str, list[float]]:
    return {
        "case page": time_requests(clients["specialist"], paths["cases"]),
        "watchlist": time_requests(clients["manager"], paths["watchlist"]),
        "dispatch claim (200 due rows)": _claim_samples(),
    }


def _report_ratios(report: Report, runs: dict[str, dict[str, list[float]]]) -> None:
    """One row per figure: p95 on the book before (the reference, measured at the start and again
    after the clean-up, to bracket the machine's load drift), with the history not yet archived and
    after the archive; the target compares the last with the mean of the two references."""
    for name in runs["before"]:
        p95 = {run: percentile(samples[name], 95) for run, samples in runs.items() if samples.get(name)}
        p50 = {run: statistics.median(samples[name]) for run, samples in runs.items() if samples.get(name)}
        if len(p95) < len(runs):
            report.note(f"b85_history: {name} not measured in every run ({', '.join(p95)}).")
            continue
        reference = (p95["before"] + p95["before again"]) / 2
        ratio = p95["after archive"] / max(reference, 1e-9)
        report.add(
            "history",
            f"{name} p95 with {YEARS} years of history archived vs without history",
            f"{p95['after archive']:.1f} ms vs {reference:.1f} ms = {ratio:.2f}× (without history "
            f"{p95['before']:.1f} / {p95['before again']:.1f} ms at start / end; not archived yet "
            f"{p95['not archived']:.1f} ms; p50 {p50['before']:.1f} → {p50['not archived']:.1f} → "
            f"{p50['after archive']:.1f} ms)",
            f"≤ {RATIO_TARGET}×",
            ratio <= RATIO_TARGET,
        )


def _vacuum(tables) -> None:
    for table in tables:
        _exec(f"VACUUM ANALYZE {table}")


def _clean_up(report: Report, markers: dict[str, int]) -> None:
    from notifications.archive_models import ArchivedMessage
    from notifications.models import OutboundMessage
    from renewals.models import ArchivedCaseEvent, CaseEvent

    with stopwatch() as elapsed:
        with transaction.atomic():
            restored = 0
            for hot, archive, marker in (
                (CaseEvent, ArchivedCaseEvent, markers["renewals_caseevent"]),
                (OutboundMessage, ArchivedMessage, markers["notifications_outboundmessage"]),
            ):
                columns = ", ".join(f.column for f in hot._meta.concrete_fields)
                restored += _exec(
                    f"INSERT INTO {hot._meta.db_table} ({columns}) "  # nosec B608 - names from the models
                    f"SELECT {columns} FROM {archive._meta.db_table} WHERE id <= %s",
                    [marker],
                )
            _exec(f"TRUNCATE {', '.join(ARCHIVE_TABLES)}")
            # The rows deleted below are exactly the ones this module added, children first: skip
            # the per-row foreign-key checks (millions of deferred probes at commit) and the notice
            # proofs' immutability trigger for this transaction only.
            _exec("SET LOCAL session_replication_role = replica")
            _exec("DELETE FROM notifications_noticeproof WHERE case_id > %s", [markers["renewals_renewalcase"]])
            deleted = _exec(
                "DELETE FROM notifications_outboundmessage WHERE id > %s", [markers["notifications_outboundmessage"]]
            )
            deleted += _exec("DELETE FROM renewals_caseevent WHERE id > %s", [markers["renewals_caseevent"]])
            deleted += _exec("DELETE FROM renewals_renewalcase WHERE id > %s", [markers["renewals_renewalcase"]])
            deleted += _exec("DELETE FROM renewals_policy WHERE id > %s", [markers["renewals_policy"]])
        _vacuum(("renewals_policy", "renewals_renewalcase", "notifications_noticeproof") + HOT_TABLES + ARCHIVE_TABLES)
    report.note(
        f"b85_history: clean-up in {elapsed():.1f} s: {restored:,} archived rows of the book put back, "
        f"{deleted:,} seeded rows deleted, VACUUM ANALYZE; the book is as the modules before left it."
    )


def run(report: Report) -> None:
    from notifications.archive import history_archive, hot_months
    from renewals.models import OPEN_STAGES, RenewalCase

    busiest = (
        RenewalCase.objects.filter(stage__in=list(OPEN_STAGES), assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        report.note("b85_history: no assigned open cases; skipped.")
        return
    specialist = User.objects.get(pk=busiest["assignee_id"])
    open_cases = list(
        RenewalCase.objects.filter(assignee=specialist, stage__in=list(OPEN_STAGES))
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )
    clients = {"specialist": _client(specialist), "manager": _client(_manager())}
    paths = {"cases": [f"/cases/{pk}/" for pk in open_cases], "watchlist": ["/notifications/watchlist/"]}
    markers = _markers()
    try:
        _due_rows_for_claims(markers)
        _exec("ANALYZE notifications_outboundmessage")
        report.note(f"b85_history: hot tables before: {_sizes()}.")
        _measure(clients, paths)  # warm-up: this process's first pages and the buffer cache
        runs = {"before": _measure(clients, paths)}

        _seed_history(report, markers)
        report.note(f"b85_history: with {YEARS} years of history: {_sizes()}.")
        runs["not archived"] = _measure(clients, paths)

        with stopwatch() as elapsed:
            result = history_archive()
        seconds = elapsed()
        moved = result.events + result.messages
        target = max(60.0, 600.0 * report.scale / 1_000_000)
        report.add(
            "history",
            f"archive_history (hot {hot_months()} months): {result.cases:,} cases",
            f"{seconds:.1f} s, {result.events:,} events + {result.messages:,} messages "
            f"({moved / max(seconds, 1e-9):,.0f} rows/s)",
            f"< {target:.0f} s (10 min per 1M policies)",
            seconds < target and not result.busy,
        )
        with stopwatch() as again_elapsed:
            again = history_archive()
        report.add(
            "history",
            "archive_history again (idempotent)",
            f"{again_elapsed():.1f} s, {again.events + again.messages:,} rows moved",
            "0 moved",
            again.events + again.messages == 0,
        )
        _vacuum(HOT_TABLES + ARCHIVE_TABLES)
        report.note(f"b85_history: after the archive (and VACUUM ANALYZE): {_sizes()}.")
        runs["after archive"] = _measure(clients, paths)

        archived_cases = list(
            RenewalCase.objects.filter(id__gt=markers["renewals_renewalcase"], closed_at__lt=result.cutoff)
            .order_by("-id")
            .values_list("id", flat=True)[:20]
        )
        if archived_cases:
            samples = time_requests(
                clients["manager"],
                [f"/cases/{pk}/" for pk in archived_cases]
                + [f"/notifications/cases/{pk}/messages/" for pk in archived_cases[:5]],
            )
            report.add_latency("history", "case page + message log of archived cases", samples, TARGET_PAGE_P95_MS)
    finally:
        _clean_up(report, markers)
    _due_rows_for_claims(markers)
    runs["before again"] = _measure(clients, paths)
    _exec("DELETE FROM notifications_outboundmessage WHERE id > %s", [markers["notifications_outboundmessage"]])
    _report_ratios(report, runs)
