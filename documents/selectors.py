"""Reads of the documents app. Listings never load the PDF bytes (``LIST_FIELDS``)."""

from django.db.models import Q

from documents.models import AcceptanceRecord, Document, DocumentTemplate
from renewals.models import RenewalCase

LIST_FIELDS = (
    "id",
    "case_id",
    "customer_id",
    "kind",
    "version",
    "language",
    "sha256",
    "size",
    "template_version",
    "issued_at",
    "issued_by_id",
)
CUSTOMER_DOCUMENTS_LIMIT = 100


def case_for_document(*, case_id: int) -> RenewalCase:
    return RenewalCase.objects.select_related(
        "customer", "line", "policy", "current_quote", "successor_policy", "assignee"
    ).get(pk=case_id)


def template_in_use(*, kind: str, line_id: int | None, language: str) -> DocumentTemplate:
    """The newest version for the line, else the newest for every line (line=None)."""
    candidates = DocumentTemplate.objects.filter(kind=kind, language=language).filter(
        Q(line_id=line_id) | Q(line__isnull=True)
    )
    # Line-specific first (nulls last), then the newest version.
    return candidates.order_by("line_id", "-version").first() if line_id else candidates.order_by("-version").first()


def template_versions(*, kind: str, line_id: int | None, language: str, limit: int = 20) -> list[DocumentTemplate]:
    return list(
        DocumentTemplate.objects.filter(kind=kind, language=language, line_id=line_id)
        .select_related("created_by")
        .order_by("-version")[:limit]
    )


def latest_document(*, case_id: int, kind: str) -> Document | None:
    return Document.objects.filter(case_id=case_id, kind=kind).defer("content").order_by("-version").first()


def cases_with_document(*, case_ids: list[int], kind: str) -> list[int]:
    return list(Document.objects.filter(case_id__in=case_ids, kind=kind).values_list("case_id", flat=True).distinct())


def case_documents(*, case_id: int) -> list[Document]:
    return list(
        Document.objects.filter(case_id=case_id)
        .select_related("issued_by")
        .only(*LIST_FIELDS, "issued_by__username", "issued_by__first_name", "issued_by__last_name")
        .order_by("kind", "-version")
    )


def customer_documents(*, customer_id: int) -> list[Document]:
    return list(
        Document.objects.filter(customer_id=customer_id)
        .select_related("case__policy")
        .only(*LIST_FIELDS, "case__id", "case__policy__id", "case__policy__number")
        .order_by("-issued_at", "-id")[:CUSTOMER_DOCUMENTS_LIMIT]
    )


def document_with_content(*, document_id: int) -> Document | None:
    return Document.objects.select_related("case").filter(pk=document_id).first()


def latest_acceptance(*, case_id: int) -> AcceptanceRecord | None:
    return (
        AcceptanceRecord.objects.filter(case_id=case_id)
        .select_related("recorded_by")
        .order_by("-accepted_at", "-id")
        .first()
    )


def case_acceptances(*, case_id: int) -> list[AcceptanceRecord]:
    return list(
        AcceptanceRecord.objects.filter(case_id=case_id).select_related("recorded_by").order_by("-accepted_at")[:20]
    )


def sample_context(language: str) -> dict[str, str]:
    """Made-up values for a template's live preview and its check on save."""
    if language == "zh-hans":
        return {
            "customer_name": "李娜",
            "policy_number": "******2345",
            "line": "车险",
            "expiry_date": "2026年12月31日",
            "quoted_premium": "CNY 3,120.00",
            "renewal_link": "https://renewals.example.com/offer/SAMPLE/",
            "deadline": "2026年12月31日",
            "notice_date": "2026年11月15日",
            "specialist_name": "王芳",
            "new_policy_number": "P000012345-R27",
            "term_start": "2027年1月1日",
            "term_end": "2027年12月31日",
        }
    return {
        "customer_name": "Li Na",
        "policy_number": "******2345",
        "line": "Auto",
        "expiry_date": "31 Dec 2026",
        "quoted_premium": "CNY 3,120.00",
        "renewal_link": "https://renewals.example.com/offer/SAMPLE/",
        "deadline": "31 Dec 2026",
        "notice_date": "15 Nov 2026",
        "specialist_name": "Wang Fang",
        "new_policy_number": "P000012345-R27",
        "term_start": "1 Jan 2027",
        "term_end": "31 Dec 2027",
    }
