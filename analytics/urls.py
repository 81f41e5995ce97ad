from django.urls import path

from . import api, views
from .team import urls as team_urls

app_name = "analytics"

urlpatterns = [
    path("api/v1/kpis/", api.KpiView.as_view(), name="api-kpis"),
    path("analytics/", views.dashboard, name="dashboard"),
    path("analytics/targets/", views.targets, name="targets"),
    path("analytics/addons/", views.addons_card, name="addons-card"),
    path("analytics/playbooks/", views.playbooks_card, name="playbooks-card"),
    path("analytics/price-sensitivity/", views.price_sensitivity_card, name="price-sensitivity-card"),
    path("analytics/competitors/", views.competitors_card, name="competitors-card"),
    path("analytics/cases/", views.drill_cases, name="drill-cases"),
    path("analytics/complaints/", views.drill_complaints, name="drill-complaints"),
    path("analytics/export/<slug:table>.<str:fmt>", views.export, name="export"),
    path("analytics/model/", views.churn_model, name="model"),
    *team_urls.urlpatterns,
]
