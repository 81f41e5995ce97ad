"""Rendering: each document in both languages, the Chinese text extracted back from the PDF."""

import hashlib
import io
import re

import pytest
import segno
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from documents import fonts, services
from documents.models import AcceptanceRecord, Document, DocumentKind, DocumentTemplate
from documents.pdf import QR_MASK
from renewals import services as renewal_services
from tests.documents.conftest import pdf_text, quoted_case

pytestmark = pytest.mark.django_db


def test_chinese_offer_reads_back_in_chinese_with_the_itemised_quote(specialist):
    # given a quoted case of a Chinese-speaking customer
    case = quoted_case(language="zh-hans", name="张伟", assignee=specialist)
    # when the offer is issued
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist)
    # then a PDF reader gets the Chinese text back: name, title, amounts with thousands separators
    text = pdf_text(bytes(document.content))
    assert document.language == "zh-hans"
    for expected in ("续保要约", "尊敬的张伟", "CNY 3,000.00", "CNY 3,299.94", "保费变化及原因", "扫描二维码"):
        assert expected in text, expected
    # and the expiring policy number is masked
    assert case.policy.number not in text and case.policy.number[-4:] in text


def test_english_offer_reads_back_in_english(specialist):
    case = quoted_case(language="en", name="Ada Lovelace", assignee=specialist)
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist)
    text = pdf_text(bytes(document.content))
    for expected in ("Renewal offer", "Dear Ada Lovelace", "CNY 3,299.94", "What changed and why", "Li Na"):
        assert expected in text, expected


def test_notice_in_chinese_carries_the_statutory_text_and_dates(specialist):
    case = quoted_case(language="zh-hans", assignee=specialist)
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.NOTICE)
    text = pdf_text(bytes(document.content))
    assert "法定续保通知" in text and "2026年12月31日" in text and "2026年11月16日" in text


def test_renewing_issues_the_confirmation_with_the_successor_policy(
    specialist, celery_eager, django_capture_on_commit_callbacks
):
    case = quoted_case(language="zh-hans", assignee=specialist)
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_renewed(case_id=case.pk, actor=specialist)
    case.refresh_from_db()
    document = Document.objects.get(case=case, kind=DocumentKind.CONFIRMATION)
    text = pdf_text(bytes(document.content))
    assert "续保确认书" in text
    assert case.successor_policy.number in text
    assert "CNY 3,299.94" in text
    assert "未记录客户确认" in text  # renewed by the specialist, no acceptance on record


def test_each_issue_is_a_new_version_with_the_hash_of_its_bytes(specialist):
    case = quoted_case(assignee=specialist)
    first = services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist)
    second = services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist)
    assert (first.version, second.version) == (1, 2)
    for document in (first, second):
        stored = Document.objects.get(pk=document.pk)
        assert hashlib.sha256(bytes(stored.content)).hexdigest() == stored.sha256
        assert stored.size == len(bytes(stored.content))
        assert bytes(stored.content).startswith(b"%PDF-")
    assert first.template_version == 1


def test_documents_and_templates_cannot_be_changed_in_the_database(specialist):
    case = quoted_case(assignee=specialist)
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist)
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(sha256="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=document.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        DocumentTemplate.objects.filter(pk=document.template_id).update(body="changed")
    with pytest.raises(ValueError):
        document.save()
    acceptance = services.acceptance_record_offline(
        case_id=case.pk, actor=specialist, channel="phone", confirmed_by="the customer, 张伟"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        AcceptanceRecord.objects.filter(pk=acceptance.pk).update(premium=1)


def test_a_rare_character_outside_the_desk_font_still_prints(specialist):
    # 䶮 (U+4DAE) is not in GB 2312: the document embeds from the full system font instead
    case = quoted_case(name="王䶮", assignee=specialist)
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.NOTICE)
    assert "王䶮" in pdf_text(bytes(document.content))


def test_without_a_cjk_font_issuing_says_what_to_install(specialist, monkeypatch):
    monkeypatch.setattr(fonts, "system_font", lambda: None)
    case = quoted_case(assignee=specialist)
    with pytest.raises(fonts.FontMissing) as raised:
        services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist)
    assert "fonts-noto-cjk" in str(raised.value)
    assert not Document.objects.exists()


def test_the_qr_code_drawn_on_the_offer_is_the_offer_links_code(specialist):
    # given an offer, whose "how to renew" prints the signed link under its QR code
    case = quoted_case(assignee=specialist, language="en")
    data = bytes(services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER).content)
    link = re.search(r"(http://\S+/offer/\S+/)", pdf_text(data)).group(1)
    # when the filled rectangles on the page are read back as modules
    page = PdfReader(io.BytesIO(data)).pages[0]
    rects = [
        [float(v) for v in m.groups()]
        for m in re.finditer(rb"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re f", page.get_contents().get_data())
    ]
    expected = segno.make(link, error="m", mask=QR_MASK, boost_error=False).matrix
    size = len(expected)
    step = min(w for _x, _y, w, _h in rects)  # the narrowest rectangle is one module wide
    left = min(x for x, _y, _w, _h in rects)
    top = max(y for _x, y, _w, _h in rects)  # fpdf draws from the top with a negative height
    drawn = [[0] * size for _ in range(size)]
    for x, y, w, h in rects:
        for row in range(round(abs(h) / step)):
            for column in range(round(w / step)):
                drawn[round((top - y) / step) + row][round((x - left) / step) + column] = 1
    # then they are exactly the link's QR code (its finder patterns start at the first module)
    assert drawn == [list(line) for line in expected]


def test_without_a_cjk_font_the_pages_say_what_is_missing(specialist, client_for, client, monkeypatch):
    from notifications.links import offer_token

    monkeypatch.setattr(fonts, "system_font", lambda: None)
    case = quoted_case(assignee=specialist)
    panel = client_for(specialist).get(f"/documents/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no Chinese font is installed" in panel and "fonts-noto-cjk" in panel
    assert "documents:case_issue" not in panel and f"/documents/cases/{case.pk}/issue/" not in panel
    client.logout()
    download = client.get(f"/offer/{offer_token(case.pk)}/document/")
    assert download.status_code == 503 and "暂时无法生成您的文件" in download.content.decode()


def test_the_system_check_names_the_package_when_the_font_is_missing(monkeypatch):
    from documents.checks import cjk_font_check

    assert cjk_font_check(None) == []
    monkeypatch.setattr(fonts, "system_font", lambda: None)
    (warning,) = cjk_font_check(None)
    assert warning.id == "documents.W001" and "apt-get install fonts-noto-cjk" in warning.hint
