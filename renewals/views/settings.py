"""Managers' settings pages. Each page binds a form, calls its one service (one transaction, audited)
and redirects back; reads come from the selectors."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.roles import Role, role_required
from renewals import forms, selectors, services
from renewals.addons import selectors as addon_selectors
from renewals.addons import services as addon_services
from renewals.views._common import form_errors, refuse, row_or_refusal

# Entries of the audit log on the overview and on the audit page.
RECENT_CHANGES = 20
AUDIT_PAGE_CHANGES = 200


@require_GET
@role_required(Role.MANAGER)
def settings_index(request):
    return render(
        request, "renewals/settings_index.html", {"changes": selectors.settings_changes(limit=RECENT_CHANGES)}
    )


@role_required(Role.MANAGER)
def settings_lines(request):
    if request.method == "POST":
        # Each line's row posts its hidden ``line_id``; the "add a line" form has none.
        instance, refusal = row_or_refusal(request, "line_id", selectors.line_or_none, _("No such line."))
        if refusal:
            return refusal
        form = (forms.LineForm if instance else forms.NewLineForm)(request.POST, instance=instance)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect("renewals:settings-lines")
        values = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.line_save(
                actor=request.user,
                line_id=instance.pk if instance else None,
                code=form.cleaned_data.get("code"),
                **values,
            )
            messages.success(request, _("Line saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("renewals:settings-lines")
    rows = [(line, forms.style_form(forms.LineForm(instance=line, prefix=f"l{line.pk}"))) for line in selectors.lines()]
    return render(
        request,
        "renewals/settings_lines.html",
        {"rows": rows, "new_form": forms.style_form(forms.NewLineForm(prefix="new"))},
    )


# Fields whose error is shown as it is; any other invalid input is "Check the numbers."
PRICING_TABLES = ("claims", "loyalty")


@role_required(Role.MANAGER)
def settings_pricing(request):
    if request.method == "POST":
        line, refusal = row_or_refusal(request, "line_id", selectors.line_or_none, _("No such line."))
        if refusal or line is None:
            return refusal or refuse(request, _("No such line."), back=request.path)
        form = forms.PricingForm(request.POST)
        if not form.is_valid():
            table_errors = [e for name in PRICING_TABLES for e in form.errors.get(name, [])]
            messages.error(request, table_errors[0] if table_errors else _("Check the numbers."))
            return redirect("renewals:settings-pricing")
        data = form.cleaned_data
        try:
            services.pricing_rule_save(
                actor=request.user,
                line_id=data["line_id"].pk,
                base_rate_change_percent=data["base_rate_change_percent"],
                claims_factors=data["claims"],
                loyalty_factors=data["loyalty"],
            )
            messages.success(request, _("Pricing saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("renewals:settings-pricing")
    return render(request, "renewals/settings_pricing.html", {"blocks": selectors.pricing_settings()})


@role_required(Role.MANAGER)
def settings_authority(request):
    lines = selectors.lines(active_only=True)
    specialists = selectors.specialists_list()
    if request.method == "POST":
        form = forms.DiscountAuthorityForm(request.POST, specialists=specialists, lines=lines)
        form.is_valid()  # every cell is optional text: the service checks the values, all or nothing
        try:
            services.discount_authorities_set(actor=request.user, rows=form.rows())
            messages.success(request, _("Discount authority saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("renewals:settings-authority")
    rows = selectors.discount_authority_grid(specialists=specialists, lines=lines)
    return render(request, "renewals/settings_authority.html", {"lines": lines, "rows": rows})


@role_required(Role.MANAGER)
def settings_reasons(request):
    if request.method == "POST":
        # Each reason's row posts its hidden ``reason_id``; the "add a reason" form is prefixed "new".
        instance, refusal = row_or_refusal(request, "reason_id", selectors.lost_reason_or_none, _("No such reason."))
        if refusal:
            return refusal
        if instance:
            form = forms.LostReasonForm(request.POST, instance=instance)
        else:
            form = forms.NewLostReasonForm(request.POST, prefix="new")
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect("renewals:settings-reasons")
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
            messages.error(request, exc.message)
        return redirect("renewals:settings-reasons")
    rows = [
        (r, forms.style_form(forms.LostReasonForm(instance=r, prefix=f"r{r.pk}"))) for r in selectors.lost_reasons_all()
    ]
    return render(
        request,
        "renewals/settings_reasons.html",
        {"rows": rows, "new_form": forms.style_form(forms.NewLostReasonForm(prefix="new"))},
    )


@role_required(Role.MANAGER)
def settings_specialists(request):
    if request.method == "POST":
        form = forms.SpecialistProfileForm(request.POST)
        if not form.is_valid():
            if "user_id" in form.errors:
                return refuse(request, _("Choose a specialist."), back=request.path)
            if "lines" in form.errors:
                return refuse(request, _("Choose lines from the list."), back=request.path)
            messages.error(request, form_errors(form))
            return redirect("renewals:settings-specialists")
        data = form.cleaned_data
        try:
            services.specialist_profile_save(
                actor=request.user,
                user_id=data["user_id"],
                line_ids=[line.pk for line in data["lines"]],
                regions=data["regions"],
                skills=data["skills"],
                away=data["away"],
            )
            messages.success(request, _("Specialist saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("renewals:settings-specialists")
    return render(
        request,
        "renewals/settings_specialists.html",
        {"rows": selectors.specialists_with_workload(), "lines": selectors.lines(active_only=True)},
    )


@require_POST
@role_required(Role.MANAGER)
def specialist_handover(request, user_id: int):
    try:
        moved = services.specialist_cases_handover(from_user_id=user_id, actor=request.user)
        messages.success(request, _("%(n)d open cases handed to other specialists.") % {"n": moved})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("renewals:settings-specialists")


@require_GET
@role_required(Role.MANAGER)
def settings_audit(request):
    return render(
        request, "renewals/settings_audit.html", {"changes": selectors.settings_changes(limit=AUDIT_PAGE_CHANGES)}
    )


@role_required(Role.MANAGER)
def settings_addons(request):
    if request.method == "POST":
        # Each add-on's form posts its hidden ``addon_id``; the "add an add-on" form is prefixed "new".
        instance, refusal = row_or_refusal(request, "addon_id", addon_selectors.addon_or_none, _("No such add-on."))
        if refusal:
            return refusal
        if instance:
            form = forms.AddOnForm(request.POST, instance=instance, prefix=f"a{instance.pk}")
        else:
            form = forms.NewAddOnForm(request.POST, prefix="new")
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect("renewals:settings-addons")
        data = dict(form.cleaned_data)
        try:
            if instance:
                addon_services.addon_save(actor=request.user, addon_id=instance.pk, **data)
            else:
                code, line = data.pop("code"), data.pop("line")
                addon_services.addon_save(actor=request.user, code=code, line_id=line.pk, **data)
            messages.success(request, _("Add-on saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("renewals:settings-addons")
    rows = [
        (addon, forms.style_form(forms.AddOnForm(instance=addon, prefix=f"a{addon.pk}")))
        for addon in addon_selectors.catalogue_all()
    ]
    return render(
        request,
        "renewals/settings_addons.html",
        {"rows": rows, "new_form": forms.style_form(forms.NewAddOnForm(prefix="new"))},
    )
