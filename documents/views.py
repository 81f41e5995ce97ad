"""Document pages: the case panel (list, download, issue again, record an acceptance), the
customer panel, the staff download and the managers' template editor with its live preview."""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, PermissionDeniedError
from core.roles import STAFF_ROLES, Role, has_role, role_required
from customers.models import Customer
from documents import content, hooks, selectors, services
from documents.access import may_act_on_case, may_see_case
from documents.fonts import FontMissing, font_available
from documents.models import LANGUAGES, AcceptanceChannel, Document, DocumentKind
from renewals.models import LineOfInsurance, RenewalCase


def pdf_response(document: Document, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    name = f"{document.kind}-{document.case_id}-v{document.version}.pdf"
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response["X-Content-SHA256"] = document.sha256
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(*STAFF_ROLES)
def case_documents(request, case_id: int):
    case = get_object_or_404(RenewalCase.objects.select_related("line", "current_quote"), pk=case_id)
    if not may_see_case(request.user, case):
        raise Http404
    return render(request, "documents/_case_documents.html", _case_panel_context(request, case))


def _case_panel_context(request, case) -> dict:
    quote = case.current_quote
    change = None
    if quote is not None:
        change = content.premium_change(expiring=case.expiring_premium, new=quote.premium, breakdown=quote.breakdown)
    return {
        "case": case,
        "documents": selectors.case_documents(case_id=case.pk),
        "acceptances": selectors.case_acceptances(case_id=case.pk),
        "can_act": may_act_on_case(request.user, case),
        "font_ok": font_available(),
        "kinds": DocumentKind.choices,
        "channels": [c for c in AcceptanceChannel.choices if c[0] != AcceptanceChannel.ONLINE],
        "change": change,
        "change_words": [content.share_words(share) for share in change.shares] if change else [],
        "change_percent": content.signed_percent(change.percent) if change else "",
        "rate_shock": bool(quote and case.line.is_rate_shock(case.expiring_premium, quote.premium)),
        "shock_threshold": case.line.rate_shock_percent,
    }


@require_POST
@role_required(Role.SPECIALIST, Role.MANAGER)
def case_document_issue(request, case_id: int):
    case = get_object_or_404(RenewalCase.objects.only("id", "assignee_id"), pk=case_id)
    if not may_see_case(request.user, case):
        raise Http404
    kind = request.POST.get("kind", "")
    try:
        document = services.document_issue(case_id=case.pk, kind=kind, actor=request.user)
        messages.success(
            request,
            _("%(kind)s issued (version %(version)s).")
            % {"kind": DocumentKind(document.kind).label, "version": document.version},
        )
    except FontMissing as exc:
        messages.error(request, str(exc))
    except PermissionDeniedError as exc:
        messages.error(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("renewals:case", args=[case.pk]))


@require_POST
@role_required(Role.SPECIALIST, Role.MANAGER)
def case_acceptance_record(request, case_id: int):
    case = get_object_or_404(RenewalCase.objects.only("id", "assignee_id"), pk=case_id)
    if not may_see_case(request.user, case):
        raise Http404
    try:
        services.acceptance_record_offline(
            case_id=case.pk,
            actor=request.user,
            channel=request.POST.get("channel", ""),
            confirmed_by=request.POST.get("confirmed_by", ""),
        )
        messages.success(request, _("Acceptance recorded. Mark the case renewed to issue the confirmation."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("renewals:case", args=[case.pk]))


@require_GET
@role_required(*STAFF_ROLES)
def document_download(request, document_id: int):
    document = selectors.document_with_content(document_id=document_id)
    if document is None or not may_see_case(request.user, document.case):
        raise Http404
    return pdf_response(document)


@require_GET
@role_required(*STAFF_ROLES)
def customer_documents(request, customer_id: int):
    customer = get_object_or_404(Customer.objects.only("id"), pk=customer_id)
    rows = selectors.customer_documents(customer_id=customer.pk)
    if not (has_role(request.user, Role.MANAGER) or has_role(request.user, Role.SUPPORT)):
        # A specialist sees the documents of their own cases only.
        own = set(
            RenewalCase.objects.filter(customer_id=customer.pk, assignee=request.user).values_list("id", flat=True)
        )
        rows = [row for row in rows if row.case_id in own]
    return render(request, "documents/_customer_documents.html", {"documents": rows})


# --- managers: document templates -------------------------------------------------------------


def _template_choice(request):
    kind = request.GET.get("kind") or request.POST.get("kind") or DocumentKind.OFFER
    language = request.GET.get("language") or request.POST.get("language") or "zh-hans"
    line_value = request.GET.get("line") or request.POST.get("line") or ""
    if kind not in DocumentKind.values or language not in dict(LANGUAGES):
        raise Http404
    line = None
    if line_value:
        if not line_value.isdigit() or len(line_value) > 9:
            raise Http404
        line = get_object_or_404(LineOfInsurance, pk=int(line_value))
    return kind, language, line


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def template_edit(request):
    kind, language, line = _template_choice(request)
    error = ""
    body = None
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            saved = services.document_template_save(
                kind=kind, language=language, line_id=line.pk if line else None, body=body, actor=request.user
            )
            messages.success(request, _("Saved as version %(version)s.") % {"version": saved.version})
            query = f"?kind={kind}&language={language}" + (f"&line={line.pk}" if line else "")
            return HttpResponseRedirect(reverse("documents:templates") + query)
        except ApplicationError as exc:
            error = exc.message
    current = selectors.template_in_use(kind=kind, line_id=line.pk if line else None, language=language)
    versions = selectors.template_versions(kind=kind, line_id=line.pk if line else None, language=language)
    return render(
        request,
        "documents/template_edit.html",
        {
            "kind": kind,
            "language": language,
            "line": line,
            "kinds": DocumentKind.choices,
            "languages": LANGUAGES,
            "lines": LineOfInsurance.objects.filter(active=True),
            "body": body if body is not None else (current.body if current else ""),
            "current": current,
            "inherited": current is not None and line is not None and current.line_id is None,
            "versions": versions,
            "error": error,
            "variables": hooks.DOCUMENT_VARIABLES,
        },
        status=400 if error else 200,
    )


@require_POST
@role_required(Role.MANAGER)
def template_preview(request):
    """The live preview (htmx): the text rendered with sample values, or what the sandbox refuses."""
    _kind, language, _line = _template_choice(request)
    try:
        text = hooks.render_text(request.POST.get("body", ""), selectors.sample_context(language))
        error = ""
    except hooks.SandboxError as exc:
        text, error = "", str(exc)
    return render(request, "documents/_template_preview.html", {"text": text, "error": error})
