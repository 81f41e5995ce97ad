from django.urls import path

from renewals import views
from renewals.playbooks import views as playbook_views

app_name = "renewals"

urlpatterns = [
    path("cases/", views.queue, name="queue"),
    path("cases/reassign/", views.bulk_reassign, name="bulk-reassign"),
    path("cases/approvals/", views.approvals, name="approvals"),
    path("cases/approvals/<int:quote_id>/decide/", views.approval_decide, name="approval-decide"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/quote/preview/", views.quote_preview, name="quote-preview"),
    path("cases/<int:pk>/referrals/<int:referral_id>/resolve/", views.referral_resolve, name="referral-resolve"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="case-action"),
    path("customers/<int:pk>/", views.customer_page, name="customer"),
    path("customers/<int:pk>/services/", views.service_use, name="service-use"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/lines/", views.settings_lines, name="settings-lines"),
    path("settings/pricing/", views.settings_pricing, name="settings-pricing"),
    path("settings/authority/", views.settings_authority, name="settings-authority"),
    path("settings/reasons/", views.settings_reasons, name="settings-reasons"),
    path("settings/competitors/", views.settings_competitors, name="settings-competitors"),
    path("settings/addons/", views.settings_addons, name="settings-addons"),
    path("settings/playbooks/", playbook_views.settings_playbooks, name="settings-playbooks"),
    path("settings/playbooks/new/", playbook_views.playbook_edit, name="playbook-new"),
    path("settings/playbooks/match-count/", playbook_views.playbook_match_count, name="playbook-match-count"),
    path("settings/playbooks/<int:playbook_id>/", playbook_views.playbook_edit, name="playbook-edit"),
    path("settings/playbooks/<int:playbook_id>/reapply/", playbook_views.playbook_reapply, name="playbook-reapply"),
    path("settings/playbooks/<int:playbook_id>/retire/", playbook_views.playbook_retire, name="playbook-retire"),
    path("settings/specialists/", views.settings_specialists, name="settings-specialists"),
    path("settings/specialists/<int:user_id>/handover/", views.specialist_handover, name="specialist-handover"),
    path("settings/audit/", views.settings_audit, name="settings-audit"),
]
