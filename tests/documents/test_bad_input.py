"""Bad ids and bad form values on the documents pages answer 400/404 and write nothing."""

import pytest

from documents.models import AcceptanceRecord, Document
from tests.documents.conftest import quoted_case

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/documents/{HUGE}/download/",
        f"/documents/cases/{HUGE}/",
        f"/documents/customers/{HUGE}/",
        "/documents/999999/download/",
        f"/api/v1/cases/{HUGE}/documents/",
        f"/offer/{'x' * 5000}/document/",
        f"/notice/{'x' * 5000}/",
    ],
)
def test_unknown_or_out_of_range_ids_are_not_found(path, manager, client_for):
    assert client_for(manager).get(path).status_code in (400, 404)


def test_bad_kind_channel_and_line_are_refused(specialist, manager, client_for):
    case = quoted_case(assignee=specialist)
    client = client_for(specialist)
    client.post(f"/documents/cases/{case.pk}/issue/", {"kind": "x" * 300})
    client.post(f"/documents/cases/{case.pk}/acceptance/", {"channel": "fax", "confirmed_by": "someone"})
    client.post(f"/documents/cases/{case.pk}/acceptance/", {"channel": "phone", "confirmed_by": "x" * 201})
    assert not Document.objects.exists() and not AcceptanceRecord.objects.exists()
    boss = client_for(manager)
    assert boss.get("/documents/templates/?kind=nope").status_code == 404
    assert boss.get(f"/documents/templates/?line={HUGE}").status_code == 404
    assert boss.get("/documents/templates/?line=abc").status_code == 404
    assert boss.post("/documents/templates/", {"kind": "offer", "language": "en", "body": ""}).status_code == 400
