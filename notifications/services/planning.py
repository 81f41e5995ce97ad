"""Planning the outbox: one set-based INSERT of every due step, and the rows a case's close skips.

Idempotent through the outbox's unique constraint on (case, step, channel) and ON CONFLICT DO
NOTHING: planning twice plans nothing new.
"""

import datetime as dt
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer
from notifications.models import Channel, CustomerDayClaim, OutboundMessage, ReminderStep
from notifications.notice_rules.selectors import annotate_notice_rule_id, line_max_min_days
from notifications.services._shared import CUSTOMER_CHANNEL_COLUMNS
from renewals.models import OPEN_STAGES, RenewalCase, Stage

MessageStatus = OutboundMessage.Status
# The stages whose case is owed a statutory notice: open (renewal or adverse change) and not offered
# (non-renewal).
NOTICE_STAGES = (*OPEN_STAGES, Stage.NOT_OFFERED)
# A non-notice step is still planned this many days after its date (planning outages, late opens);
# older steps are left out rather than sent all at once. Notices are planned until expiry.
STALE_DAYS = 3


# The planning run's sweep looks at cases closed this many days back (see _skip_rows_of_closed_cases).
SWEEP_DAYS = 7
# The daily cap's claims are kept this many days (a customer's local day can lag TIME_ZONE's by one).
CLAIM_KEEP_DAYS = 3


# Higher apps narrow which (case, step) pairs are planned without this module importing them (an
# experiment's arm leaves some steps out): each filter gets the SQL of the case id and the step id
# and returns an SQL condition. The statutory notice is planned whatever the filters say.
# Hooks run before planning (campaigns enrols new cases in running experiments there).
_STEP_FILTERS: list[Callable[[str, str], str]] = []
_BEFORE_PLANNING: list[Callable[..., object]] = []


def register_step_filter(condition: Callable[[str, str], str]) -> None:
    if condition not in _STEP_FILTERS:
        _STEP_FILTERS.append(condition)


def register_before_planning(hook: Callable[..., object]) -> None:
    """``hook(on_date=..., now=...)`` runs in planning's transaction before the rows are inserted."""
    if hook not in _BEFORE_PLANNING:
        _BEFORE_PLANNING.append(hook)


# Higher apps that decide a case's steps themselves (an experiment's arm) register a condition on the
# case id: for those cases the playbook's schedule variant steps aside, so an arm is never cut down.
_SCHEDULE_OVERRIDES: list[Callable[[str], str]] = []


def register_schedule_override(condition: Callable[[str], str]) -> None:
    if condition not in _SCHEDULE_OVERRIDES:
        _SCHEDULE_OVERRIDES.append(condition)


def _playbook_step_sql(case_sql: str, step_sql: str) -> str:
    """The case's playbook variant keeps this step: no playbook, or the step's channel is on and the
    step is not earlier than the variant's start (reminders and call tasks each have their own)."""
    return f"""NOT EXISTS (
        SELECT 1 FROM renewals_renewalcase pc
        JOIN renewals_playbookversion pv ON pv.id = pc.playbook_version_id
        JOIN notifications_reminderstep rs ON rs.id = {step_sql}
        WHERE pc.id = {case_sql} AND CASE rs.channel
            WHEN 'call' THEN (NOT pv.call_tasks OR rs.offset_days < -COALESCE(pv.call_from_days, 100000))
            WHEN 'email' THEN (NOT pv.remind_by_email OR rs.offset_days < -COALESCE(pv.reminders_from_days, 100000))
            ELSE (NOT pv.remind_by_sms OR rs.offset_days < -COALESCE(pv.reminders_from_days, 100000)) END
    )"""  # nosec B608


def _step_filter_sql(*, case_sql: str, step_sql: str, notice_sql: str) -> str:
    playbook = " OR ".join(
        [override(case_sql) for override in _SCHEDULE_OVERRIDES] + [_playbook_step_sql(case_sql, step_sql)]
    )
    conditions = " AND ".join([f"({playbook})"] + [f"({condition(case_sql, step_sql)})" for condition in _STEP_FILTERS])
    return f" AND ({notice_sql} OR ({conditions}))"


def _plan_step_sql(channel: str) -> str:
    """One step's INSERT … SELECT (the SQLite demo; PostgreSQL plans all steps in one statement)."""
    consent, address = CUSTOMER_CHANNEL_COLUMNS[channel]
    step_date = "date(c.due_date, %(offset_modifier)s)"
    stages = ", ".join(f"'{stage}'" for stage in OPEN_STAGES)
    # The notice is never skipped here: dispatch picks its channel from the line's list at sending.
    reason = (
        f"CASE WHEN %(is_notice)s THEN '' WHEN NOT cu.{consent} THEN 'opted_out' "
        f"WHEN COALESCE(cu.{address}, '') = '' THEN 'no_address' ELSE '' END"
    )
    return f"""
        INSERT INTO notifications_outboundmessage (
            kind, case_id, customer_id, line_id, step_id, channel, is_notice, status, skip_reason,
            defer_reason, due_date, scheduled_for, next_attempt_at, attempts, provider_message_id,
            error, address, content_hash, subject, body, link, delivery_status, created_at, updated_at
        )
        SELECT 'reminder', p.case_id, p.customer_id, p.line_id, %(step_id)s, %(channel)s, %(is_notice)s,
               CASE WHEN p.reason = '' THEN 'scheduled' ELSE 'skipped' END, p.reason,
               '', p.step_date, %(now)s, %(now)s, 0, '', '', p.address, '', '', '', '', '', %(now)s, %(now)s
        FROM (
            SELECT c.id AS case_id, c.customer_id, c.line_id, {step_date} AS step_date,
                   COALESCE(cu.{address}, '') AS address, {reason} AS reason
            FROM renewals_renewalcase c
            JOIN customers_customer cu ON cu.id = c.customer_id
            WHERE c.line_id = %(line_id)s
              AND c.stage IN ({stages})
              AND c.due_date >= %(due_from)s AND c.due_date <= %(due_to)s
              {_step_filter_sql(case_sql="c.id", step_sql="%(step_id)s", notice_sql="%(is_notice)s")}
        ) p
        WHERE TRUE
        ON CONFLICT DO NOTHING
    """


_INSERT_COLUMNS = """
    INSERT INTO notifications_outboundmessage (
        kind, case_id, customer_id, line_id, step_id, channel, is_notice, status, skip_reason,
        defer_reason, due_date, scheduled_for, next_attempt_at, attempts, provider_message_id,
        error, address, content_hash, subject, body, link, delivery_status, created_at, updated_at
    )
"""


def _plan_all_steps_sql_postgres(step_count: int) -> str:
    """One INSERT … SELECT for every step window at once (PostgreSQL): one pass over the open
    cases and one hash of the customers, instead of one per step."""
    stages = ", ".join(f"'{stage}'" for stage in OPEN_STAGES)
    windows = ", ".join(
        ["(%s::bigint, %s::bigint, %s::varchar, %s::boolean, %s::int, %s::date, %s::date)"] * step_count
    )
    return f"""
        {_INSERT_COLUMNS}
        SELECT 'reminder', p.case_id, p.customer_id, p.line_id, p.step_id, p.channel, p.is_notice,
               CASE WHEN p.reason = '' THEN 'scheduled' ELSE 'skipped' END, p.reason,
               '', p.step_date, %s, %s, 0, '', '', p.address, '', '', '', '', '', %s, %s
        FROM (
            SELECT q.*, CASE WHEN q.is_notice THEN ''
                             WHEN NOT q.consent THEN 'opted_out' WHEN q.address = '' THEN 'no_address' ELSE '' END
                        AS reason
            FROM (
                SELECT c.id AS case_id, c.customer_id, c.line_id, s.step_id, s.channel, s.is_notice,
                       c.due_date + s.offset_days AS step_date,
                       COALESCE(CASE WHEN s.channel = 'email' THEN cu.email ELSE cu.phone END, '') AS address,
                       CASE s.channel WHEN 'email' THEN cu.consent_email WHEN 'sms' THEN cu.consent_sms
                                      ELSE cu.consent_phone END AS consent
                FROM (VALUES {windows}) AS s(step_id, line_id, channel, is_notice, offset_days, due_from, due_to)
                JOIN renewals_renewalcase c
                  ON c.line_id = s.line_id AND c.due_date >= s.due_from AND c.due_date <= s.due_to
                JOIN customers_customer cu ON cu.id = c.customer_id
                WHERE c.stage IN ({stages})
                  {_step_filter_sql(case_sql="c.id", step_sql="s.step_id", notice_sql="s.is_notice")}
            ) q
        ) p
        ON CONFLICT DO NOTHING
    """


def _step_windows(*, on_date: dt.date, catch_up_days: int) -> list[tuple]:
    """(step, earliest due date, latest due date) of every active step: a case is due for a step
    when its expiry falls in that range."""
    windows = []
    steps = list(ReminderStep.objects.filter(active=True, line__active=True).select_related("line").order_by("id"))
    longest_rule = line_max_min_days({step.line_id for step in steps if step.is_notice})
    for step in steps:
        latest_due = on_date - dt.timedelta(days=step.offset_days)
        if step.is_notice:
            # A notice rule can move the notice earlier than its step (its minimum days); each case's
            # own date is decided in _plan_notice. The notice is owed until expiry however late the
            # case was opened.
            days_before = max(-step.offset_days, longest_rule.get(step.line_id, 0))
            latest_due = on_date + dt.timedelta(days=days_before)
            earliest_due = max(on_date + dt.timedelta(days=1), latest_due - dt.timedelta(days=366))
        else:
            earliest_due = latest_due - dt.timedelta(days=catch_up_days)
            if step.offset_days < 0:
                # A missed pre-expiry reminder ("expires in N days") is not sent once the policy expired.
                earliest_due = max(earliest_due, on_date + dt.timedelta(days=1))
        if step.plan_from is not None and not step.is_notice:
            earliest_due = max(earliest_due, step.plan_from - dt.timedelta(days=step.offset_days))
        if earliest_due <= latest_due:
            windows.append((step, earliest_due, latest_due))
    return windows


def reminders_plan(*, on_date: dt.date, now: dt.datetime | None = None, catch_up_days: int = STALE_DAYS) -> int:
    """Insert the outbox rows of every active step due on ``on_date`` for open cases; returns
    how many rows were added. Idempotent: a second run adds nothing (the unique constraint and
    ON CONFLICT DO NOTHING). Rows without consent or address are inserted as skipped with the
    reason (visible on the case). Unsent reminder rows of recently closed cases are skipped.
    ``catch_up_days``: how far back a missed non-notice step is still planned (raise after an outage).
    """
    now = now or timezone.now()
    planned = 0
    with transaction.atomic():
        _skip_rows_of_closed_cases(now=now)
        CustomerDayClaim.objects.filter(day__lt=timezone.localdate() - dt.timedelta(days=CLAIM_KEEP_DAYS)).delete()
        for hook in _BEFORE_PLANNING:
            hook(on_date=on_date, now=now)
        windows = _step_windows(on_date=on_date, catch_up_days=catch_up_days)
        notices = [window for window in windows if window[0].is_notice]
        windows = [window for window in windows if not window[0].is_notice]
        for step, earliest_due, latest_due in notices:
            planned += _plan_notice(step, due_from=earliest_due, due_to=latest_due, on_date=on_date, now=now)
        if not windows:
            return planned
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                params = []
                for step, earliest_due, latest_due in windows:
                    params += [step.pk, step.line_id, step.channel, step.is_notice, step.offset_days]
                    params += [earliest_due, latest_due]
                # The four timestamps come first in the statement text, the step windows after them.
                cursor.execute(_plan_all_steps_sql_postgres(len(windows)), [now, now, now, now] + params)
                return planned + max(cursor.rowcount, 0)
            for step, earliest_due, latest_due in windows:
                cursor.execute(
                    _plan_step_sql(step.channel),
                    {
                        "step_id": step.pk,
                        "channel": step.channel,
                        "is_notice": step.is_notice,
                        "now": now,
                        "offset": step.offset_days,
                        "line_id": step.line_id,
                        "offset_modifier": f"{step.offset_days:+d} days",
                        "due_from": earliest_due,
                        "due_to": latest_due,
                    },
                )
                planned += max(cursor.rowcount, 0)
    return planned


def _plan_notice(step: ReminderStep, *, due_from: dt.date, due_to: dt.date, on_date: dt.date, now: dt.datetime) -> int:
    """The notice rows due by ``on_date`` of one line (one INSERT … SELECT): each case's notice goes
    on its step's day moved inside the window of the notice rule in force for the case
    (notifications.notice_rules: its region's rule before "all", an adverse-change rule when the
    quote rises above its threshold; the line's lead days without a rule); a case whose notice is
    already planned is left out. The rule is chosen once per case and joined, then the window
    arithmetic (NoticeRule.days_before) runs on plain columns."""
    address_field = CUSTOMER_CHANNEL_COLUMNS[step.channel][1]
    # A case the insurer declines to renew is owed its non-renewal notice (its rule: case_notice_rule).
    cases = RenewalCase.objects.filter(
        line_id=step.line_id, stage__in=NOTICE_STAGES, due_date__gte=due_from, due_date__lte=due_to
    ).exclude(Exists(OutboundMessage.objects.filter(case_id=OuterRef("pk"), is_notice=True)))
    rows = annotate_notice_rule_id(cases).annotate(
        case_id=F("id"), notice_address=Coalesce(F(f"customer__{address_field}"), Value(""))
    )
    rows = rows.values("case_id", "customer_id", "line_id", "due_date", "notice_rule_id", "notice_address")
    select_sql, select_params = rows.query.sql_with_params()
    preferred = -step.offset_days
    if connection.vendor == "postgresql":
        notice_date = "(w.due_date - w.days_before)"
    else:
        notice_date = "date(w.due_date, '-' || w.days_before || ' days')"
    plan_from = f" AND {notice_date} >= %s" if step.plan_from is not None else ""
    sql = f"""
        {_INSERT_COLUMNS}
        SELECT 'reminder', w.case_id, w.customer_id, w.line_id, %s, %s, %s, 'scheduled', '', '',
               {notice_date}, %s, %s, 0, '', '', w.notice_address, '', '', '', '', '', %s, %s
        FROM (
            SELECT d.*, CASE WHEN d.max_days IS NOT NULL AND d.max_days < d.at_least THEN d.max_days
                             ELSE d.at_least END AS days_before
            FROM (
                SELECT p.case_id, p.customer_id, p.line_id, p.due_date, p.notice_address, nr.max_days,
                       CASE WHEN COALESCE(nr.min_days, %s) > %s THEN COALESCE(nr.min_days, %s) ELSE %s END
                       AS at_least
                FROM ({select_sql}) p
                LEFT JOIN notifications_noticerule nr ON nr.id = p.notice_rule_id
            ) d
        ) w
        WHERE {notice_date} <= %s{plan_from}
        ON CONFLICT DO NOTHING
    """
    lead = step.line.notice_lead_days
    params = [
        step.pk,
        step.channel,
        True,
        now,
        now,
        now,
        now,
        lead,
        preferred,
        lead,
        preferred,
        *select_params,
        on_date,
    ]
    if step.plan_from is not None:
        params.append(step.plan_from)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _skip_rows_of_closed_cases(*, now: dt.datetime) -> int:
    """Safety net behind the case_closed receiver (a signal lost to a crash between commit and
    receiver): unsent reminders of cases closed in the last SWEEP_DAYS are skipped. Bounded by the
    closed_at index, so it stays cheap however large the outbox grows."""
    recently_closed = RenewalCase.objects.filter(closed_at__gte=now - dt.timedelta(days=SWEEP_DAYS)).exclude(
        stage__in=OPEN_STAGES
    )
    rows = OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.REMINDER, status=MessageStatus.SCHEDULED, case__in=recently_closed.values("id")
    )
    # A case not offered keeps its (non-renewal) notice.
    rows = rows.exclude(is_notice=True, case__stage=Stage.NOT_OFFERED)
    return rows.update(status=MessageStatus.SKIPPED, skip_reason=OutboundMessage.SkipReason.CASE_CLOSED, updated_at=now)


@transaction.atomic
def case_messages_skip(
    *, case_id: int, reason: str = OutboundMessage.SkipReason.CASE_CLOSED, keep_notice: bool = False
) -> int:
    """Skip the case's unsent reminder rows (scheduled, or sending whose lease will expire);
    ``keep_notice``: not the statutory notice (a case not offered still owes its non-renewal notice)."""
    rows = OutboundMessage.objects.filter(
        case_id=case_id, kind=OutboundMessage.Kind.REMINDER, status__in=OutboundMessage.UNSENT_STATUSES
    )
    if keep_notice:
        rows = rows.exclude(is_notice=True)
    return rows.update(status=MessageStatus.SKIPPED, skip_reason=reason, lease_until=None, updated_at=timezone.now())


@transaction.atomic
def case_notice_redate(*, case_id: int) -> int:
    """Move the case's scheduled notice to the day of the rule in force for it now (a case marked
    not offered: the non-renewal rule; reopened: the renewal rule again), the way planning dates it."""
    from notifications.notice_rules.selectors import case_notice_rule

    message = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("case__customer", "case__current_quote", "case__line", "step")
        .filter(case_id=case_id, is_notice=True, status=MessageStatus.SCHEDULED)
        .first()
    )
    if message is None:
        return 0
    case = message.case
    preferred = -message.step.offset_days
    rule = case_notice_rule(case)
    days = rule.days_before(preferred) if rule is not None else max(preferred, case.line.notice_lead_days)
    return OutboundMessage.objects.filter(pk=message.pk).update(
        due_date=case.due_date - dt.timedelta(days=days), updated_at=timezone.now()
    )


@transaction.atomic
def case_messages_unskip(*, case_id: int) -> int:
    """After a reopen: reminder rows skipped because the case closed, and not stale, are due again."""
    now = timezone.now()
    return OutboundMessage.objects.filter(
        case_id=case_id,
        kind=OutboundMessage.Kind.REMINDER,
        status=MessageStatus.SKIPPED,
        skip_reason=OutboundMessage.SkipReason.CASE_CLOSED,
        due_date__gte=timezone.localdate() - dt.timedelta(days=STALE_DAYS),
    ).update(status=MessageStatus.SCHEDULED, skip_reason="", next_attempt_at=now, updated_at=now)


@transaction.atomic
def survey_message_plan(*, case_id: int, invitation_id: int, link: str, send_after: dt.datetime) -> OutboundMessage:
    """Plan the survey invitation's message (idempotent per case): email when the customer can
    get email, else SMS; skipped with the reason when neither is allowed or known."""
    case = RenewalCase.objects.select_related("customer").get(pk=case_id)
    customer = case.customer
    channel, address, reason = _survey_channel(customer)
    message, _created = OutboundMessage.objects.get_or_create(
        case_id=case_id,
        kind=OutboundMessage.Kind.SURVEY,
        defaults={
            "customer_id": customer.pk,
            "line_id": case.line_id,
            "channel": channel,
            "status": MessageStatus.SKIPPED if reason else MessageStatus.SCHEDULED,
            "skip_reason": reason,
            "due_date": timezone.localdate(send_after),
            "scheduled_for": send_after,
            "next_attempt_at": send_after,
            "address": address,
            "link": link,
            "survey_invitation_id": invitation_id,
        },
    )
    return message


def _survey_channel(customer: Customer) -> tuple[str, str, str]:
    if customer.marketing_opt_out:
        return Channel.EMAIL, customer.email, OutboundMessage.SkipReason.OPTED_OUT
    for channel, consent, address in (
        (Channel.EMAIL, customer.consent_email, customer.email),
        (Channel.SMS, customer.consent_sms, customer.phone),
    ):
        if consent and address:
            return channel, address, ""
    if not (customer.consent_email or customer.consent_sms):
        return Channel.EMAIL, customer.email, OutboundMessage.SkipReason.OPTED_OUT
    return Channel.EMAIL, "", OutboundMessage.SkipReason.NO_ADDRESS
