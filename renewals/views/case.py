"""The case page, its live quote preview and the actions posted from it."""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError, ConflictError, ErrorCode, PermissionDeniedError
from core.roles import STAFF_ROLES, Role, has_role, role_required
from renewals import estimates, forms, panels, pricing, selectors, services
from renewals.addons import selectors as addon_selectors
from renewals.addons.pricing import ineligibility
from renewals.competitors import selectors as competitor_selectors
from renewals.competitors import services as competitor_services
from renewals.limits import REOPEN_DEFAULT_DAYS, REOPEN_MAX_DAYS
from renewals.models import ContactChannel, LostReason, Referral, RenewalCase
from renewals.playbooks import selectors as playbook_selectors
from renewals.views._common import form_errors, is_manager


def _case_or_404(pk: int) -> RenewalCase:
    try:
        return selectors.case_detail(case_id=pk)
    except RenewalCase.DoesNotExist:
        raise Http404 from None


def _can_act(user, case: RenewalCase) -> bool:
    return is_manager(user) or (has_role(user, Role.SPECIALIST) and case.assignee_id == user.pk)


@require_GET
@role_required(*STAFF_ROLES)
def case_page(request, pk: int):
    case = _case_or_404(pk)
    today = timezone.localdate()
    chain = selectors.policy_chain(policy_id=case.policy_id)
    manager = is_manager(request.user)
    can_act = _can_act(request.user, case) and case.is_open
    reasons = selectors.lost_reasons()
    discount = case.current_quote.discount_percent if case.current_quote else Decimal("0")
    preview = None
    addon_choices, addon_selected, suggestions = [], [], []
    if can_act:
        selected = addon_selectors.proposed_addons(case=case, day=today)
        addon_selected = [a.code for a in selected]
        addon_choices = [
            a
            for a in addon_selectors.catalogue(line_id=case.line_id, day=today, segment=case.customer.segment)
            if a.code in addon_selected
            or not ineligibility(
                a, segment=case.customer.segment, attributes=case.policy.attributes, line_id=case.line_id, day=today
            )
        ]
        suggestions = addon_selectors.suggestions(
            case=case, chosen_codes=addon_selected, addons=addon_choices, day=today
        )
        preview = selectors.quote_preview(
            case=case, discount_percent=discount, actor=request.user, tenure_years=len(chain), addons=selected
        )
    notice_deadline = case.notice_deadline
    context = {
        "case": case,
        "customer": case.customer,
        "chain": chain,
        "timeline": selectors.case_timeline(case_id=case.pk),
        "quotes": selectors.case_quotes(case_id=case.pk),
        "referrals": selectors.case_referrals(case_id=case.pk),
        "playbook_info": playbook_selectors.case_playbook(case),
        "is_manager": manager,
        "can_act": can_act,
        "preview": preview,
        "discount": discount,
        "today": today,
        "days_to_expiry": (case.due_date - today).days,
        "notice_deadline": notice_deadline,
        "days_to_notice": (notice_deadline - today).days,
        "reopen_default": today + dt.timedelta(days=REOPEN_DEFAULT_DAYS),
        "reopen_latest": today + dt.timedelta(days=REOPEN_MAX_DAYS),
        # Plain lists, not bound form widgets: widget templates cost more than the rest of the page.
        "channels": ContactChannel.choices,
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
        "specialists": selectors.specialists_list() if manager else [],
        "panels": panels.case_panels(case),
        "addon_choices": addon_choices,
        "addon_selected": addon_selected,
        "suggestions": suggestions,
        "estimates": estimates.quote_estimates(case=case, preview=preview),
        "competitor_quotes": competitor_selectors.case_competitor_quotes(case_id=case.pk),
        "competitors": competitor_selectors.competitors() if can_act else [],
    }
    return render(request, "renewals/case.html", context)


@require_GET
@role_required(Role.SPECIALIST, Role.MANAGER)
def quote_preview(request, pk: int):
    case = _case_or_404(pk)
    if not _can_act(request.user, case):
        raise PermissionDenied
    raw = request.GET.get("quote-discount_percent", request.GET.get("discount_percent", "0")) or "0"
    error = None
    preview = None
    try:
        discount = pricing.parse_discount(raw)
        addons = _chosen_addons(request.GET, case)
        preview = selectors.quote_preview(case=case, discount_percent=discount, actor=request.user, addons=addons)
    except ApplicationError as exc:
        error = exc.message
    context = {
        "preview": preview,
        "error": error,
        "case": case,
        "estimates": estimates.quote_estimates(case=case, preview=preview),
    }
    return render(request, "renewals/_quote_breakdown.html", context)


# --- actions: each parses its form and calls one service; the answer is a flash message ------
def _version(data) -> int | None:
    value = data.get("version")
    return int(value) if value not in (None, "") else None


def _run_contact(request, case_id):
    form = forms.ContactForm(request.POST, prefix="contact")
    if not form.is_valid():
        raise ApplicationError(_("Check the contact form: %(errors)s") % {"errors": form_errors(form)})
    data = form.cleaned_data
    services.case_log_contact(
        case_id=case_id,
        actor=request.user,
        channel=data["channel"],
        reached=data["reached"],
        note=data["note"],
        next_action_date=data["next_action_date"],
        expected_version=_version(data),
        refused_calls=data["refused_calls"],
    )
    return _("Contact logged.")


def _chosen_addons(data, case):
    """The add-on boxes the quote form sent (``quote-addons``), checked for the case; when the form
    had no add-on boxes at all, what the case proposes."""
    if not data.get("quote-addons_shown"):
        return addon_selectors.proposed_addons(case=case)
    return addon_selectors.resolve_addons(case=case, codes=data.getlist("quote-addons"))


def _posted_addon_codes(data) -> list[str] | None:
    return data.getlist("quote-addons") if data.get("quote-addons_shown") else None


def _run_quote(request, case_id):
    form = forms.QuoteForm(request.POST, prefix="quote")
    if not form.is_valid():
        raise ApplicationError(_("Check the discount: %(errors)s") % {"errors": form_errors(form)})
    quote = services.quote_prepare(
        case_id=case_id,
        actor=request.user,
        discount_percent=form.cleaned_data["discount_percent"],
        addon_codes=_posted_addon_codes(request.POST),
        expected_version=_version(form.cleaned_data),
    )
    if quote.approval_status == quote.Approval.PENDING:
        return _("Quote saved. The discount is above your authority and waits for a manager's approval.")
    return _("Quote saved.")


def _run_renew(request, case_id):
    form = forms.RenewForm(request.POST, prefix="renew")
    if not form.is_valid():
        raise ApplicationError(_("Check the premium: %(errors)s") % {"errors": form_errors(form)}, field="premium")
    case = services.case_mark_renewed(
        case_id=case_id,
        actor=request.user,
        premium=form.cleaned_data["premium"],
        expected_version=_version(form.cleaned_data),
    )
    return _("Renewed: successor policy %(number)s created.") % {"number": case.successor_policy.number}


def _run_reason(kind, prefix, service):
    form_class = forms.LoseForm if kind == LostReason.Kind.LOST else forms.ReasonForm

    def run(request, case_id):
        form = form_class(request.POST, kind=kind, prefix=prefix)
        if not form.is_valid():
            if "reason_code" in form.errors:
                raise ApplicationError(_("Choose a reason from the list."), field="reason_code")
            raise ApplicationError(form_errors(form), field="note")
        data = form.cleaned_data
        extra = {}
        if kind == LostReason.Kind.LOST:
            extra = {"competitor_code": data["competitor"], "competitor_premium": data["competitor_premium"]}
        service(
            case_id=case_id,
            actor=request.user,
            reason_code=data["reason_code"],
            note=data["note"],
            expected_version=_version(data),
            **extra,
        )
        return _("Case closed.")

    return run


def _run_competitor_quote(request, case_id):
    form = forms.CompetitorQuoteForm(request.POST, prefix="competitor")
    if not form.is_valid():
        raise ApplicationError(_("Check the competitor quote: %(errors)s") % {"errors": form_errors(form)})
    competitor_services.competitor_quote_record(
        case_id=case_id,
        actor=request.user,
        competitor_code=form.cleaned_data["competitor"],
        premium=form.cleaned_data["premium"],
        cover_notes=form.cleaned_data["cover_notes"],
    )
    return _("Competitor quote recorded.")


def _run_refer(request, case_id):
    form = forms.ReferForm(request.POST, prefix="refer")
    if not form.is_valid():
        raise ApplicationError(_("Check the referral: %(errors)s") % {"errors": form_errors(form)})
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
    form = forms.ReopenForm(request.POST, prefix="reopen")
    if not form.is_valid():
        raise ApplicationError(
            _("Choose the date the case must be decided by: %(errors)s") % {"errors": form_errors(form)},
            field="decision_date",
        )
    case = services.case_reopen(
        case_id=case_id,
        actor=request.user,
        decision_date=form.cleaned_data["decision_date"],
        expected_version=_version(form.cleaned_data),
    )
    return _("Case reopened: to be decided by %(date)s.") % {
        "date": date_format(case.decision_date, "SHORT_DATE_FORMAT")
    }


CASE_ACTIONS = {
    "contact": _run_contact,
    "quote": _run_quote,
    "renew": _run_renew,
    "lost": _run_reason(LostReason.Kind.LOST, "lost", services.case_mark_lost),
    "not-offered": _run_reason(LostReason.Kind.NOT_OFFERED, "notoffered", services.case_mark_not_offered),
    "refer": _run_refer,
    "competitor-quote": _run_competitor_quote,
    "assign": _run_assign,
    "reopen": _run_reopen,
}


@require_POST
@role_required(Role.SPECIALIST, Role.MANAGER)
def case_action(request, pk: int, action: str):
    handler = CASE_ACTIONS.get(action)
    if handler is None or not selectors.case_exists(case_id=pk):
        raise Http404
    try:
        messages.success(request, handler(request, pk))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ConflictError as exc:
        messages.error(request, exc.message, extra_tags="conflict")
    except ApplicationError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise Http404 from None
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("renewals:case", args=[pk]))


@require_POST
@role_required(Role.SPECIALIST, Role.MANAGER)
def referral_resolve(request, pk: int, referral_id: int):
    if not selectors.case_referral_exists(case_id=pk, referral_id=referral_id):
        raise Http404
    form = forms.ResolveReferralForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return HttpResponseRedirect(reverse("renewals:case", args=[pk]))
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
