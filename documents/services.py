"""Every write of the documents app: issue a document, record an acceptance, save a template.

Issuing renders the PDF before its short transaction (rendering takes ~0.1 s; the case row is
locked only to number the version), so a batch never holds locks while it draws.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode, PermissionDeniedError
from core.roles import Role, has_role
from documents import content, hooks, pdf, selectors
from documents.errors import DocumentsErrorCode
from documents.fonts import FontMissing, batch_font, font_available
from documents.models import (
    ACCEPTANCE_STATEMENT,
    LANGUAGES,
    AcceptanceChannel,
    AcceptanceRecord,
    Document,
    DocumentKind,
    DocumentTemplate,
)
from renewals.models import RenewalCase, Stage

logger = logging.getLogger(__name__)
LANGUAGE_CODES = tuple(code for code, _label in LANGUAGES)
USER_AGENT_LIMIT = 300
CONFIRMED_BY_LIMIT = 200


def document_language(customer) -> str:
    """The customer's language when documents have it, else English."""
    language = (customer.preferred_language or "en").lower()
    return language if language in LANGUAGE_CODES else "en"


def document_issue(*, case_id: int, kind: str, actor=None, now=None) -> Document:
    """Render and store a new version of the case's document of ``kind`` (never overwriting one).

    FontMissing (its message says what to install) when this machine has no CJK font;
    ApplicationError when the case cannot have that document (no quote, not renewed) or the
    manager's template is refused by the sandbox."""
    if kind not in DocumentKind.values:
        raise ApplicationError(_("Unknown document."), field="kind", code=ErrorCode.INVALID)
    if actor is not None:
        _ensure_may_issue(actor=actor, case_id=case_id)
    prepared = _prepare(case_id=case_id, kind=kind, now=now or timezone.now())
    return _render_and_store(prepared, actor=actor)


@dataclass
class _Prepared:
    case: RenewalCase
    kind: str
    language: str
    template: DocumentTemplate
    document: pdf.Document
    now: object


def _prepare(*, case_id: int, kind: str, now) -> _Prepared:
    """Everything the document says (reads only): the case, the manager's text, the blocks."""
    case = selectors.case_for_document(case_id=case_id)
    _check_issuable(case, kind)
    language = document_language(case.customer)
    template = selectors.template_in_use(kind=kind, line_id=case.line_id, language=language)
    acceptance = selectors.latest_acceptance(case_id=case.pk) if kind == DocumentKind.CONFIRMATION else None
    try:
        text = hooks.render_text(template.body, content.template_context(case=case, language=language, issued_at=now))
    except hooks.SandboxError as exc:
        raise ApplicationError(
            _("The document template is refused: %(reason)s") % {"reason": exc},
            field="body",
            code=DocumentsErrorCode.BAD_TEMPLATE,
        ) from exc
    document = content.build(kind=kind, case=case, language=language, text=text, issued_at=now, acceptance=acceptance)
    return _Prepared(case, kind, language, template, document, now)


def _render_and_store(prepared: _Prepared, *, actor=None, font=None) -> Document:
    data = pdf.render(prepared.document, font=font)
    return _store(
        case=prepared.case,
        kind=prepared.kind,
        language=prepared.language,
        template=prepared.template,
        data=data,
        actor=actor,
        now=prepared.now,
    )


@transaction.atomic
def _store(*, case, kind, language, template, data: bytes, actor, now) -> Document:
    # The case row lock numbers versions one at a time (two issues at once get 1 and 2).
    RenewalCase.objects.select_for_update(of=("self",)).only("id").get(pk=case.pk)
    latest = Document.objects.filter(case_id=case.pk, kind=kind).aggregate(v=Max("version"))["v"] or 0
    return Document.objects.create(
        case_id=case.pk,
        customer_id=case.customer_id,
        kind=kind,
        version=latest + 1,
        language=language,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content=data,
        template=template,
        template_version=template.version,
        quote_id=case.current_quote_id if kind == DocumentKind.OFFER else None,
        issued_at=now,
        issued_by=actor,
    )


def _ensure_may_issue(*, actor, case_id: int) -> None:
    if has_role(actor, Role.MANAGER):
        return
    if has_role(actor, Role.SPECIALIST) and RenewalCase.objects.filter(pk=case_id, assignee=actor).exists():
        return
    raise PermissionDeniedError(_("Only the case's specialist or a manager may issue its documents."))


def _check_issuable(case, kind: str) -> None:
    if kind == DocumentKind.OFFER and (case.current_quote is None or not case.current_quote.is_usable):
        raise ApplicationError(
            _("There is no approved quote to offer yet."), field="kind", code=DocumentsErrorCode.NO_QUOTE
        )
    if kind == DocumentKind.CONFIRMATION and (case.stage != Stage.RENEWED or case.successor_policy_id is None):
        raise ApplicationError(
            _("The confirmation is issued once the case is renewed."), field="kind", code=DocumentsErrorCode.NOT_RENEWED
        )


def offer_document_current(*, case_id: int) -> Document:
    """The offer of the case's current quote: the latest issued one, or a new version when the
    quote changed since (what the customer downloads and accepts)."""
    latest = selectors.latest_document(case_id=case_id, kind=DocumentKind.OFFER)
    current_quote = RenewalCase.objects.values_list("current_quote_id", flat=True).get(pk=case_id)
    if latest is not None and latest.quote_id == current_quote:
        return latest
    return document_issue(case_id=case_id, kind=DocumentKind.OFFER)


def notice_document_current(*, case_id: int, now=None) -> Document:
    """The case's statutory notice document: the latest issued, else a new one (dispatch attaches it)."""
    latest = selectors.latest_document(case_id=case_id, kind=DocumentKind.NOTICE)
    return latest or document_issue(case_id=case_id, kind=DocumentKind.NOTICE, now=now)


def notice_documents_issue(*, case_ids: list[int], now=None) -> dict[str, int]:
    """Issue the notice document of each case that has none yet (the day's batch): every
    document's content first, then one font made for all of them (fonts.batch_font), then each
    rendered and stored in its own transaction. One bad case is logged and skipped; a missing
    font stops the batch (every case would fail alike)."""
    if not font_available():
        raise FontMissing()
    now = now or timezone.now()
    done = set(selectors.cases_with_document(case_ids=case_ids, kind=DocumentKind.NOTICE))
    totals = {"issued": 0, "existing": len(done), "failed": 0}
    prepared = []
    for case_id in case_ids:
        if case_id in done:
            continue
        try:
            prepared.append(_prepare(case_id=case_id, kind=DocumentKind.NOTICE, now=now))
        except Exception:  # one case's problem must not stop the day's batch
            logger.exception("notice document for case %s not prepared", case_id)
            totals["failed"] += 1
    if not prepared:
        return totals
    with batch_font([item.document.text() for item in prepared]) as font:
        for item in prepared:
            try:
                _render_and_store(item, font=font)
                totals["issued"] += 1
            except Exception:
                logger.exception("notice document for case %s not issued", item.case.pk)
                totals["failed"] += 1
    return totals


def confirmation_issue_quietly(*, case_id: int) -> Document | None:
    """Issue the confirmation of a renewed case (after the renewal committed); a failure is logged,
    never undoes the renewal, and the case page offers "issue again"."""
    try:
        return document_issue(case_id=case_id, kind=DocumentKind.CONFIRMATION)
    except FontMissing as exc:
        logger.warning("confirmation of case %s not issued: %s", case_id, exc)
    except Exception:
        logger.exception("confirmation of case %s not issued", case_id)
    return None


def _digest(value: str) -> str:
    """A keyed hash (the IP address and the link are kept only this way)."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def acceptance_record_online(*, case_id: int, link: str, ip_address: str, user_agent: str) -> AcceptanceRecord:
    """The customer accepted through the signed offer link: what they saw (the offer of the
    current quote, issued now if it never was), the link, their hashed IP address and user agent.
    Called inside the confirmation's transaction, before the case is marked renewed."""
    case = RenewalCase.objects.select_related("current_quote").get(pk=case_id)
    quote = _usable_quote(case)
    document = None
    try:
        document = offer_document_current(case_id=case_id)
    except FontMissing:
        logger.warning("case %s accepted online without an offer document: no CJK font", case_id)
    return AcceptanceRecord.objects.create(
        case_id=case_id,
        channel=AcceptanceChannel.ONLINE,
        offer_document=document,
        offer_sha256=document.sha256 if document else "",
        offer_version=document.version if document else None,
        terms_version=document.template_version if document else None,
        quote=quote,
        premium=quote.premium,
        statement=str(ACCEPTANCE_STATEMENT),
        link_sha256=_digest(link),
        ip_sha256=_digest(ip_address) if ip_address else "",
        user_agent=(user_agent or "")[:USER_AGENT_LIMIT],
    )


@transaction.atomic
def acceptance_record_offline(*, case_id: int, actor, channel: str, confirmed_by: str) -> AcceptanceRecord:
    """A specialist (or a manager) records an acceptance the customer gave by phone, in a branch
    or by e-mail: the channel and who confirmed, against the latest offer document."""
    _ensure_may_issue(actor=actor, case_id=case_id)
    if channel not in AcceptanceChannel.values or channel == AcceptanceChannel.ONLINE:
        raise ApplicationError(_("Choose how the customer accepted."), field="channel", code=ErrorCode.INVALID)
    confirmed_by = (confirmed_by or "").strip()
    if not confirmed_by:
        raise ApplicationError(_("Write who confirmed."), field="confirmed_by", code=ErrorCode.REQUIRED)
    if len(confirmed_by) > CONFIRMED_BY_LIMIT:
        raise ApplicationError(
            _("Who confirmed: at most %(limit)s characters.") % {"limit": CONFIRMED_BY_LIMIT},
            field="confirmed_by",
            code=ErrorCode.OUT_OF_RANGE,
        )
    case = RenewalCase.objects.select_for_update(of=("self",)).select_related("current_quote").get(pk=case_id)
    if not case.is_open:
        raise ApplicationError(
            _("The case is closed: an acceptance can no longer be recorded."),
            field="channel",
            code=DocumentsErrorCode.CASE_CLOSED,
        )
    quote = _usable_quote(case)
    document = selectors.latest_document(case_id=case_id, kind=DocumentKind.OFFER)
    if document is not None and document.quote_id != quote.pk:
        document = None
    return AcceptanceRecord.objects.create(
        case_id=case_id,
        channel=channel,
        offer_document=document,
        offer_sha256=document.sha256 if document else "",
        offer_version=document.version if document else None,
        terms_version=document.template_version if document else None,
        quote=quote,
        premium=quote.premium,
        statement=str(ACCEPTANCE_STATEMENT),
        confirmed_by=confirmed_by,
        recorded_by=actor,
    )


def _usable_quote(case):
    quote = case.current_quote
    if quote is None or not quote.is_usable:
        raise ApplicationError(
            _("There is no approved quote to accept yet."), field="quote", code=DocumentsErrorCode.NO_QUOTE
        )
    return quote


@transaction.atomic
def document_template_save(*, kind: str, language: str, line_id: int | None, body: str, actor) -> DocumentTemplate:
    """A manager's new version of a document text (checked in the sandbox with sample values)."""
    if not has_role(actor, Role.MANAGER):
        raise PermissionDeniedError(_("Only managers edit document templates."))
    if kind not in DocumentKind.values:
        raise ApplicationError(_("Unknown document."), field="kind", code=ErrorCode.INVALID)
    if language not in LANGUAGE_CODES:
        raise ApplicationError(_("Unknown language."), field="language", code=ErrorCode.INVALID)
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write the text."), field="body", code=ErrorCode.REQUIRED)
    try:
        hooks.render_text(body, selectors.sample_context(language))
    except hooks.SandboxError as exc:
        raise ApplicationError(str(exc), field="body", code=DocumentsErrorCode.BAD_TEMPLATE) from exc
    # Two managers saving the same text at once: the unique version refuses the second.
    latest = (
        DocumentTemplate.objects.filter(kind=kind, language=language, line_id=line_id).aggregate(v=Max("version"))["v"]
        or 0
    )
    return DocumentTemplate.objects.create(
        kind=kind, language=language, line_id=line_id, body=body, version=latest + 1, created_by=actor
    )
