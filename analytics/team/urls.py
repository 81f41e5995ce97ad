"""The Team page's URLs, included in the analytics namespace (analytics/urls.py)."""

from django.urls import path

from . import api, views

urlpatterns = [
    path("api/v1/team/", api.TeamView.as_view(), name="api-team"),
    path("analytics/team/", views.team_page, name="team"),
    path("analytics/team/settings/", views.team_settings, name="team-settings"),
    path("analytics/team/rebalance/", views.team_rebalance, name="team-rebalance"),
    path("analytics/team/export/<slug:table>.<str:fmt>", views.team_export, name="team-export"),
    path("analytics/team/panel/", views.queue_panel, name="team-panel"),
]
