from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import account_views, views
from renewals import import_views

# Swagger UI's page carries one small inline <style>; allow exactly it (by hash), nothing else.
# Its init script is served as a separate file by the split view, so no inline script is needed.
SWAGGER_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
api_docs = csp_update({"style-src": [SWAGGER_STYLE_HASH]})(SpectacularSwaggerSplitView.as_view(url_name="schema"))

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("imports/", import_views.upload, name="imports"),
    re_path(r"^imports/(?P<job_id>[0-9a-f]{32})/$", import_views.job, name="import-job"),
    re_path(r"^imports/(?P<job_id>[0-9a-f]{32})/errors\.csv$", import_views.job_errors, name="import-job-errors"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("", include("customers.urls")),
    path("", include("renewals.urls")),
    path("", include("notifications.urls")),
    path("", include("analytics.urls")),
]

admin.site.site_header = "Renewal Desk"
admin.site.site_title = "Renewal Desk"

handler404 = "core.api.handler404"
