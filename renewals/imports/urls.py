"""The upload page and its jobs; included at the site root by ``config/urls.py`` (no namespace:
templates and tests reverse ``imports``, ``import-job`` and ``import-job-errors``)."""

from django.urls import path, re_path

from renewals.imports import views

urlpatterns = [
    path("imports/", views.upload, name="imports"),
    re_path(r"^imports/(?P<job_id>[0-9a-f]{32})/$", views.job, name="import-job"),
    re_path(r"^imports/(?P<job_id>[0-9a-f]{32})/errors\.csv$", views.job_errors, name="import-job-errors"),
]
