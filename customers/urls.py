from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("customers/search/", views.customer_search, name="search"),
    path("customers/<int:pk>/contact/", views.customer_contact, name="contact"),
    path("customers/<int:customer_id>/contact/panel/", views.panel_contact, name="panel-contact"),
    path("complaints/", views.complaint_queue, name="complaint-queue"),
    path("complaints/new/", views.complaint_new, name="complaint-new"),
    path("complaints/new/customers/", views.complaint_customer_picker, name="complaint-customer-picker"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path(
        "complaints/<int:pk>/<slug:action>/",
        views.complaint_action,
        name="complaint-action",
    ),
    path("complaints/settings/", views.complaint_settings, name="complaint-settings"),
    path("complaints/follow-ups/", views.follow_up_list, name="follow-ups"),
    path("complaints/follow-ups/<int:pk>/done/", views.follow_up_done, name="follow-up-done"),
    path("complaints/follow-ups/<int:pk>/assign/", views.follow_up_assign, name="follow-up-assign"),
    path("complaints/surveys/", views.survey_list, name="surveys"),
    path("complaints/surveys/record/", views.survey_answer_record, name="survey-record"),
    path("complaints/panel/customer/<int:customer_id>/", views.panel_customer, name="panel-customer"),
    path("complaints/panel/escalated/", views.panel_escalated, name="panel-escalated"),
    path("surveys/<str:token>/", views.survey_page, name="survey"),
]
