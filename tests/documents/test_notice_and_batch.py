"""The statutory notice goes out with its PDF and the proof names its hash; the day's batch."""

import datetime as dt
import hashlib
import re
import zoneinfo
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest

from documents.models import Document, DocumentKind
from notifications import services as notification_services
from notifications.links import offer_token
from notifications.models import NoticeProof
from notifications.tasks import prepare_notice_documents
from tests.customers.factories import CustomerFactory
from tests.documents.conftest import pdf_text
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
MORNING = dt.datetime(2026, 12, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def notice(*, channel="email", at=MORNING, name="张伟"):
    customer = CustomerFactory(preferred_language="zh-hans", name=name)
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=dt.date(2026, 12, 31), customer=customer))
    return OutboundMessageFactory(case=case, step=step("auto", -45, channel), scheduled_for=at, next_attempt_at=at)


def test_notice_email_carries_its_pdf_and_the_proof_names_the_hash(smtp_server):
    message = notice()
    assert notification_services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    email = message_from_bytes(smtp_server.messages[0].original_content, policy=policy.default)
    attachments = list(email.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    data = attachments[0].get_content()
    document = Document.objects.get(case=message.case, kind=DocumentKind.NOTICE)
    assert bytes(document.content) == data
    assert "法定续保通知" in pdf_text(data) and "张伟" in pdf_text(data)
    assert NoticeProof.objects.get(case=message.case).document_sha256 == document.sha256


def test_the_days_batch_issues_each_due_notice_once():
    due = [notice(name=f"客户{i}") for i in range(3)]
    later = notice(at=MORNING + dt.timedelta(days=3))
    assert prepare_notice_documents(on_date="2026-12-01") == {"issued": 3, "existing": 0, "failed": 0}
    assert prepare_notice_documents(on_date="2026-12-01") == {"issued": 0, "existing": 3, "failed": 0}
    assert set(Document.objects.values_list("case_id", flat=True)) == {m.case_id for m in due}
    assert not Document.objects.filter(case=later.case).exists()


def test_notice_sms_carries_the_signed_link_to_its_pdf(sms_gateway, client):
    # given a customer without e-mail: the notice goes by SMS
    customer = CustomerFactory(preferred_language="zh-hans", name="李娜", email="")
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=dt.date(2026, 12, 31), customer=customer))
    OutboundMessageFactory(case=case, step=step("auto", -45, "email"), scheduled_for=MORNING, next_attempt_at=MORNING)
    assert notification_services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    text = sms_gateway.requests[0]["body"]["text"]
    link = re.search(r"您的续保通知（PDF）：(\S+)", text).group(1)
    # then the link serves that notice's PDF, the one the proof names
    response = client.get(urlsplit(link).path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    proof = NoticeProof.objects.get(case=case)
    assert (proof.channel, hashlib.sha256(response.content).hexdigest()) == ("sms", proof.document_sha256)
    # and an offer link's token does not open it (purpose-salted)
    assert client.get(f"/notice/{offer_token(case.pk)}/").status_code == 400
