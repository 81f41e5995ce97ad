"""Customer voice pages: quick search, complaints, settings, follow-ups, survey pages and panels."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from core.ratelimit import public_link_limited
from core.roles import STAFF_ROLES, Role, has_role, role_required
from customers import links, selectors, services
from customers.errors import CustomersErrorCode
from customers.forms import (
    AssignForm,
    CategoryForm,
    ComplaintLogForm,
    FollowUpDoneForm,
    NoteForm,
    PhoneAnswerForm,
    QueueFilterForm,
    ResolveForm,
    SlaForm,
    SurveyAnswerForm,
    VoiceSettingsForm,
)
from customers.models import Complaint, ComplaintCategory, Customer, SurveyFollowUp, SurveyResponse
from customers.workflow import COMPLAINT_EDITORS, complaint_can_reopen, complaint_can_transition

logger = logging.getLogger(__name__)


def _duration_text(seconds: int) -> str:
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return ngettext("%(m)s minute", "%(m)s minutes", mins) % {"m": mins}


def _decorate(complaints, near_hours: int, now=None):
    """Attach ``sla`` (css class, due time) and ``sla_text`` to each complaint for the templates."""
    now = now or timezone.now()
    for complaint in complaints:
        state = selectors.complaint_sla_state(complaint, now=now, near_hours=near_hours)
        complaint.sla = state
        if state.seconds_left is None:
            complaint.sla_text = ""
        elif state.breached:
            complaint.sla_text = _("Overdue by %(t)s") % {"t": _duration_text(state.seconds_left)}
        else:
            complaint.sla_text = _("%(t)s left") % {"t": _duration_text(state.seconds_left)}
    return complaints


# --- quick customer search -------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(*STAFF_ROLES)
def customer_search(request):
    """Names and phone numbers are POSTed, never sent in the query string (access logs, history).

    GET shows the empty search page only; a ``q`` in the URL is ignored.
    """
    q = request.POST.get("q", "").strip() if request.method == "POST" else ""
    if request.htmx and not q:
        return HttpResponse("")  # an emptied box closes the drop-down (.quick-search-results:empty)
    results = selectors.customer_search(q=q) if q else []
    context = {"q": q, "results": results, "can_log": has_role(request.user, *COMPLAINT_EDITORS)}
    if request.htmx:
        return render(request, "customers/_search_results.html", context)
    return render(request, "customers/search.html", context)


# --- complaints --------------------------------------------------------------------------


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_GET
@role_required(*COMPLAINT_EDITORS)
def complaint_queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.complaint_queue(
        status=filters.get("status") or "open",
        severity=filters.get("severity") or "",
        category_id=filters["category"].pk if filters.get("category") else None,
        assignee=filters.get("assignee") or "",
        escalated=bool(filters.get("escalated")),
        user=request.user,
    )
    # No full count on big tables: fetch one row more than a page to know if there is a next page.
    page = _page_number(request)
    size = selectors.QUEUE_PAGE_SIZE
    rows = list(queryset[(page - 1) * size : page * size + 1])
    has_next = len(rows) > size
    complaints = _decorate(rows[:size], selectors.voice_settings().sla_near_hours)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/complaint_queue.html",
        {
            "form": form,
            "complaints": complaints,
            "page": page,
            "has_next": has_next,
            "query": query.urlencode(),
            "open_follow_ups": selectors.follow_ups_open_count(),
        },
    )


def _customer_or_none(value):
    try:
        return Customer.objects.filter(pk=int(value)).first() if value else None
    except (TypeError, ValueError):
        return None


@role_required(*COMPLAINT_EDITORS)
def complaint_new(request):
    customer = _customer_or_none(request.POST.get("customer") or request.GET.get("customer"))
    form = ComplaintLogForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_log(
                customer_id=data["customer"],
                policy_id=data["policy"].pk if data.get("policy") else None,
                case_id=data["case"].pk if data.get("case") else None,
                received_via=data["received_via"],
                received_at=data["received_at"],
                category_id=data["category"].pk,
                severity=data["severity"],
                description=data["description"],
                actor=request.user,
                assignee_id=request.user.pk if has_role(request.user, Role.SUPPORT) else None,
            )
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Complaint #%(id)s logged.") % {"id": complaint.pk})
            return redirect("customers:complaint-detail", pk=complaint.pk)
    return render(request, "customers/complaint_new.html", {"form": form, "customer": customer})


@require_POST
@role_required(*COMPLAINT_EDITORS)
def complaint_customer_picker(request):
    q = request.POST.get("q", "").strip()
    return render(
        request,
        "customers/_customer_picker.html",
        {
            "q": q,
            "results": selectors.customer_search(q=q) if q else [],
            "for_survey": request.POST.get("for") == "survey",
        },
    )


@require_GET
@role_required(*COMPLAINT_EDITORS)
def complaint_detail(request, pk: int):
    try:
        complaint = selectors.complaint_detail(complaint_id=pk)
    except Complaint.DoesNotExist as exc:
        raise Http404 from exc
    _decorate([complaint], selectors.voice_settings().sla_near_hours)
    return render(request, "customers/complaint_detail.html", _detail_context(complaint))


def _detail_context(complaint, **forms_):
    context = {
        "complaint": complaint,
        "resolve_form": ResolveForm(prefix="resolve"),
        "assign_form": AssignForm(initial={"assignee": complaint.assignee_id}, prefix="assign"),
        "note_form": NoteForm(),
        "can_acknowledge": complaint_can_transition(complaint.status, Complaint.Status.ACKNOWLEDGED),
        "can_start": complaint_can_transition(complaint.status, Complaint.Status.IN_PROGRESS),
        "can_resolve": complaint_can_transition(complaint.status, Complaint.Status.RESOLVED),
        "can_close": complaint_can_transition(complaint.status, Complaint.Status.CLOSED),
        "can_reopen": complaint_can_reopen(complaint.status),
    }
    context.update(forms_)
    return context


SIMPLE_ACTIONS = {
    "acknowledge": (services.complaint_acknowledge, _("Acknowledged.")),
    "start": (services.complaint_start, _("Work started.")),
    "close": (services.complaint_close, _("Closed.")),
    "reopen": (services.complaint_reopen, _("Reopened.")),
}


@require_POST
@role_required(*COMPLAINT_EDITORS)
def complaint_action(request, pk: int, action: str):
    get_object_or_404(Complaint.objects.only("pk"), pk=pk)
    try:
        if action in SIMPLE_ACTIONS:
            service, done = SIMPLE_ACTIONS[action]
            note_form = NoteForm(request.POST)
            note = note_form.cleaned_data["note"] if note_form.is_valid() else ""
            service(complaint_id=pk, actor=request.user, note=note)
        elif action == "resolve":
            form = ResolveForm(request.POST, prefix="resolve")
            if not form.is_valid():
                return _detail_with_errors(request, pk, resolve_form=form)
            services.complaint_resolve(complaint_id=pk, actor=request.user, **form.cleaned_data)
            done = _("Resolved.")
        elif action == "assign":
            form = AssignForm(request.POST, prefix="assign")
            if not form.is_valid():
                return _detail_with_errors(request, pk, assign_form=form)
            assignee = form.cleaned_data["assignee"]
            services.complaint_assign(
                complaint_id=pk, assignee_id=assignee.pk if assignee else None, actor=request.user
            )
            done = _("Assignee changed.")
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("customers:complaint-detail", pk=pk)


def _detail_with_errors(request, pk, **forms_):
    complaint = selectors.complaint_detail(complaint_id=pk)
    _decorate([complaint], selectors.voice_settings().sla_near_hours)
    return render(request, "customers/complaint_detail.html", _detail_context(complaint, **forms_), status=400)


# --- settings (managers) -----------------------------------------------------------------


@role_required(Role.MANAGER)
def complaint_settings(request):
    table = selectors.sla_table()
    current = selectors.voice_settings()
    sla_forms = [(row, SlaForm(instance=row, prefix=row.severity)) for row in table]
    voice_form = VoiceSettingsForm(
        initial={"survey_delay_days": current.survey_delay_days, "sla_near_hours": current.sla_near_hours},
        prefix="voice",
    )
    category_form = CategoryForm(prefix="category")
    if request.method == "POST":
        section = request.POST.get("section")
        try:
            if section == "sla":
                sla_forms = [(row, SlaForm(request.POST, instance=row, prefix=row.severity)) for row in table]
                if all(form.is_valid() for _row, form in sla_forms):
                    for row, form in sla_forms:
                        services.complaint_sla_update(severity=row.severity, **form.cleaned_data)
                    messages.success(request, _("Service levels saved; they apply to complaints logged from now on."))
                    return redirect("customers:complaint-settings")
            elif section == "voice":
                voice_form = VoiceSettingsForm(request.POST, prefix="voice")
                if voice_form.is_valid():
                    services.customer_voice_settings_update(**voice_form.cleaned_data)
                    messages.success(request, _("Settings saved."))
                    return redirect("customers:complaint-settings")
            elif section == "category":
                category_form = CategoryForm(request.POST, prefix="category")
                if category_form.is_valid():
                    services.complaint_category_save(**category_form.cleaned_data)
                    messages.success(request, _("Category saved."))
                    return redirect("customers:complaint-settings")
            elif section == "category-toggle":
                category = get_object_or_404(ComplaintCategory, pk=request.POST.get("category_id"))
                services.complaint_category_save(
                    code=category.code,
                    name=category.name,
                    name_zh_hans=category.name_zh_hans,
                    sort_order=category.sort_order,
                    active=not category.active,
                )
                return redirect("customers:complaint-settings")
        except ApplicationError as error:
            messages.error(request, error.message)
    return render(
        request,
        "customers/settings.html",
        {
            "sla_forms": sla_forms,
            "voice_form": voice_form,
            "category_form": category_form,
            "categories": ComplaintCategory.objects.all(),
        },
    )


# --- surveys and follow-ups (support) ----------------------------------------------------


@require_GET
@role_required(*COMPLAINT_EDITORS)
def follow_up_list(request):
    status = request.GET.get("status", SurveyFollowUp.Status.OPEN)
    items = selectors.follow_ups(status=status)
    return render(
        request,
        "customers/follow_ups.html",
        {"follow_ups": items, "status": status, "done_form": FollowUpDoneForm()},
    )


@require_POST
@role_required(*COMPLAINT_EDITORS)
def follow_up_done(request, pk: int):
    get_object_or_404(SurveyFollowUp.objects.only("pk"), pk=pk)
    form = FollowUpDoneForm(request.POST)
    if form.is_valid():
        try:
            services.survey_follow_up_complete(
                follow_up_id=pk, actor=request.user, outcome=form.cleaned_data["outcome"]
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Follow-up done: the loop is closed."))
    else:
        messages.error(request, _("Record the outcome of the call."))
    return redirect("customers:follow-ups")


@role_required(*COMPLAINT_EDITORS)
def survey_answer_record(request):
    """Support enters an NPS answer given by phone, with the time it was given."""
    customer = _customer_or_none(request.POST.get("customer") or request.GET.get("customer"))
    form = PhoneAnswerForm(request.POST or None, initial={"customer": customer.pk if customer else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            response = services.survey_response_record(
                customer_id=data["customer"],
                score=data["score"],
                comment=data["comment"],
                channel=data["channel"],
                responded_at=data["responded_at"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            if response.is_detractor:
                messages.warning(request, _("Answer recorded. A follow-up call was added to the follow-ups list."))
            else:
                messages.success(request, _("Answer recorded."))
            return redirect("customers:surveys")
    return render(request, "customers/survey_record.html", {"form": form, "customer": customer})


@require_GET
@role_required(*COMPLAINT_EDITORS)
def survey_list(request):
    return render(
        request,
        "customers/surveys.html",
        {"invitations": selectors.survey_invitations_recent(), "can_see_links": has_role(request.user, Role.MANAGER)},
    )


# --- fragments for other apps' pages -----------------------------------------------------


@require_GET
@role_required(*STAFF_ROLES)
def panel_customer(request, customer_id: int):
    complaints = selectors.complaints_for_customer(customer_id=customer_id)
    _decorate(complaints, selectors.voice_settings().sla_near_hours)
    return render(
        request,
        "customers/_panel_customer.html",
        {
            "customer_id": customer_id,
            "complaints": complaints,
            "responses": selectors.survey_responses_for_customer(customer_id=customer_id),
            "can_edit": has_role(request.user, *COMPLAINT_EDITORS),
        },
    )


@require_GET
@role_required(*STAFF_ROLES)
def panel_escalated(request):
    shown = 20
    complaints = selectors.complaints_escalated(limit=shown + 1)
    _decorate(complaints[:shown], selectors.voice_settings().sla_near_hours)
    return render(
        request,
        "customers/_panel_escalated.html",
        {
            "complaints": complaints[:shown],
            "more": len(complaints) > shown,
            "can_edit": has_role(request.user, *COMPLAINT_EDITORS),
        },
    )


# --- the public survey page --------------------------------------------------------------


def _survey_problem(request, title, message, status):
    return render(request, "customers/survey_problem.html", {"title": title, "message": message}, status=status)


@login_not_required
@never_cache
def survey_page(request, token: str):
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if public_link_limited(request, "survey"):
        return _survey_problem(request, _("Please wait a moment"), _("Too many requests. Try again in a minute."), 429)
    try:
        invitation_id = links.survey_invitation_id(token)
    except signing.SignatureExpired:
        return _survey_problem(
            request, _("This survey link has expired"), _("Thank you for your interest. The survey is closed."), 410
        )
    except signing.BadSignature:
        return _survey_problem(
            request,
            _("This link does not work"),
            _("Please check that you opened the whole link from our message."),
            400,
        )
    invitation = selectors.customer_for_survey(invitation_id=invitation_id)
    if invitation is None:
        return _survey_problem(request, _("This link does not work"), _("This survey no longer exists."), 404)
    # The customer's language, unless they picked another one with the switcher on the page.
    language = (
        translation.get_language_from_request(request)
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        else invitation.customer.preferred_language
    )
    with translation.override(language):
        return _survey_answer(request, invitation, token)


def _survey_answer(request, invitation, token):
    """One answer per invitation: once answered, every visit (and any replayed submit) shows it."""
    if invitation.response_id is not None:
        return render(request, "customers/survey.html", {"answer": invitation.response})
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_response_record(
                customer_id=invitation.customer_id,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                channel=SurveyResponse.Channel.LINK,
                invitation_id=invitation.pk,
            )
        except ApplicationError as error:
            if error.code != CustomersErrorCode.ALREADY_ANSWERED:
                form.add_error(None, error.message)
                return render(request, "customers/survey.html", {"form": form, "scores": range(11)}, status=400)
        return redirect("customers:survey", token=token)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/survey.html", {"form": form, "scores": range(11)}, status=status)
