"""The renewals API (routed in config/api_urls.py), by concern: ``catalogue`` (lines, policies, the
policy import, add-ons), ``cases`` (cases and their actions), ``decisions`` (quote approval,
referrals); ``_common`` holds what they share."""

from renewals.api.cases import CaseSerializer, CaseViewSet
from renewals.api.catalogue import AddOnViewSet, ImportView, LineViewSet, PolicySerializer, PolicyViewSet
from renewals.api.competitors import CompetitorViewSet
from renewals.api.decisions import QuoteViewSet, ReferralViewSet

__all__ = [
    "AddOnViewSet",
    "CaseSerializer",
    "CaseViewSet",
    "CompetitorViewSet",
    "ImportView",
    "LineViewSet",
    "PolicySerializer",
    "PolicyViewSet",
    "QuoteViewSet",
    "ReferralViewSet",
]
