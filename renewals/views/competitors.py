"""The competitor list (managers keep it, audited)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.roles import Role, role_required
from renewals import forms
from renewals.competitors import selectors as competitor_selectors
from renewals.competitors import services as competitor_services
from renewals.views._common import form_errors, row_or_refusal


@role_required(Role.MANAGER)
def settings_competitors(request):
    if request.method == "POST":
        # Each competitor's row posts its hidden ``competitor_id``; the "add" form is prefixed "new".
        instance, refusal = row_or_refusal(
            request, "competitor_id", competitor_selectors.competitor_or_none, _("No such competitor.")
        )
        if refusal:
            return refusal
        form = forms.CompetitorForm(request.POST) if instance else forms.NewCompetitorForm(request.POST, prefix="new")
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect("renewals:settings-competitors")
        data = form.cleaned_data
        try:
            competitor_services.competitor_save(
                actor=request.user,
                competitor_id=instance.pk if instance else None,
                code=data.get("code"),
                name=data["name"],
                name_zh_hans=data["name_zh_hans"],
                active=data["active"],
                sort_order=data["sort_order"] or 0,
            )
            messages.success(request, _("Competitor saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("renewals:settings-competitors")
    rows = [
        (c, forms.style_form(forms.CompetitorForm(initial=_initial(c), prefix=f"c{c.pk}")))
        for c in competitor_selectors.competitors(active_only=False)
    ]
    context = {"rows": rows, "new_form": forms.style_form(forms.NewCompetitorForm(prefix="new"))}
    return render(request, "renewals/settings_competitors.html", context)


def _initial(competitor) -> dict:
    return {name: getattr(competitor, name) for name in ("name", "name_zh_hans", "active", "sort_order")}
