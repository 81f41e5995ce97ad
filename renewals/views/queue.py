"""My queue / team queue, bulk reassignment and the approvals queue."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.roles import Role, role_required
from renewals import forms, panels, selectors, services
from renewals.models import OPEN_STAGES
from renewals.views._common import is_manager, next_url, page_number

QUEUE_FILTERS = ("stage", "line", "due", "assignee")


@require_GET
@role_required(Role.SPECIALIST, Role.MANAGER)
def queue(request):
    manager = is_manager(request.user)
    lines = selectors.lines(active_only=True)
    specialists = selectors.specialists_list() if manager else []
    form = forms.QueueFilterForm(request.GET or None, lines=lines, specialists=specialists, is_manager=manager)
    filters = form.cleaned_data if form.is_valid() else {}
    page = page_number(request, selectors.QUEUE_MAX_PAGE)
    result = selectors.queue_page(user=request.user, filters=filters, today=timezone.localdate(), page=page)
    if page > 1 and not result["cases"]:
        raise Http404(_("There is no such page."))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    stages = [(s.value, s.label, result["stage_counts"].get(s.value, 0)) for s in OPEN_STAGES]
    # Plain (value, label) lists rendered by hand: widget templates cost more than the rows.
    select_filters = [
        (name, form.fields[name].label, [(str(v), t) for v, t in form.fields[name].choices])
        for name in QUEUE_FILTERS
        if name in form.fields
    ]
    selected = {name: str(filters.get(name) or "") for name in QUEUE_FILTERS}
    context = {
        "filters": filters,
        "select_filters": select_filters,
        "selected": selected,
        "is_manager": manager,
        "specialists": specialists,
        "stages": stages,
        "query": query,
        "today": timezone.localdate(),
        "panels": panels.queue_panels(),
        **result,
    }
    template = "renewals/_queue_results.html" if request.htmx and not request.htmx.boosted else "renewals/queue.html"
    return render(request, template, context)


@require_POST
@role_required(Role.MANAGER)
def bulk_reassign(request):
    form = forms.BulkReassignForm(request.POST, specialists=selectors.specialists_list())
    ids = [int(i) for i in request.POST.getlist("case_ids") if i.isdigit()]
    if not form.is_valid() or not ids:
        messages.error(request, _("Choose cases and a specialist."))
    else:
        try:
            moved = services.cases_reassign(
                case_ids=ids, assignee_id=int(form.cleaned_data["assignee"]), actor=request.user
            )
            messages.success(request, _("%(n)d cases reassigned.") % {"n": moved})
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect(next_url(request, reverse("renewals:queue")))


@require_GET
@role_required(Role.MANAGER)
def approvals(request):
    return render(request, "renewals/approvals.html", {"quotes": selectors.pending_approvals()})


@require_POST
@role_required(Role.MANAGER)
def approval_decide(request, quote_id: int):
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("renewals:approvals")
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            services.quote_approve(quote_id=quote_id, actor=request.user, comment=data["comment"])
            messages.success(request, _("Discount approved."))
        else:
            services.quote_reject(quote_id=quote_id, actor=request.user, comment=data["comment"])
            messages.success(request, _("Discount rejected."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(next_url(request, reverse("renewals:approvals")))
