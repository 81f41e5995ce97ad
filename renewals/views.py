"""Specialist and manager screens. Thin: parse input, call one service or selector, render."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.roles import Role, has_role, role_required
from customers.models import Customer
from renewals import forms, selectors, services
from renewals.models import (
    OPEN_STAGES,
    ClaimsFactor,
    DiscountAuthority,
    LineOfInsurance,
    LostReason,
    LoyaltyFactor,
    PricingRule,
    Referral,
    RenewalCase,
    SettingsChange,
)

S, M, P = Role.SPECIALIST.value, Role.MANAGER.value, Role.SUPPORT.value


def _is_manager(user) -> bool:
    return has_role(user, Role.MANAGER)


# ---------------------------------------------------------------------------------------------
# My queue / team queue
# ---------------------------------------------------------------------------------------------
@require_GET
@role_required(S, M)
def queue(request):
    is_manager = _is_manager(request.user)
    lines = list(LineOfInsurance.objects.filter(active=True))
    specialists = selectors.specialists_list() if is_manager else []
    form = forms.QueueFilterForm(request.GET or None, lines=lines, specialists=specialists, is_manager=is_manager)
    filters = form.cleaned_data if form.is_valid() else {}
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    result = selectors.queue_page(user=request.user, filters=filters, today=timezone.localdate(), page=page)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    stages = [(s.value, s.label, result["stage_counts"].get(s.value, 0)) for s in OPEN_STAGES]
    # Plain (value, label) lists rendered by hand: widget templates cost more than the rows.
    select_filters = [
        (name, form.fields[name].label, [(str(v), t) for v, t in form.fields[name].choices])
        for name in ("stage", "line", "due", "assignee")
        if name in form.fields
    ]
    selected = {name: str(filters.get(name) or "") for name in ("stage", "line", "due", "assignee")}
    context = {
        "filters": filters,
        "select_filters": select_filters,
        "selected": selected,
        "is_manager": is_manager,
        "specialists": specialists,
        "stages": stages,
        "query": query,
        "today": timezone.localdate(),
        **result,
    }
    template = "renewals/_queue_results.html" if request.htmx and not request.htmx.boosted else "renewals/queue.html"
    return render(request, template, context)


@require_POST
@role_required(M)
def bulk_reassign(request):
    specialists = selectors.specialists_list()
    form = forms.BulkReassignForm(request.POST, specialists=specialists)
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
    return redirect(_safe_next(request, reverse("renewals:queue")))


def _safe_next(request, default: str) -> str:
    from core.net import safe_next  # local import: this helper is the only part of the module changed here

    return safe_next(request, request.POST.get("next") or request.GET.get("next"), default)


# ---------------------------------------------------------------------------------------------
# Case page
# ---------------------------------------------------------------------------------------------
def _case_or_404(pk: int) -> RenewalCase:
    try:
        return selectors.case_detail(case_id=pk)
    except RenewalCase.DoesNotExist:
        raise Http404 from None


def _can_act(user, case: RenewalCase) -> bool:
    return _is_manager(user) or (has_role(user, Role.SPECIALIST) and case.assignee_id == user.pk)


@require_GET
@role_required(S, M, P)
def case_page(request, pk: int):
    case = _case_or_404(pk)
    today = timezone.localdate()
    chain = selectors.policy_chain(policy_id=case.policy_id)
    is_manager = _is_manager(request.user)
    can_act = _can_act(request.user, case) and case.is_open
    reasons = selectors.lost_reasons()
    specialists = selectors.specialists_list() if is_manager else []
    discount = case.current_quote.discount_percent if case.current_quote else Decimal("0")
    preview = None
    if can_act:
        preview = selectors.quote_preview(
            case=case, discount_percent=discount, actor=request.user, tenure_years=len(chain)
        )
    notice_deadline = case.notice_deadline
    context = {
        "case": case,
        "customer": case.customer,
        "chain": chain,
        "timeline": selectors.case_timeline(case_id=case.pk),
        "quotes": selectors.case_quotes(case_id=case.pk),
        "referrals": selectors.case_referrals(case_id=case.pk),
        "is_manager": is_manager,
        "can_act": can_act,
        "preview": preview,
        "discount": discount,
        "today": today,
        "days_to_expiry": (case.due_date - today).days,
        "notice_deadline": notice_deadline,
        "days_to_notice": (notice_deadline - today).days,
        # Plain lists, not bound form widgets: widget templates cost more than the rest of the page.
        "channels": forms.ContactForm.base_fields["channel"].choices,
        "referral_targets": Referral.To.choices,
        "closing_forms": [
            ("lost", "lost", _("Lost"), _("Mark lost"), [r for r in reasons if r.kind == LostReason.Kind.LOST]),
            (
                "not-offered",
                "notoffered",
                _("Not offered"),
                _("Mark not offered"),
                [r for r in reasons if r.kind == LostReason.Kind.NOT_OFFERED],
            ),
        ],
        "specialists": specialists,
    }
    return render(request, "renewals/case.html", context)


@require_GET
@role_required(S, M)
def quote_preview(request, pk: int):
    case = _case_or_404(pk)
    if not _can_act(request.user, case):
        raise PermissionDenied
    raw = request.GET.get("quote-discount_percent", request.GET.get("discount_percent", "0")) or "0"
    error = None
    preview = None
    try:
        discount = services._parse_discount(raw)
        preview = selectors.quote_preview(case=case, discount_percent=discount, actor=request.user)
    except (ApplicationError, InvalidOperation) as exc:
        error = getattr(exc, "message", _("Enter the discount as a number."))
    return render(request, "renewals/_quote_breakdown.html", {"preview": preview, "error": error, "case": case})


def _version(data) -> int | None:
    value = data.get("version")
    return int(value) if value not in (None, "") else None


def _run_contact(request, case_id):
    form = forms.ContactForm(request.POST, prefix="contact")
    if not form.is_valid():
        raise ApplicationError(_("Check the contact form: %(errors)s") % {"errors": _errors(form)})
    data = form.cleaned_data
    services.case_log_contact(
        case_id=case_id,
        actor=request.user,
        channel=data["channel"],
        reached=data["reached"],
        note=data["note"],
        next_action_date=data["next_action_date"],
        expected_version=_version(data),
    )
    return _("Contact logged.")


def _run_quote(request, case_id):
    form = forms.QuoteForm(request.POST, prefix="quote")
    if not form.is_valid():
        raise ApplicationError(_("Check the discount: %(errors)s") % {"errors": _errors(form)})
    quote = services.quote_prepare(
        case_id=case_id,
        actor=request.user,
        discount_percent=form.cleaned_data["discount_percent"],
        expected_version=_version(form.cleaned_data),
    )
    if quote.approval_status == quote.Approval.PENDING:
        return _("Quote saved. The discount is above your authority and waits for a manager's approval.")
    return _("Quote saved.")


def _run_renew(request, case_id):
    form = forms.VersionForm(request.POST)
    form.is_valid()
    case = services.case_mark_renewed(case_id=case_id, actor=request.user, expected_version=_version(form.cleaned_data))
    return _("Renewed: successor policy %(number)s created.") % {"number": case.successor_policy.number}


def _run_reason(kind, prefix, service):
    def run(request, case_id):
        form = forms.ReasonForm(request.POST, kind=kind, prefix=prefix)
        if not form.is_valid():
            raise ApplicationError(_("Choose a reason from the list."), field="reason_code")
        data = form.cleaned_data
        service(
            case_id=case_id,
            actor=request.user,
            reason_code=data["reason_code"],
            note=data["note"],
            expected_version=_version(data),
        )
        return _("Case closed.")

    return run


def _run_refer(request, case_id):
    form = forms.ReferForm(request.POST, prefix="refer")
    if not form.is_valid():
        raise ApplicationError(_("Check the referral: %(errors)s") % {"errors": _errors(form)})
    services.case_refer(case_id=case_id, actor=request.user, to=form.cleaned_data["to"], note=form.cleaned_data["note"])
    return _("Referral sent.")


def _run_assign(request, case_id):
    form = forms.AssignForm(request.POST, specialists=selectors.specialists_list(), prefix="assign")
    if not form.is_valid():
        raise ApplicationError(_("Choose a specialist."), field="assignee")
    services.case_assign(
        case_id=case_id,
        assignee_id=int(form.cleaned_data["assignee"]),
        actor=request.user,
        expected_version=_version(form.cleaned_data),
    )
    return _("Case reassigned.")


def _run_reopen(request, case_id):
    services.case_reopen(case_id=case_id, actor=request.user)
    return _("Case reopened.")


CASE_ACTIONS = {
    "contact": _run_contact,
    "quote": _run_quote,
    "renew": _run_renew,
    "lost": _run_reason(LostReason.Kind.LOST, "lost", services.case_mark_lost),
    "not-offered": _run_reason(LostReason.Kind.NOT_OFFERED, "notoffered", services.case_mark_not_offered),
    "refer": _run_refer,
    "assign": _run_assign,
    "reopen": _run_reopen,
}


def _errors(form) -> str:
    return "; ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".strip(": ") for f, e in form.errors.items()
    )


@require_POST
@role_required(S, M)
def case_action(request, pk: int, action: str):
    handler = CASE_ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        messages.success(request, handler(request, pk))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ConflictError as exc:
        messages.error(request, exc.message, extra_tags="conflict")
    except ApplicationError as exc:
        if exc.code == "not_found":
            raise Http404 from None
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("renewals:case", args=[pk]))


@require_POST
@role_required(S, M)
def referral_resolve(request, pk: int, referral_id: int):
    form = forms.ResolveReferralForm(request.POST)
    form.is_valid()
    try:
        services.referral_resolve(
            referral_id=referral_id, actor=request.user, resolution=form.cleaned_data.get("resolution", "")
        )
        messages.success(request, _("Referral resolved."))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("renewals:case", args=[pk]))


# ---------------------------------------------------------------------------------------------
# Approvals (managers)
# ---------------------------------------------------------------------------------------------
@require_GET
@role_required(M)
def approvals(request):
    return render(request, "renewals/approvals.html", {"quotes": selectors.pending_approvals()})


@require_POST
@role_required(M)
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
    return redirect(_safe_next(request, reverse("renewals:approvals")))


# ---------------------------------------------------------------------------------------------
# Customer page
# ---------------------------------------------------------------------------------------------
@require_GET
@role_required(S, M, P)
def customer_page(request, pk: int):
    try:
        context = selectors.customer_page(customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    return render(request, "renewals/customer.html", context)


# ---------------------------------------------------------------------------------------------
# Settings (managers); every change goes through an audited service
# ---------------------------------------------------------------------------------------------
def _settings_error(request, exc: ApplicationError):
    messages.error(request, exc.message)


@require_GET
@role_required(M)
def settings_index(request):
    return render(
        request,
        "renewals/settings_index.html",
        {"changes": list(SettingsChange.objects.select_related("actor")[:20])},
    )


@role_required(M)
def settings_lines(request):
    if request.method == "POST":
        line_id = request.POST.get("line_id")
        instance = LineOfInsurance.objects.filter(pk=line_id).first() if line_id else None
        form = (forms.LineForm if instance else forms.NewLineForm)(request.POST, instance=instance)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
            try:
                services.line_save(
                    actor=request.user,
                    line_id=instance.pk if instance else None,
                    code=form.cleaned_data.get("code"),
                    **data,
                )
                messages.success(request, _("Line saved."))
                return redirect("renewals:settings-lines")
            except ApplicationError as exc:
                _settings_error(request, exc)
        else:
            messages.error(request, _errors(form))
        return redirect("renewals:settings-lines")
    lines = list(LineOfInsurance.objects.all())
    rows = [(line, forms.style_form(forms.LineForm(instance=line, prefix=f"l{line.pk}"))) for line in lines]
    return render(
        request,
        "renewals/settings_lines.html",
        {"rows": rows, "new_form": forms.style_form(forms.NewLineForm(prefix="new"))},
    )


def _parse_table(request, prefix: str) -> list[tuple[int, Decimal]]:
    rows = []
    for threshold, factor in zip(
        request.POST.getlist(f"{prefix}_threshold"), request.POST.getlist(f"{prefix}_factor"), strict=False
    ):
        if not threshold.strip() and not factor.strip():
            continue
        try:
            rows.append((int(threshold), Decimal(factor)))
        except (ValueError, InvalidOperation):
            raise ApplicationError(
                _("Each step needs a whole-number threshold and a decimal factor."), field=prefix
            ) from None
    return rows


@role_required(M)
def settings_pricing(request):
    lines = list(LineOfInsurance.objects.all())
    if request.method == "POST":
        try:
            line_id = int(request.POST["line_id"])
            services.pricing_rule_save(
                actor=request.user,
                line_id=line_id,
                base_rate_change_percent=Decimal(request.POST.get("base_rate_change_percent") or "0"),
                claims_factors=_parse_table(request, "claims"),
                loyalty_factors=_parse_table(request, "loyalty"),
            )
            messages.success(request, _("Pricing saved."))
        except (KeyError, ValueError, InvalidOperation):
            messages.error(request, _("Check the numbers."))
        except ApplicationError as exc:
            _settings_error(request, exc)
        return redirect("renewals:settings-pricing")
    rules = {r.line_id: r for r in PricingRule.objects.all()}
    claims, loyalty = {}, {}
    for row in ClaimsFactor.objects.all():
        claims.setdefault(row.line_id, []).append(row)
    for row in LoyaltyFactor.objects.all():
        loyalty.setdefault(row.line_id, []).append(row)
    blocks = [
        {
            "line": line,
            "base": rules[line.pk].base_rate_change_percent if line.pk in rules else Decimal("0"),
            "claims": claims.get(line.pk, []),
            "loyalty": loyalty.get(line.pk, []),
            "spare": range(2),
        }
        for line in lines
    ]
    return render(request, "renewals/settings_pricing.html", {"blocks": blocks})


@role_required(M)
def settings_authority(request):
    lines = list(LineOfInsurance.objects.filter(active=True))
    specialists = selectors.specialists_list()
    if request.method == "POST":
        saved = 0
        try:
            for user in specialists:
                for line in lines:
                    raw = request.POST.get(f"a_{user.pk}_{line.pk}", "").strip()
                    if raw == "":
                        continue
                    services.discount_authority_set(
                        actor=request.user, user_id=user.pk, line_id=line.pk, max_discount_percent=raw
                    )
                    saved += 1
            messages.success(request, _("Discount authority saved."))
        except ApplicationError as exc:
            _settings_error(request, exc)
        return redirect("renewals:settings-authority")
    current = {(a.user_id, a.line_id): a.max_discount_percent for a in DiscountAuthority.objects.all()}
    rows = [(user, [(line, current.get((user.pk, line.pk), "")) for line in lines]) for user in specialists]
    return render(request, "renewals/settings_authority.html", {"lines": lines, "rows": rows})


@role_required(M)
def settings_reasons(request):
    if request.method == "POST":
        reason_id = request.POST.get("reason_id")
        instance = LostReason.objects.filter(pk=reason_id).first() if reason_id else None
        form = (forms.LostReasonForm if instance else forms.NewLostReasonForm)(request.POST, instance=instance)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.lost_reason_save(
                    actor=request.user,
                    reason_id=instance.pk if instance else None,
                    code=data.get("code"),
                    name=data["name"],
                    name_zh_hans=data["name_zh_hans"],
                    kind=data["kind"],
                    active=data["active"],
                    sort_order=data["sort_order"],
                )
                messages.success(request, _("Reason saved."))
            except ApplicationError as exc:
                _settings_error(request, exc)
        else:
            messages.error(request, _errors(form))
        return redirect("renewals:settings-reasons")
    reasons = list(LostReason.objects.all())
    rows = [(r, forms.style_form(forms.LostReasonForm(instance=r, prefix=f"r{r.pk}"))) for r in reasons]
    return render(
        request,
        "renewals/settings_reasons.html",
        {"rows": rows, "new_form": forms.style_form(forms.NewLostReasonForm(prefix="new"))},
    )


@role_required(M)
def settings_specialists(request):
    lines = list(LineOfInsurance.objects.filter(active=True))
    if request.method == "POST":
        try:
            user_id = int(request.POST["user_id"])
            services.specialist_profile_save(
                actor=request.user,
                user_id=user_id,
                line_ids=[int(i) for i in request.POST.getlist("lines") if i.isdigit()],
                regions=request.POST.get("regions", "").split(","),
                away=request.POST.get("away") == "on",
            )
            messages.success(request, _("Specialist saved."))
        except (KeyError, ValueError):
            messages.error(request, _("Choose a specialist."))
        except ApplicationError as exc:
            _settings_error(request, exc)
        return redirect("renewals:settings-specialists")
    rows = selectors.specialists_with_workload()
    return render(request, "renewals/settings_specialists.html", {"rows": rows, "lines": lines})


@require_POST
@role_required(M)
def specialist_handover(request, user_id: int):
    try:
        moved = services.specialist_cases_handover(from_user_id=user_id, actor=request.user)
        messages.success(request, _("%(n)d open cases handed to other specialists.") % {"n": moved})
    except ApplicationError as exc:
        _settings_error(request, exc)
    return redirect("renewals:settings-specialists")


@require_GET
@role_required(M)
def settings_audit(request):
    return render(
        request, "renewals/settings_audit.html", {"changes": list(SettingsChange.objects.select_related("actor")[:200])}
    )
