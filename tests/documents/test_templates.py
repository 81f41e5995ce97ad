"""Managers edit document texts in the message templates' sandbox; every save is a new version."""

import pytest

from documents import services
from documents.models import DocumentKind, DocumentTemplate
from tests.documents.conftest import pdf_text, quoted_case
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db


def test_manager_gives_a_line_its_own_notice_text_and_new_notices_use_it(manager, client_for, specialist):
    auto = line("auto")
    client = client_for(manager)
    page = client.get(f"/documents/templates/?kind=notice&language=zh-hans&line={auto.pk}")
    assert page.status_code == 200 and "法定续保通知" in page.content.decode()  # the text for every line
    response = client.post(
        "/documents/templates/",
        {
            "kind": "notice",
            "language": "zh-hans",
            "line": auto.pk,
            "body": "车险法定通知：{{ customer_name }}，保单于{{ expiry_date }}到期。",
        },
    )
    assert response.status_code == 302
    saved = DocumentTemplate.objects.get(kind="notice", language="zh-hans", line=auto)
    assert saved.version == 1 and saved.created_by == manager
    case = quoted_case(assignee=specialist, name="张伟")
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.NOTICE)
    assert document.template_id == saved.pk
    assert "车险法定通知：张伟，保单于2026年12月31日到期。" in pdf_text(bytes(document.content))


def test_the_sandbox_refuses_what_messages_refuse_and_the_preview_says_why(manager, client_for):
    client = client_for(manager)
    before = DocumentTemplate.objects.count()
    response = client.post(
        "/documents/templates/", {"kind": "offer", "language": "en", "body": "{% load static %}{% debug %}"}
    )
    assert response.status_code == 400 and DocumentTemplate.objects.count() == before
    preview = client.post(
        "/documents/templates/preview/", {"kind": "offer", "language": "en", "body": "Hi {{ customer_name|upper }}"}
    )
    assert "Hi LI NA" in preview.content.decode()
    refused = client.post(
        "/documents/templates/preview/", {"kind": "offer", "language": "en", "body": "{{ x|pprint }}"}
    )
    assert "pprint" in refused.content.decode() and "alert-danger" in refused.content.decode()


def test_only_managers_edit_texts(specialist, client_for):
    assert client_for(specialist).get("/documents/templates/").status_code == 403
