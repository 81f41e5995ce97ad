"""Customer voice writes: contact details, complaints and their SLAs, NPS surveys, follow-ups.

Every function is keyword-only, runs in one transaction and raises ApplicationError on a rule
violation. By concern: ``contact`` (details and consent, audited), ``complaints`` (logging, the
workflow, escalation), ``voice_settings`` (managers' SLAs, survey delay, categories) and ``surveys``
(invitations, answers, follow-ups). Callers import from ``customers.services``.
"""

from customers.services.complaints import (
    ESCALATION_BATCH_SIZE,
    complaint_acknowledge,
    complaint_assign,
    complaint_close,
    complaint_log,
    complaint_reopen,
    complaint_resolve,
    complaint_start,
    complaints_escalate_breached,
)
from customers.services.contact import customer_consent_set, customer_marketing_opt_out_set, customer_update_contact
from customers.services.surveys import (
    survey_answer_by_link,
    survey_follow_up_assign,
    survey_follow_up_complete,
    survey_invitation_create,
    survey_response_record,
)
from customers.services.voice_settings import (
    complaint_category_save,
    complaint_sla_update,
    customer_voice_settings_update,
)

__all__ = [
    "ESCALATION_BATCH_SIZE",
    "complaint_acknowledge",
    "complaint_assign",
    "complaint_category_save",
    "complaint_close",
    "complaint_log",
    "complaint_reopen",
    "complaint_resolve",
    "complaint_sla_update",
    "complaint_start",
    "complaints_escalate_breached",
    "customer_consent_set",
    "customer_marketing_opt_out_set",
    "customer_update_contact",
    "customer_voice_settings_update",
    "survey_follow_up_assign",
    "survey_follow_up_complete",
    "survey_invitation_create",
    "survey_answer_by_link",
    "survey_response_record",
]
