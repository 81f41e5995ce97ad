"""Complaint pages: the queue, the log form, the complaint page and its actions, managers' settings."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.roles import Role, has_role, role_required
from customers import selectors, services
from customers.forms import (
    AssignForm,
    CategoryForm,
    CategoryToggleForm,
    ComplaintLogForm,
    NoteForm,
    QueueFilterForm,
    ResolveForm,
    SlaForm,
    VoiceSettingsForm,
)
from customers.models import Complaint, ComplaintCategory
from customers.views._common import _customer_or_none, _decorate, _page_number
from customers.workflow import COMPLAINT_EDITORS, complaint_can_reopen, complaint_can_transition

# --- complaints --------------------------------------------------------------------------

# Beyond this page the offset is not worth asking the database for (it would pass bigint at
# 10**17); such a page number is treated as past the end.
MAX_QUEUE_PAGE = 1_000_000


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
    rows = list(queryset[(page - 1) * size : page * size + 1]) if page <= MAX_QUEUE_PAGE else []
    if not rows and page > 1:
        # Past the end (an old link, a typed number): count once and show the last page instead.
        page = max(1, -(-queryset.count() // size))
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
    status = 400 if request.method == "POST" else 200  # here after a POST only when it was refused
    return render(request, "customers/complaint_new.html", {"form": form, "customer": customer}, status=status)


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


# Lazy messages: this table is built once at import, the messages are shown in each user's language.
SIMPLE_ACTIONS = {
    "acknowledge": (services.complaint_acknowledge, gettext_lazy("Acknowledged.")),
    "start": (services.complaint_start, gettext_lazy("Work started.")),
    "close": (services.complaint_close, gettext_lazy("Closed.")),
    "reopen": (services.complaint_reopen, gettext_lazy("Reopened.")),
}


@require_POST
@role_required(*COMPLAINT_EDITORS)
def complaint_action(request, pk: int, action: str):
    get_object_or_404(Complaint.objects.only("pk"), pk=pk)
    try:
        if action in SIMPLE_ACTIONS:
            service, done = SIMPLE_ACTIONS[action]
            note_form = NoteForm(request.POST)
            if not note_form.is_valid():
                return _detail_with_errors(request, pk, note_form=note_form)
            service(complaint_id=pk, actor=request.user, note=note_form.cleaned_data["note"])
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
                toggle_form = CategoryToggleForm(request.POST)
                if not toggle_form.is_valid():
                    raise ApplicationError(_("Choose a category from the list."), field="category_id")
                category = toggle_form.cleaned_data["category_id"]
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
        status=400 if request.method == "POST" else 200,  # a POST gets here only when it was refused
    )
