"""The /api/v1/ router: every app's viewsets are registered here."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from campaigns import api as campaigns_api
from config.account_views import ObtainToken
from core.roles import IsStaffMember
from customers import api as customers_api
from documents import api as documents_api
from notifications import api as notifications_api
from notifications.notice_rules import api as notice_rules_api
from renewals import api as renewals_api
from renewals.playbooks import api as playbooks_api

# Typed path converters (<int:pk>, <slug:code>) so the schema says what the URLs accept; no ".json" suffix routes.


class RootView(APIRootView):
    """The list of resources, for the desk's staff only (like every other API path)."""

    permission_classes = [IsAuthenticated, IsStaffMember]


router = DefaultRouter(use_regex_path=False)
router.APIRootView = RootView
router.include_format_suffixes = False
router.register("customers", customers_api.CustomerViewSet, basename="customer")
router.register("policies", renewals_api.PolicyViewSet, basename="policy")
router.register("lines", renewals_api.LineViewSet, basename="line")
router.register("cases", renewals_api.CaseViewSet, basename="case")
router.register("quotes", renewals_api.QuoteViewSet, basename="quote")
router.register("referrals", renewals_api.ReferralViewSet, basename="referral")
router.register("addons", renewals_api.AddOnViewSet, basename="addon")
router.register("playbooks", playbooks_api.PlaybookViewSet, basename="playbook")
router.register("competitors", renewals_api.CompetitorViewSet, basename="competitor")
router.register("complaints", customers_api.ComplaintViewSet, basename="complaint")
router.register("survey-responses", customers_api.SurveyResponseViewSet, basename="survey-response")
router.register("messages", notifications_api.MessageViewSet, basename="message")
router.register("notice-rules", notice_rules_api.NoticeRuleViewSet, basename="notice-rule")
router.register("campaigns", campaigns_api.CampaignViewSet, basename="campaign")
router.register("experiments", campaigns_api.ExperimentViewSet, basename="experiment")
router.register("lifecycle-settings", campaigns_api.LifecycleSettingViewSet, basename="lifecycle-setting")

urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="api-token"),
    path("imports/", renewals_api.ImportView.as_view(), name="api-imports"),
    path("cases/<int:case_id>/documents/", documents_api.CaseDocumentsView.as_view(), name="api-case-documents"),
    path("documents/<int:document_id>/file/", documents_api.DocumentFileView.as_view(), name="api-document-file"),
    *router.urls,
]
