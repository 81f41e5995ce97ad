from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import account_views, views

# Swagger UI's page carries one small inline <style>; allow exactly it (by hash), nothing else.
# Its init script is served as a separate file by the split view, so no inline script is needed.
SWAGGER_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
# DRF marks its views exempt from LoginRequiredMiddleware; the docs page redirects visitors to log in.
api_docs = login_required(
    csp_update({"style-src": [SWAGGER_STYLE_HASH]})(SpectacularSwaggerSplitView.as_view(url_name="schema"))
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path(
        "accounts/password_reset/",
        login_not_required(account_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("", include("renewals.imports.urls")),  # /imports/ and its jobs
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("", include("customers.urls")),
    path("", include("renewals.urls")),
    path("", include("documents.urls")),
    path("", include("notifications.urls")),
    path("", include("campaigns.urls")),
    path("", include("analytics.urls")),
]

admin.site.site_header = "Renewal Desk"
admin.site.site_title = "Renewal Desk"

handler404 = "core.api.handler404"
