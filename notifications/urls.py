from django.urls import path

from notifications import views
from notifications.notice_rules import views as notice_rule_views

app_name = "notifications"

urlpatterns = [
    path("notifications/cases/<int:case_id>/messages/", views.case_messages, name="case_messages"),
    path("notifications/cases/<int:case_id>/send-notice/", views.notice_send_now, name="notice_send_now"),
    path("notifications/cases/<int:case_id>/notice-proof/", views.notice_letter, name="notice_letter"),
    path("notifications/customers/<int:customer_id>/messages/", views.customer_messages, name="customer_messages"),
    path("notifications/call-tasks/", views.call_tasks, name="call_tasks"),
    path("notifications/call-tasks/<int:message_id>/done/", views.call_task_done, name="call_task_done"),
    path("notifications/watchlist/", views.watchlist, name="watchlist"),
    path("notifications/messages/", views.message_list, name="messages"),
    path("notifications/settings/", views.settings_page, name="settings"),
    path("notifications/settings/steps/<int:step_id>/", views.step_edit, name="step_edit"),
    path("notifications/settings/steps/<int:step_id>/remove/", views.step_remove, name="step_remove"),
    path("notifications/settings/lines/<int:line_id>/steps/new/", views.step_add, name="step_add"),
    path("notifications/settings/templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path(
        "notifications/settings/templates/<int:template_id>/preview/",
        views.template_preview,
        name="template_preview",
    ),
    path("notifications/notice-rules/", notice_rule_views.notice_rules, name="notice_rules"),
    path("notifications/notice-rules/<int:rule_id>/end/", notice_rule_views.notice_rule_end, name="notice_rule_end"),
    path("notifications/webhooks/sms/", views.sms_webhook, name="sms_webhook"),
    path("offer/<str:token>/", views.offer, name="offer"),
    path("offer/<str:token>/document/", views.offer_document, name="offer_document"),
    path("notice/<str:token>/", views.notice_document, name="notice_document"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
