"""The playbooks settings pages (managers): the list in matching order, one playbook's form with the
live match count (htmx), its versions, retire and re-apply. Every write is one audited service call."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.roles import Role, role_required
from renewals.forms import style_form
from renewals.playbooks import forms, matching, selectors, services
from renewals.views._common import form_errors, id_or_none, refuse


@require_GET
@role_required(Role.MANAGER)
def settings_playbooks(request):
    return render(request, "renewals/settings_playbooks.html", {"playbooks": list(selectors.playbooks_all())})


def _playbook_or_404(request, playbook_id: int):
    playbook = selectors.playbook_or_none(playbook_id)
    if playbook is None:
        return None, refuse(request, _("No such playbook."), status=404, back="/settings/playbooks/")
    return playbook, None


@role_required(Role.MANAGER)
def playbook_edit(request, playbook_id: int | None = None):
    playbook = None
    if playbook_id is not None:
        playbook, refusal = _playbook_or_404(request, playbook_id)
        if refusal:
            return refusal
    if request.method == "POST":
        form = forms.PlaybookForm(request.POST, playbook=playbook, prefix="pb")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if playbook is None:
                    line = data["line"]
                    created = services.playbook_create(
                        actor=request.user,
                        code=data["code"],
                        name=data["name"],
                        name_zh_hans=data["name_zh_hans"],
                        line_id=line.pk if line else None,
                        position=data["position"],
                        **form.version_data(),
                    )
                    messages.success(request, _("Playbook saved."))
                    return redirect("renewals:playbook-edit", playbook_id=created.pk)
                services.playbook_update(
                    actor=request.user,
                    playbook_id=playbook.pk,
                    name=data["name"],
                    name_zh_hans=data["name_zh_hans"],
                    position=data["position"],
                    **form.version_data(),
                )
                messages.success(request, _("Playbook saved."))
                return redirect("renewals:playbook-edit", playbook_id=playbook.pk)
            except ApplicationError as exc:
                messages.error(request, exc.message)
        else:
            messages.error(request, form_errors(form))
    else:
        initial = forms.initial_of(playbook) if playbook else None
        form = forms.PlaybookForm(initial=initial, playbook=playbook, prefix="pb")
    context = {
        "playbook": playbook,
        "form": style_form(form),
        "versions": selectors.versions_of(playbook) if playbook else [],
        "counts": _counts_of(playbook) if playbook else None,
    }
    return render(request, "renewals/settings_playbook.html", context)


def _counts_of(playbook) -> dict:
    return selectors.open_cases_matching(draft=matching.rule_of(playbook.current_version))


@require_GET
@role_required(Role.MANAGER)
def playbook_match_count(request):
    """The live count (htmx fragment): the form's rule as it stands, at its place in the order."""
    playbook = selectors.playbook_or_none(id_or_none(request.GET.get("playbook")))
    form = forms.PlaybookForm(request.GET, playbook=playbook, prefix="pb")
    form.is_valid()  # the count reads what is valid; an unfinished field counts as empty
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    line = data.get("line") if playbook is None else playbook.line
    draft = matching.Rule(
        version_id=0,
        playbook_id=playbook.pk if playbook else None,
        line_id=line.pk if line else None,
        is_default=playbook.is_default if playbook else False,
        position=data.get("position", playbook.position if playbook else 100),
        segments=frozenset(data.get("segments") or ()),
        regions=frozenset(data.get("regions") or ()),
        channels=frozenset(data.get("channels") or ()),
        lifecycle_stages=frozenset(data.get("lifecycle_stages") or ()),
        churn_risk_min=data.get("churn_risk_min"),
        churn_risk_max=data.get("churn_risk_max"),
        premium_min=data.get("premium_min"),
        premium_max=data.get("premium_max"),
        assignment_skill="",
    )
    return render(request, "renewals/_playbook_count.html", {"counts": selectors.open_cases_matching(draft=draft)})


@require_POST
@role_required(Role.MANAGER)
def playbook_reapply(request, playbook_id: int):
    try:
        moved = services.playbook_reapply_start(actor=request.user, playbook_id=playbook_id)
        messages.success(request, services.reapply_message(moved))
    except ApplicationError as exc:
        if exc.status == 404:
            return refuse(request, exc.message, status=404, back="/settings/playbooks/")
        messages.error(request, exc.message)
    return redirect("renewals:settings-playbooks")


@require_POST
@role_required(Role.MANAGER)
def playbook_retire(request, playbook_id: int):
    try:
        services.playbook_retire(actor=request.user, playbook_id=playbook_id)
        messages.success(request, _("Playbook retired."))
    except ApplicationError as exc:
        if exc.status == 404:
            return refuse(request, exc.message, status=404, back="/settings/playbooks/")
        messages.error(request, exc.message)
    return redirect("renewals:settings-playbooks")
