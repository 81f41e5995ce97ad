"""Every write of the renewals app: keyword-only, one transaction each, by concern.

- ``workflow``: the transitions table and the case actions (contact, quote, renew, lost, not offered,
  reopen, approvals, timeline entries)
- ``referrals``: asking underwriting or claims, and marking their answer
- ``opening``: the window scan that opens and assigns cases, and lapsing past grace
- ``assignment``: balancing, a manager's (re)assignment, hand-over of an away specialist's cases
- ``priority``: ``case_priority``, churn scores, complaints and survey answers on the timeline
- ``settings``: lines, pricing rules, discount authority, lost reasons, specialists' profiles

Callers import from here (``from renewals import services; services.case_log_contact(...)``).
"""

from renewals.services._common import WRITE_BATCH, _save_case, user_display_name
from renewals.services.assignment import case_assign, cases_reassign, specialist_cases_handover, work_balance
from renewals.services.opening import (
    EXPIRE_BATCH,
    LAPSE_BATCH,
    OPEN_BATCH,
    cases_lapse_due,
    cases_open_due,
    policies_expire_due,
)
from renewals.services.priority import (
    COMPLAINT_PRIORITY_FACTOR,
    UNSCORED_CHURN_RISK,
    case_note_survey,
    case_priority,
    cases_note_complaint,
    cases_priority_recompute,
    cases_score_update,
    cases_scores_clear,
)
from renewals.services.referrals import case_refer, referral_resolve
from renewals.services.settings import (
    LINE_FIELDS,
    discount_authorities_set,
    line_save,
    lost_reason_save,
    pricing_rule_save,
    specialist_profile_save,
)
from renewals.services.workflow import (
    REOPENABLE,
    TRANSITIONS,
    can_transition,
    case_event_record,
    case_log_contact,
    case_mark_lost,
    case_mark_not_offered,
    case_mark_renewed,
    case_reopen,
    quote_approve,
    quote_choose_addons,
    quote_prepare,
    quote_reject,
)

__all__ = [
    "COMPLAINT_PRIORITY_FACTOR",
    "LAPSE_BATCH",
    "LINE_FIELDS",
    "OPEN_BATCH",
    "REOPENABLE",
    "TRANSITIONS",
    "WRITE_BATCH",
    "_save_case",  # the version-checked write, exercised directly by the optimistic-lock tests
    "can_transition",
    "case_assign",
    "case_event_record",
    "case_log_contact",
    "case_mark_lost",
    "case_mark_not_offered",
    "case_mark_renewed",
    "case_note_survey",
    "case_priority",
    "cases_scores_clear",
    "cases_priority_recompute",
    "UNSCORED_CHURN_RISK",
    "case_refer",
    "case_reopen",
    "cases_lapse_due",
    "policies_expire_due",
    "EXPIRE_BATCH",
    "cases_note_complaint",
    "cases_open_due",
    "cases_reassign",
    "cases_score_update",
    "discount_authorities_set",
    "line_save",
    "lost_reason_save",
    "pricing_rule_save",
    "quote_approve",
    "quote_choose_addons",
    "quote_prepare",
    "quote_reject",
    "referral_resolve",
    "specialist_cases_handover",
    "specialist_profile_save",
    "user_display_name",
    "work_balance",
]
