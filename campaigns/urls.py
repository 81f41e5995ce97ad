from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/start/", views.campaign_start, name="campaign_start"),
    path("campaigns/lifecycle/", views.lifecycle, name="lifecycle"),
    path("settings/lifecycle/", views.lifecycle_settings, name="lifecycle_settings"),
    path("campaigns/panels/lifecycle-flows/", views.lifecycle_flows_panel, name="panel-flows"),
    path("campaigns/customers/<int:customer_id>/lifecycle/", views.customer_lifecycle, name="customer_lifecycle"),
    path("experiments/", views.experiment_list, name="experiments"),
    path("experiments/new/", views.experiment_new, name="experiment_new"),
    path("experiments/<int:pk>/", views.experiment_detail, name="experiment"),
    path("experiments/<int:pk>/start/", views.experiment_action, {"action": "start"}, name="experiment_start"),
    path("experiments/<int:pk>/stop/", views.experiment_action, {"action": "stop"}, name="experiment_stop"),
    path("experiments/<int:pk>/winner/", views.experiment_action, {"action": "winner"}, name="experiment_winner"),
]
