import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from renewals.imports import jobs, tasks
from renewals.models import Policy
from tests.imports.helpers import csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def upload(name: str, data: bytes):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- upload page -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["specialist", "support"])
def test_only_managers_may_open_the_upload_page(request, client_for, role):
    user = request.getfixturevalue(role)
    assert client_for(user).get("/imports/").status_code == 403


def test_upload_page_renders_for_a_manager(client_for, manager):
    response = client_for(manager).get("/imports/")
    assert response.status_code == 200
    assert "Import policies" in response.content.decode()


def test_upload_queues_a_job_then_the_worker_imports_and_the_page_shows_the_result(
    client_for, manager, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.import_policies_job, "delay", lambda job_id: queued.append(job_id))
    client = client_for(manager)
    data = csv_bytes([row(), row(policy_number="P-0002", email="bad")])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"file": upload("book.csv", data)})

    assert response.status_code == 302
    [job_id] = queued
    assert response["Location"] == f"/imports/{job_id}/"
    waiting = client.get(f"/imports/{job_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting

    tasks.import_policies_job(job_id)  # what the worker runs

    page = client.get(f"/imports/{job_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in page  # polling stops when done
    assert "1 row with errors was not imported" in page
    assert "is not an email address" in page
    assert Policy.objects.filter(number="P-0001").exists()
    report = client.get(f"/imports/{job_id}/errors.csv")
    assert report.status_code == 200
    assert report.content.decode().splitlines() == ["row,column,message", "3,email,is not an email address"]


def test_a_dry_run_upload_saves_nothing(client_for, manager, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks.import_policies_job, "delay", lambda job_id: queued.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(manager).post("/imports/", {"file": upload("book.csv", csv_bytes([row()])), "dry_run": "on"})

    tasks.import_policies_job(queued[0])

    assert jobs.read_status(queued[0])["result"]["policies"]["created"] == 1
    assert not Policy.objects.exists()


def test_a_file_missing_columns_fails_the_job_with_the_columns_named(manager):
    job_id = jobs.job_create(upload=upload("x.csv", b"policy_number\nP1\n"), user=manager, dry_run=False)

    tasks.import_policies_job(job_id)

    status = jobs.read_status(job_id)
    assert status["state"] == "failed"
    assert status["message"].startswith("Missing required columns: customer_ref, customer_name")


def test_upload_refuses_other_file_types(client_for, manager):
    response = client_for(manager).post("/imports/", {"file": upload("book.pdf", b"%PDF")})
    assert response.status_code == 200
    assert "Upload a .csv or .xlsx file." in response.content.decode()


def test_job_pages_are_for_managers_only(client_for, manager, specialist):
    job_id = jobs.job_create(upload=upload("x.csv", b"a\n"), user=manager, dry_run=False)
    assert client_for(specialist).get(f"/imports/{job_id}/").status_code == 403
    assert client_for(specialist).get(f"/imports/{job_id}/errors.csv").status_code == 403


def test_unknown_job_is_404(client_for, manager):
    assert client_for(manager).get(f"/imports/{'0' * 32}/").status_code == 404


# --- API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["specialist", "support"])
def test_only_managers_may_import_through_the_api(request, role):
    client = token_client(request.getfixturevalue(role))
    response = client.post("/api/v1/imports/", {"file": upload("p.csv", csv_bytes([row()]))}, format="multipart")
    assert response.status_code == 403
    assert not Policy.objects.exists()


def test_api_import_answers_counts_and_row_errors(manager):
    client = token_client(manager)
    data = csv_bytes([row(), row(policy_number="P-0002", premium="1.005")])

    response = client.post("/api/v1/imports/", {"file": upload("p.csv", data)}, format="multipart")

    assert response.status_code == 200
    body = response.json()
    assert body["policies"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert body["errors"] == [
        {"row": 3, "column": "premium", "message": "must be a non-negative amount with at most 2 decimals"}
    ]
    again = client.post("/api/v1/imports/", {"file": upload("p.csv", data)}, format="multipart").json()
    assert again["changed"] is False
    assert again["summary"].startswith("Nothing changed")


def test_api_import_takes_xlsx_and_dry_run(manager):
    response = token_client(manager).post(
        "/api/v1/imports/", {"file": upload("p.xlsx", xlsx_bytes([row()])), "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["policies"]["created"] == 1
    assert not Policy.objects.exists()


def test_api_import_names_missing_columns_in_the_error_shape(manager):
    response = token_client(manager).post(
        "/api/v1/imports/", {"file": upload("p.csv", b"policy_number,line\nP1,auto\n")}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "missing_columns"
    assert body["errors"]["file"][0].startswith("Missing required columns: customer_ref")


def test_api_import_without_a_file_is_400(manager):
    response = token_client(manager).post("/api/v1/imports/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
