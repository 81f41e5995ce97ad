"""Reminder pages: message logs (fragments), call to-dos, compliance watchlist, message list,
settings with live preview, the SMS delivery webhook, and the public offer/unsubscribe pages."""

import datetime as dt
import hashlib
import hmac
import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError, ErrorCode
from core.net import client_ip, safe_next
from core.ratelimit import public_link_limited
from core.roles import Role, has_role, role_required
from customers.models import Customer
from documents.fonts import FontMissing
from documents.models import ACCEPTANCE_STATEMENT, Document, DocumentKind
from documents.selectors import latest_document
from documents.services import offer_document_current
from documents.views import pdf_response
from notifications import conf, selectors, services
from notifications.errors import NotificationsErrorCode
from notifications.forms import (
    NOTICE_CHANNEL_FIELDS,
    MessageFilterForm,
    MessageTemplateForm,
    NewReminderStepForm,
    NoticeLetterForm,
    ReminderStepForm,
)
from notifications.links import (
    MARKETING,
    LinkError,
    read_notice_document_token,
    read_offer_token,
    read_unsubscribe_token,
)
from notifications.models import Channel, MessageTemplate, ReminderStep
from notifications.quiet_hours import call_quiet_window_note, quiet_window_note
from notifications.rendering import (
    ALLOWED_FILTERS,
    SAMPLE_CONTEXT,
    TemplateRenderError,
    mask_policy_number,
    money,
    render_text,
)
from renewals.models import LineOfInsurance, RenewalCase, Stage

logger = logging.getLogger(__name__)
STAFF = (Role.SPECIALIST, Role.MANAGER, Role.SUPPORT)


# --- fragments on the case, customer and queue pages --------------------------------------


@require_GET
@role_required(*STAFF)
def case_messages(request, case_id: int):
    case = get_object_or_404(RenewalCase.objects.select_related("line"), pk=case_id)
    return render(
        request,
        "notifications/_case_messages.html",
        {
            "case": case,
            "rows": selectors.case_messages(case_id=case_id),
            "proof": selectors.case_notice_proof(case_id=case_id),
            "can_send_notice": has_role(request.user, Role.MANAGER),
        },
    )


@require_GET
@role_required(*STAFF)
def customer_messages(request, customer_id: int):
    get_object_or_404(Customer.objects.only("id"), pk=customer_id)
    return render(
        request, "notifications/_customer_messages.html", {"rows": selectors.customer_messages(customer_id=customer_id)}
    )


@require_GET
@role_required(Role.SPECIALIST, Role.MANAGER)
def call_tasks(request):
    return _render_call_tasks(request)


def _render_call_tasks(request):
    today = timezone.localdate()
    return render(
        request,
        "notifications/_call_tasks.html",
        {
            "tasks": selectors.call_tasks_due(
                user=request.user, today=today, include_unassigned=has_role(request.user, Role.MANAGER)
            ),
            "campaign_tasks": selectors.campaign_call_tasks_due(
                user=request.user, today=today, include_unassigned=has_role(request.user, Role.MANAGER)
            ),
            "today": today,
        },
    )


@require_POST
@role_required(Role.SPECIALIST, Role.MANAGER)
def call_task_done(request, message_id: int):
    try:
        services.call_task_complete(message_id=message_id, actor=request.user)
    except ApplicationError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=exc.status)
        messages.error(request, exc.message)
    if request.htmx:
        return _render_call_tasks(request)
    return redirect(safe_next(request, request.POST.get("next"), reverse("renewals:queue")))


# --- managers ---------------------------------------------------------------------------------


def _row_id(text: str) -> int | None:
    """A row id from a page cursor: ASCII digits that fit a bigint, else None (junk is ignored)."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def _watch_cursor(text: str) -> tuple[dt.date, int] | None:
    """The watchlist's ``after`` cursor, "<expiry date>_<case id>"; None when it is not one."""
    due, _sep, case_id = text.partition("_")
    try:
        due_date = dt.date.fromisoformat(due)
    except ValueError:
        return None
    row_id = _row_id(case_id)
    return (due_date, row_id) if row_id is not None else None


@require_GET
@role_required(Role.MANAGER)
def watchlist(request):
    rows, next_cursor = selectors.notice_watchlist(after=_watch_cursor(request.GET.get("after", "")))
    next_param = f"{next_cursor[0].isoformat()}_{next_cursor[1]}" if next_cursor else ""
    return render(
        request,
        "notifications/watchlist.html",
        {"rows": rows, "next_param": next_param, "watch_days": selectors.WATCH_DAYS, "today": timezone.localdate()},
    )


@require_POST
@role_required(Role.MANAGER)
def notice_send_now(request, case_id: int):
    try:
        message = services.notice_send_now(case_id=case_id, actor=request.user)
    except ApplicationError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
        if exc.code == NotificationsErrorCode.LETTER_NEEDED:
            return redirect("notifications:notice_letter", case_id=case_id)
    else:
        from notifications.tasks import send_message

        transaction.on_commit(lambda: send_message.delay(message.pk))
        messages.success(request, _("The renewal notice is being sent."))
    return redirect(safe_next(request, request.POST.get("next"), reverse("notifications:watchlist")))


@role_required(Role.MANAGER)
def notice_letter(request, case_id: int):
    """Record the printed letter that gave a case's statutory notice (its posting date and a note)."""
    case = get_object_or_404(RenewalCase.objects.select_related("customer", "line", "policy"), pk=case_id)
    form = NoticeLetterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_letter_record(case_id=case.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The notice letter is recorded as the notice proof."))
            return redirect("notifications:watchlist")
    return render(
        request,
        "notifications/notice_letter.html",
        {"case": case, "form": form, "proof": selectors.case_notice_proof(case_id=case.pk)},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(Role.MANAGER)
def message_list(request):
    form = MessageFilterForm(request.GET or None)
    filters = selectors.MessageFilters()
    if form.is_valid():
        filters = selectors.MessageFilters(**{k: v or "" for k, v in form.cleaned_data.items()})
    before = _row_id(request.GET.get("before", ""))
    rows, next_before = selectors.messages_page(filters=filters, before_id=before)
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "notifications/messages.html",
        {"form": form, "rows": rows, "next_before": next_before, "query": query.urlencode(), "is_first": not before},
    )


@require_GET
@role_required(Role.MANAGER)
def settings_page(request):
    return render(
        request,
        "notifications/settings.html",
        {
            "lines": selectors.settings_overview(),
            "survey_templates": selectors.survey_templates(),
            "quiet_hours": quiet_window_note(),
            "call_quiet_hours": call_quiet_window_note(),
            "call_refusal_days": conf.call_refusal_days(),
        },
    )


@role_required(Role.MANAGER)
def step_edit(request, step_id: int):
    step = get_object_or_404(ReminderStep.objects.select_related("line").filter(removed_at__isnull=True), pk=step_id)
    initial = {"offset_days": step.offset_days, "active": step.active, "channel": step.channel}
    if step.is_notice:
        current = selectors.line_notice_channels(step.line_id)
        initial.update(zip(NOTICE_CHANNEL_FIELDS, current, strict=False))
    form = ReminderStepForm(request.POST or None, initial=initial, is_notice=step.is_notice)
    if request.method == "POST" and form.is_valid():
        try:
            services.reminder_step_update(step_id=step.pk, actor=request.user, **form.service_values())
        except ApplicationError as exc:
            field = "notice_channel_1" if exc.field == "notice_channels" else exc.field
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Reminder step saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/step_edit.html", {"step": step, "form": form})


@role_required(Role.MANAGER)
def step_add(request, line_id: int):
    line = get_object_or_404(LineOfInsurance, pk=line_id)
    form = NewReminderStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reminder_step_create(line_id=line.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Reminder step added, with the default texts."))
            return redirect("notifications:settings")
    return render(
        request,
        "notifications/step_add.html",
        {"line": line, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(Role.MANAGER)
def step_remove(request, step_id: int):
    step = get_object_or_404(ReminderStep.objects.only("id"), pk=step_id)
    try:
        services.reminder_step_remove(step_id=step.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reminder step removed; its unsent messages are skipped."))
    return redirect("notifications:settings")


@role_required(Role.MANAGER)
def template_edit(request, template_id: int):
    template = get_object_or_404(MessageTemplate.objects.select_related("step__line"), pk=template_id)
    form = MessageTemplateForm(request.POST or None, initial={"subject": template.subject, "body": template.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.message_template_update(template_id=template.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Template saved."))
            return redirect("notifications:settings")
    preview = _preview(
        template.language, form.data.get("subject", template.subject), form.data.get("body", template.body)
    )
    return render(
        request,
        "notifications/template_edit.html",
        {
            "template": template,
            "form": form,
            "preview": preview,
            "variables": sorted(SAMPLE_CONTEXT["en"]),
            "allowed_filters": ", ".join(ALLOWED_FILTERS),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(Role.MANAGER)
def template_preview(request, template_id: int):
    template = get_object_or_404(MessageTemplate.objects.only("id", "language"), pk=template_id)
    preview = _preview(template.language, request.POST.get("subject", ""), request.POST.get("body", ""))
    return render(request, "notifications/_template_preview.html", {"preview": preview})


def _preview(language: str, subject: str, body: str) -> dict:
    context = SAMPLE_CONTEXT.get(language, SAMPLE_CONTEXT["en"])
    try:
        return {"subject": render_text(subject, context), "body": render_text(body, context), "error": ""}
    except TemplateRenderError as exc:
        return {"subject": "", "body": "", "error": str(exc)}


# --- SMS gateway webhook --------------------------------------------------------------------


@csrf_exempt
@login_not_required
@require_POST
def sms_webhook(request):
    """Delivery report from the SMS gateway: JSON {"reference" (our row id) or "id" (the gateway's
    message id), "status", "error"}, signed
    with ``X-Signature: sha256=<hex HMAC-SHA256 of the raw body with SMS_WEBHOOK_SECRET>``."""
    secret = conf.sms_webhook_secret()
    if not secret:
        return JsonResponse({"error": "webhook not configured"}, status=503)
    given = request.headers.get("X-Signature", "").removeprefix("sha256=")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        return JsonResponse({"error": "bad signature"}, status=403)
    try:
        data = json.loads(request.body)
        reference = str(data.get("reference") or "")
        provider_id = str(data.get("id") or "")
        status = str(data.get("status") or "")
    except (ValueError, AttributeError):
        return HttpResponseBadRequest("bad json")
    if not (reference or provider_id):
        return JsonResponse({"error": "reference missing"}, status=400)
    try:
        updated = services.delivery_status_record(
            reference=reference, provider_id=provider_id, status=status, error=str(data.get("error", ""))
        )
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"updated": updated})


# --- public signed links --------------------------------------------------------------------


def _link_problem(request, reason: str, status: int = 400):
    return render(request, "notifications/public/link_problem.html", {"reason": reason}, status=status)


@login_not_required
def offer(request, token: str):
    if public_link_limited(request, "offer"):
        return _link_problem(request, "rate_limited", status=429)
    try:
        case_id = read_offer_token(token)
    except LinkError as exc:
        return _link_problem(request, exc.reason)
    case = (
        RenewalCase.objects.select_related("customer", "line", "policy", "current_quote", "successor_policy")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return _link_problem(request, "invalid")
    language = case.customer.preferred_language or "en"
    with translation.override(language):
        confirmed = False
        error = ""
        updated = False
        if request.method == "POST":
            chosen = request.POST.getlist("addons") if request.POST.get("addons_shown") else None
            try:
                if request.POST.get("action") == "update" and chosen is not None:
                    services.offer_addons_choose(case_id=case.pk, addon_codes=chosen)
                    updated = True
                else:
                    services.offer_confirm(
                        case_id=case.pk,
                        addon_codes=chosen,
                        link=request.build_absolute_uri(request.path),
                        ip_address=client_ip(request),
                        user_agent=request.headers.get("User-Agent", ""),
                    )
                    confirmed = True
            except ApplicationError as exc:
                if exc.code != NotificationsErrorCode.ALREADY_CLOSED:
                    error = exc.message
            case = RenewalCase.objects.select_related(
                "customer", "line", "policy", "current_quote", "successor_policy"
            ).get(pk=case.pk)
        quote = case.current_quote if case.current_quote and case.current_quote.is_usable else None
        offered = _offered_addons(case, quote, language)
        line_name = case.line.name_in(language)
        response = render(
            request,
            "notifications/public/offer.html",
            {
                "case": case,
                "quote": quote,
                "line_name": line_name,
                "customer_name": case.customer.name,
                "policy_number": mask_policy_number(case.policy.number),
                "renewed": case.stage == Stage.RENEWED,
                "closed": not case.is_open and case.stage != Stage.RENEWED,
                "just_confirmed": confirmed,
                "just_updated": updated,
                "offered_addons": offered,
                "error": error,
                "premium": money(quote.premium) if quote else "",
                "breakdown": _breakdown(quote),
                "expiring_premium": money(case.expiring_premium),
                "statement": ACCEPTANCE_STATEMENT,
                "document_url": reverse("notifications:offer_document", args=[token]) if quote else "",
                "LANGUAGE_CODE": language,
            },
        )
    return response


@login_not_required
@require_GET
def offer_document(request, token: str):
    """The customer's own offer as a PDF (the case is the one the signed link names, nothing else)."""
    if public_link_limited(request, "offer"):
        return _link_problem(request, "rate_limited", status=429)
    try:
        case_id = read_offer_token(token)
    except LinkError as exc:
        return _link_problem(request, exc.reason)
    case = RenewalCase.objects.select_related("customer", "current_quote").filter(pk=case_id).first()
    if case is None or case.current_quote is None or not case.current_quote.is_usable:
        return _link_problem(request, "invalid")
    with translation.override(case.customer.preferred_language or "en"):
        try:
            document = offer_document_current(case_id=case.pk)
        except FontMissing:
            logger.error("offer document of case %s: no CJK font installed", case.pk)
            return _link_problem(request, "documents_unavailable", status=503)
    return pdf_response(document)


@login_not_required
@require_GET
def notice_document(request, token: str):
    """The customer's statutory notice as a PDF, from the link in the notice SMS (that case's
    latest notice document only; none is issued here)."""
    if public_link_limited(request, "notice"):
        return _link_problem(request, "rate_limited", status=429)
    try:
        case_id = read_notice_document_token(token)
    except LinkError as exc:
        return _link_problem(request, exc.reason)
    document = latest_document(case_id=case_id, kind=DocumentKind.NOTICE)
    if document is None:
        return _link_problem(request, "invalid")
    return pdf_response(Document.objects.get(pk=document.pk))


def _offered_addons(case, quote, language: str) -> list[dict]:
    """The add-ons the specialist offered (on any quote of the case), ticked when the current quote
    carries them, each with its price in the current terms."""
    from renewals.models import QuoteAddOn

    if quote is None:
        return []
    lines = QuoteAddOn.objects.filter(quote__case_id=case.pk).select_related("addon").order_by("addon__kind", "id")
    current = {line.addon_id for line in lines if line.quote_id == quote.pk}
    offered = {}
    for line in lines:
        # The latest price of each add-on (a later quote may have re-priced it).
        offered[line.addon_id] = {
            "code": line.addon.code,
            "name": line.addon.name_in(language),
            "description": line.addon.description_in(language),
            "kind": line.addon.kind,
            "premium": money(line.premium),
            "free": not line.premium,
            "chosen": line.addon_id in current,
        }
    return list(offered.values())


def _breakdown(quote) -> list[dict]:
    if quote is None:
        return []
    from decimal import Decimal, InvalidOperation

    from renewals.models import AddOn
    from renewals.pricing import STEP_LABELS

    # The add-on lines' names in one query (the breakdown names them by code).
    codes = [step.get("detail", "") for step in quote.breakdown or [] if step.get("code") == "addon"]
    addons = {a.code: a for a in AddOn.objects.filter(code__in=codes)} if codes else {}

    rows = []
    for step in quote.breakdown or []:
        try:
            amount = money(Decimal(str(step.get("amount"))))
        except (InvalidOperation, TypeError):
            continue
        if step.get("code") == "addon":
            addon = addons.get(step.get("detail", ""))
            label = addon.display_name if addon else step.get("detail", "")
        else:
            label = STEP_LABELS.get(step.get("code"), step.get("code", ""))
        rows.append({"label": label, "amount": amount})
    return rows


@login_not_required
def unsubscribe(request, token: str):
    if public_link_limited(request, "unsubscribe"):
        return _link_problem(request, "rate_limited", status=429)
    try:
        customer_id, channel = read_unsubscribe_token(token)
    except LinkError as exc:
        return _link_problem(request, exc.reason)
    customer = Customer.objects.filter(pk=customer_id).only(
        "id", "preferred_language", "consent_email", "consent_sms", "marketing_opt_out"
    )
    customer = customer.first()
    if customer is None:
        return _link_problem(request, "invalid")
    language = customer.preferred_language or "en"
    marketing = channel == MARKETING
    with translation.override(language):
        done = False
        if request.method == "POST":
            if marketing:
                services.customer_marketing_opt_out(customer_id=customer.pk)
            else:
                services.customer_consent_withdraw(customer_id=customer.pk, channel=channel)
            done = True
        if marketing:
            allowed = not customer.marketing_opt_out
        else:
            allowed = customer.consent_email if channel == Channel.EMAIL else customer.consent_sms
        return render(
            request,
            "notifications/public/unsubscribe.html",
            {
                "channel_label": "" if marketing else Channel(channel).label,
                "marketing": marketing,
                "done": done,
                "already": not allowed and not done,
                "LANGUAGE_CODE": language,
            },
        )
