"""Add-ons benchmark: the attach-rate refresh the case page's suggestions read, over a year of renewals.

The seeded book's renewals of the last 12 months each get an offer (a quote) with about 60 % of
their line's add-ons, and about a third of those offers are taken by the successor policy — all
generated set-based inside a transaction that is rolled back at the end. Then
``attach_rates_refresh`` runs over it. Target: < 30 s at 1,000,000 policies.
"""

import time

from django.db import connection, transaction

from bench.common import Report
from renewals.addons.selectors import attach_rates_refresh

TARGET_SECONDS = 30.0


class _Rollback(Exception):
    pass


def _generate(cursor) -> dict[str, int]:
    cursor.execute("SELECT setseed(0.25)")
    cursor.execute("SELECT COALESCE(max(id), 0) FROM renewals_quote")
    (quote_floor,) = cursor.fetchone()
    cursor.execute(
        """
        INSERT INTO renewals_quote (case_id, expiring_premium, base_rate_factor, claims_factor, loyalty_factor,
                                    discount_percent, premium, breakdown, approval_status, approval_comment, created_at)
        SELECT c.id, c.expiring_premium, 1, 1, 1, 0, c.expiring_premium, '[]'::jsonb, 'not_required', '', c.closed_at
        FROM renewals_renewalcase c
        WHERE c.stage = 'renewed' AND c.closed_at >= now() - interval '365 days'
        """
    )
    quotes = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO renewals_quoteaddon (quote_id, addon_id, premium)
        SELECT q.id, a.id, a.amount
        FROM renewals_quote q JOIN renewals_renewalcase c ON c.id = q.case_id
        JOIN renewals_addon a ON a.line_id = c.line_id
        WHERE q.id > %s AND random() < 0.6
        """,
        [quote_floor],
    )
    offered = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO renewals_policyaddon (policy_id, addon_id, premium)
        SELECT c.successor_policy_id, qa.addon_id, qa.premium
        FROM renewals_quoteaddon qa JOIN renewals_quote q ON q.id = qa.quote_id
        JOIN renewals_renewalcase c ON c.id = q.case_id
        WHERE q.id > %s AND random() < 0.33
        ON CONFLICT DO NOTHING
        """,
        [quote_floor],
    )
    taken = cursor.rowcount
    cursor.execute("ANALYZE renewals_quote")
    cursor.execute("ANALYZE renewals_quoteaddon")
    cursor.execute("ANALYZE renewals_policyaddon")
    return {"quotes": quotes, "offered": offered, "taken": taken}


def run(report: Report) -> None:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                started = time.perf_counter()
                counts = _generate(cursor)
                generated = time.perf_counter() - started
            started = time.perf_counter()
            rows = attach_rates_refresh()
            seconds = time.perf_counter() - started
            report.add(
                "add-ons",
                f"attach-rate refresh over {counts['quotes']:,} renewals, {counts['offered']:,} add-ons offered, "
                f"{counts['taken']:,} taken ({rows} rates)",
                f"{seconds:.1f} s",
                f"< {TARGET_SECONDS:g} s",
                seconds < TARGET_SECONDS,
            )
            report.note(f"add-ons: generating the year of offers took {generated:.1f} s (rolled back afterwards).")
            raise _Rollback
    except _Rollback:
        pass
