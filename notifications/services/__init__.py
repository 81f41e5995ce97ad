"""Reminder writes, one module per concern; the public names are re-exported here, so callers keep
writing ``from notifications import services; services.reminders_plan(...)``.

- planning: the outbox rows of due steps, skipped and restored with their case, survey messages
- dispatch: claim under a lease, send, record the outcome
- calls_and_notices: a reminder call done, the statutory notice sent now
- customer_links: what a customer does through a signed link (confirm the offer, unsubscribe)
- webhooks: the SMS gateway's delivery reports
- settings: managers' message templates and reminder steps

Every function is keyword-only and one transaction, except dispatch's send, which must not hold one.
"""

from notifications.rendering import content_hash
from notifications.services.calls_and_notices import call_task_complete, notice_send_now
from notifications.services.customer_links import customer_consent_withdraw, offer_confirm
from notifications.services.dispatch import (
    dispatch_reference_time,
    message_claim_one,
    message_defer,
    message_dispatch,
    message_lease_renew,
    message_record_failure,
    message_record_sent,
    message_skip,
    messages_claim,
    messages_dispatch_due,
    messages_release,
)
from notifications.services.planning import (
    STALE_DAYS,
    case_messages_skip,
    case_messages_unskip,
    reminders_plan,
    survey_message_plan,
)
from notifications.services.settings import message_template_update, reminder_step_update
from notifications.services.webhooks import delivery_status_record

__all__ = [
    "STALE_DAYS",
    "call_task_complete",
    "case_messages_skip",
    "case_messages_unskip",
    "content_hash",
    "customer_consent_withdraw",
    "delivery_status_record",
    "dispatch_reference_time",
    "message_claim_one",
    "message_defer",
    "message_dispatch",
    "message_lease_renew",
    "message_record_failure",
    "message_record_sent",
    "message_skip",
    "message_template_update",
    "messages_claim",
    "messages_dispatch_due",
    "messages_release",
    "notice_send_now",
    "offer_confirm",
    "reminder_step_update",
    "reminders_plan",
    "survey_message_plan",
]
