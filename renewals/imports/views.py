"""The managers' upload page ``/imports/``: upload, then watch a Celery job's progress (htmx poll)."""

from django import forms
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core.roles import Role, role_required
from renewals.imports import jobs, tasks

ALLOWED_SUFFIXES = (".csv", ".xlsx")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Policy file (CSV or XLSX)"),
        help_text=_("UTF-8 CSV (with or without BOM) or an Excel workbook, with the columns of the import format."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check and count, save nothing"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job_id = jobs.job_create(
            upload=form.cleaned_data["file"], user=request.user, dry_run=form.cleaned_data["dry_run"]
        )
        transaction.on_commit(lambda: tasks.import_policies_job.delay(job_id))
        return redirect("import-job", job_id=job_id)
    return render(request, "imports/upload.html", {"form": form, "jobs": jobs.recent_jobs()})


def _status_or_404(job_id: str) -> dict:
    status = jobs.read_status(job_id)
    if status is None:
        raise Http404
    return status


@role_required(Role.MANAGER)
@require_GET
def job(request, job_id):
    status = _status_or_404(job_id)
    template = "imports/_progress.html" if request.htmx else "imports/job.html"
    return render(request, template, {"job": status})


@role_required(Role.MANAGER)
@require_GET
def job_errors(request, job_id):
    _status_or_404(job_id)
    path = jobs.job_dir(job_id) / "errors.csv"
    if not path.exists():
        raise Http404
    response = HttpResponse(path.read_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-errors-{job_id[:8]}.csv"'
    return response
