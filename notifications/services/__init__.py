"""Reminder writes, one module per concern; the public names are re-exported here, so callers keep
writing ``from notifications import services; services.reminders_plan(...)``.

- planning: the outbox rows of due steps, skipped and restored with their case, survey messages
- dispatch: claim under a lease, send, record the outcome (daily_cap: the one-a-day claim and the
  notice's day; notice_routing: the channel a notice goes by)
- campaign_messages: a higher app's campaign messages and call tasks handed to the outbox, skipped
- calls_and_notices: a reminder call done, the statutory notice sent now, a posted notice letter
- customer_links: what a customer does through a signed link (confirm the offer, unsubscribe)
- webhooks: the SMS gateway's delivery reports
- settings: managers' message templates, reminder steps and notice channels; a new line's schedule

Every function is keyword-only and one transaction, except dispatch's send, which must not hold one.
"""

from notifications.rendering import content_hash
from notifications.services.calls_and_notices import call_task_complete, notice_letter_record, notice_send_now
from notifications.services.campaign_messages import campaign_messages_enqueue, campaign_messages_skip
from notifications.services.customer_links import (
    customer_consent_withdraw,
    customer_marketing_opt_out,
    offer_addons_choose,
    offer_confirm,
)
from notifications.services.dispatch import (
    dispatch_reference_time,
    message_claim_one,
    message_defer,
    message_dispatch,
    message_lease_renew,
    message_record_failure,
    message_record_sent,
    message_send_start,
    message_skip,
    messages_claim,
    messages_dispatch_due,
    messages_release,
)
from notifications.services.notice_routing import message_await_letter, message_notice_reroute
from notifications.services.planning import (
    STALE_DAYS,
    case_messages_skip,
    case_messages_unskip,
    case_notice_redate,
    reminders_plan,
    survey_message_plan,
)
from notifications.services.settings import (
    line_schedule_seed,
    message_template_update,
    notice_step_check,
    reminder_step_create,
    reminder_step_remove,
    reminder_step_update,
)
from notifications.services.webhooks import delivery_status_record

__all__ = [
    "STALE_DAYS",
    "call_task_complete",
    "campaign_messages_enqueue",
    "campaign_messages_skip",
    "case_messages_skip",
    "case_messages_unskip",
    "case_notice_redate",
    "content_hash",
    "customer_consent_withdraw",
    "customer_marketing_opt_out",
    "delivery_status_record",
    "line_schedule_seed",
    "dispatch_reference_time",
    "message_await_letter",
    "message_claim_one",
    "message_defer",
    "message_dispatch",
    "message_lease_renew",
    "message_notice_reroute",
    "message_record_failure",
    "message_record_sent",
    "message_send_start",
    "message_skip",
    "message_template_update",
    "messages_claim",
    "messages_dispatch_due",
    "messages_release",
    "notice_letter_record",
    "notice_step_check",
    "notice_send_now",
    "offer_addons_choose",
    "offer_confirm",
    "reminder_step_create",
    "reminder_step_remove",
    "reminder_step_update",
    "reminders_plan",
    "survey_message_plan",
]
