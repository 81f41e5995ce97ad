"""Who gets which document: specialists their own cases, customers their own offer, staff only."""

import pytest
from django.core import signing

from documents import services
from documents.models import DocumentKind
from notifications.links import OFFER_SALT, offer_token
from tests.documents.conftest import pdf_text, quoted_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(specialist, other_specialist):
    mine = quoted_case(assignee=specialist, name="张伟")
    theirs = quoted_case(assignee=other_specialist, name="李娜")
    return (
        mine,
        theirs,
        services.document_issue(case_id=mine.pk, kind=DocumentKind.OFFER),
        services.document_issue(case_id=theirs.pk, kind=DocumentKind.OFFER),
    )


def test_specialist_lists_and_downloads_only_their_own_cases_documents(two_cases, specialist, client_for):
    mine, theirs, my_doc, their_doc = two_cases
    client = client_for(specialist)
    listing = client.get(f"/api/v1/cases/{mine.pk}/documents/")
    assert listing.status_code == 200
    row = listing.json()[0]
    assert (row["kind"], row["version"], row["language"], row["sha256"]) == ("offer", 1, "zh-hans", my_doc.sha256)
    assert row["url"].endswith(f"/api/v1/documents/{my_doc.pk}/file/")
    file = client.get(f"/api/v1/documents/{my_doc.pk}/file/")
    assert file.status_code == 200 and file["Content-Type"] == "application/pdf"
    assert "张伟" in pdf_text(file.content)
    # another specialist's case and document answer as unknown ones do
    assert client.get(f"/api/v1/cases/{theirs.pk}/documents/").status_code == 404
    assert client.get(f"/api/v1/documents/{their_doc.pk}/file/").status_code == 404
    assert client.get(f"/documents/{their_doc.pk}/download/").status_code == 404
    assert client.get(f"/documents/cases/{theirs.pk}/").status_code == 404
    assert client.post(f"/documents/cases/{theirs.pk}/issue/", {"kind": "offer"}).status_code == 404


def test_manager_and_support_read_every_case_but_support_cannot_issue(two_cases, manager, support, client_for):
    _mine, theirs, _my_doc, their_doc = two_cases
    assert client_for(manager).get(f"/api/v1/documents/{their_doc.pk}/file/").status_code == 200
    client = client_for(support)
    assert client.get(f"/documents/{their_doc.pk}/download/").status_code == 200
    assert client.post(f"/documents/cases/{theirs.pk}/issue/", {"kind": "offer"}).status_code == 403


def test_anonymous_and_bad_ids_get_nothing(two_cases, client, specialist, client_for):
    _mine, _theirs, my_doc, _their_doc = two_cases
    assert client.get(f"/api/v1/documents/{my_doc.pk}/file/").status_code in (401, 403)
    assert client.get(f"/documents/{my_doc.pk}/download/").status_code == 302  # to the login page
    staff = client_for(specialist)
    assert staff.get("/api/v1/documents/999999999/file/").status_code == 404
    assert staff.get("/api/v1/documents/99999999999999999999/file/").status_code == 404
    assert staff.get("/api/v1/cases/abc/documents/").status_code == 404


def test_customer_link_serves_its_own_offer_only(two_cases, client):
    mine, theirs, _my_doc, _their_doc = two_cases
    response = client.get(f"/offer/{offer_token(mine.pk)}/document/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "张伟" in text and "李娜" not in text
    # a token for another purpose (an unsubscribe link's salt) or tampered with is refused
    forged = signing.dumps({"c": theirs.pk}, salt="notifications.unsubscribe", compress=True)
    assert client.get(f"/offer/{forged}/document/").status_code == 400
    tampered = offer_token(mine.pk)[:-2] + "xx"
    assert client.get(f"/offer/{tampered}/document/").status_code == 400
    assert signing.loads(offer_token(theirs.pk), salt=OFFER_SALT) == {"c": theirs.pk}


def test_customer_download_reuses_the_offer_of_the_current_quote(two_cases, client):
    mine, _theirs, my_doc, _their_doc = two_cases
    client.get(f"/offer/{offer_token(mine.pk)}/document/")
    client.get(f"/offer/{offer_token(mine.pk)}/document/")
    assert mine.documents.filter(kind="offer").count() == 1
    assert mine.documents.get(kind="offer").pk == my_doc.pk


def test_specialist_issues_again_from_the_case_page(two_cases, specialist, client_for):
    mine, *_ = two_cases
    response = client_for(specialist).post(f"/documents/cases/{mine.pk}/issue/", {"kind": "notice"})
    assert response.status_code == 302
    assert mine.documents.filter(kind="notice", version=1, issued_by=specialist).exists()
    response = client_for(specialist).post(f"/documents/cases/{mine.pk}/issue/", {"kind": "confirmation"})
    assert not mine.documents.filter(kind="confirmation").exists()  # not renewed yet: refused with a message


def test_case_panel_lists_versions_with_a_constant_number_of_queries(
    two_cases, specialist, client_for, django_assert_max_num_queries
):
    mine, *_ = two_cases
    for _ in range(3):
        services.document_issue(case_id=mine.pk, kind=DocumentKind.NOTICE)
    client = client_for(specialist)
    with django_assert_max_num_queries(12):
        page = client.get(f"/documents/cases/{mine.pk}/").content.decode()
    assert page.count('data-download="notice"') == 3
    with django_assert_max_num_queries(10):
        client.get(f"/documents/customers/{mine.customer_id}/")
