"""Specialist and manager screens. Thin: parse input, call one service or selector, render.

``queue`` (my queue, team queue, approvals), ``case`` (the case page and its actions), ``customer``
and ``settings`` (managers); the names below are what ``renewals/urls.py`` routes.
"""

from renewals.views.case import case_action, case_page, quote_preview, referral_resolve
from renewals.views.competitors import settings_competitors
from renewals.views.customer import customer_page, service_use
from renewals.views.queue import approval_decide, approvals, bulk_reassign, queue
from renewals.views.settings import (
    settings_addons,
    settings_audit,
    settings_authority,
    settings_index,
    settings_lines,
    settings_pricing,
    settings_reasons,
    settings_specialists,
    specialist_handover,
)

__all__ = [
    "approval_decide",
    "approvals",
    "bulk_reassign",
    "case_action",
    "case_page",
    "customer_page",
    "service_use",
    "queue",
    "quote_preview",
    "referral_resolve",
    "settings_audit",
    "settings_authority",
    "settings_competitors",
    "settings_index",
    "settings_lines",
    "settings_pricing",
    "settings_addons",
    "settings_reasons",
    "settings_specialists",
    "specialist_handover",
]
