"""Receivers of the renewals signals (connected in NotificationsConfig.ready)."""

import datetime as dt
import logging

from django.db import transaction

from notifications import services

logger = logging.getLogger(__name__)
SURVEY_STAGES = ("renewed", "lost")
NOT_OFFERED = "not_offered"


def on_case_closed(sender, *, case, stage, actor=None, **kwargs):
    """Unsent reminders of a closed case are skipped; a renewed or lost customer gets a survey."""
    not_offered = str(stage) == NOT_OFFERED
    # A case the insurer declines to renew keeps its notice, now the non-renewal notice on its rule's day.
    services.case_messages_skip(case_id=case.pk, keep_notice=not_offered)
    if not_offered:
        services.case_notice_redate(case_id=case.pk)
    if str(stage) in SURVEY_STAGES:
        try:
            plan_survey(case=case)
        except Exception:  # the survey is secondary: never let it undo the case's closing
            logger.exception("survey invitation for case %s not planned", case.pk)


def on_case_reopened(sender, *, case, actor=None, **kwargs):
    """Reminders skipped because the case closed come back if their date has not long passed."""
    services.case_messages_unskip(case_id=case.pk)
    # An unsent non-renewal notice is a renewal notice again, on the renewal rule's day.
    services.case_notice_redate(case_id=case.pk)


def on_line_saved(sender, *, line, created, actor=None, **kwargs):
    """A new line gets its reminder schedule, notice channels and texts; a changed line's notice
    lead time must still be met by its notice step (ApplicationError otherwise: the change is
    rolled back with line_save's transaction)."""
    if created:
        services.line_schedule_seed(line_id=line.pk, actor=actor)
    else:
        services.notice_step_check(line_id=line.pk, notice_lead_days=line.notice_lead_days)


def plan_survey(*, case) -> None:
    from customers.links import survey_url
    from customers.selectors import survey_delay_days
    from customers.services import survey_invitation_create

    closed_at = case.closed_at or dt.datetime.now(dt.UTC)
    send_after = closed_at + dt.timedelta(days=survey_delay_days())
    with transaction.atomic():
        invitation = survey_invitation_create(customer_id=case.customer_id, case_id=case.pk, send_after=send_after)
        services.survey_message_plan(
            case_id=case.pk, invitation_id=invitation.pk, link=survey_url(invitation), send_after=invitation.send_after
        )
