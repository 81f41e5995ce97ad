"""Acceptance records: online through the offer link, by phone through the case page; immutable."""

import hashlib
import hmac

import pytest
from django.conf import settings

from documents.models import AcceptanceRecord, Document, DocumentKind
from notifications.links import offer_token
from renewals.models import Stage
from tests.documents.conftest import pdf_text, quoted_case

pytestmark = pytest.mark.django_db


def keyed(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_customer_confirming_online_records_what_they_accepted_and_the_confirmation_carries_it(
    client, specialist, celery_eager, django_capture_on_commit_callbacks
):
    # given a customer who opens their offer link
    case = quoted_case(assignee=specialist, name="张伟")
    token = offer_token(case.pk)
    page = client.get(f"/offer/{token}/").content.decode()
    assert "本人接受按上述条件续保。" in page and f"/offer/{token}/document/" in page
    # when they confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/offer/{token}/", HTTP_USER_AGENT="Mozilla/5.0 (test)", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.stage == Stage.RENEWED
    # then the acceptance names the offer document (issued for it), the statement and the hashed origin
    record = AcceptanceRecord.objects.get(case=case)
    offer = Document.objects.get(case=case, kind=DocumentKind.OFFER)
    assert (record.channel, record.offer_document_id, record.offer_sha256) == ("online", offer.pk, offer.sha256)
    assert (record.offer_version, record.terms_version) == (1, offer.template_version)
    assert record.statement == "本人接受按上述条件续保。"
    assert str(record.premium) == "3299.94"
    assert record.ip_sha256 == keyed("203.0.113.7") and "203.0.113.7" not in record.ip_sha256
    assert record.link_sha256 == keyed(f"http://testserver/offer/{token}/")
    assert record.user_agent == "Mozilla/5.0 (test)"
    # and the confirmation document carries the acceptance record
    confirmation = Document.objects.get(case=case, kind=DocumentKind.CONFIRMATION)
    text = pdf_text(bytes(confirmation.content))
    assert offer.sha256 in text.replace(" ", "")
    assert "在线（要约链接）" in text and "本人接受按上述条件续保。" in text


def test_specialist_records_a_phone_acceptance_with_who_confirmed(specialist, client_for):
    case = quoted_case(assignee=specialist)
    client = client_for(specialist)
    refused = client.post(f"/documents/cases/{case.pk}/acceptance/", {"channel": "phone", "confirmed_by": "  "})
    assert refused.status_code == 302 and not AcceptanceRecord.objects.exists()
    client.post(f"/documents/cases/{case.pk}/acceptance/", {"channel": "online", "confirmed_by": "x"})
    assert not AcceptanceRecord.objects.exists()  # online is the customer's own link only
    client.post(f"/documents/cases/{case.pk}/acceptance/", {"channel": "phone", "confirmed_by": "客户本人 张伟"})
    record = AcceptanceRecord.objects.get(case=case)
    assert (record.channel, record.confirmed_by, record.recorded_by) == ("phone", "客户本人 张伟", specialist)
    assert record.ip_sha256 == "" and record.offer_document is None  # no offer issued before the call


def test_another_specialist_cannot_record_an_acceptance(specialist, other_specialist, client_for):
    case = quoted_case(assignee=specialist)
    response = client_for(other_specialist).post(
        f"/documents/cases/{case.pk}/acceptance/", {"channel": "phone", "confirmed_by": "someone"}
    )
    assert response.status_code == 404 and not AcceptanceRecord.objects.exists()
