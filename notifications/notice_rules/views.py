"""The notice rules settings page (managers): every version by line, a form for a new version and
one to end-date a version. Writes go through notifications.notice_rules.services."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.roles import Role, role_required
from notifications.notice_rules import selectors, services
from notifications.notice_rules.forms import END_PREFIX, RULE_PREFIX, NoticeRuleEndForm, NoticeRuleForm
from notifications.notice_rules.models import NoticeRule


def _page(request, *, form, status=200, end_errors=None):
    today = timezone.localdate()
    rules = selectors.notice_rules_page()
    rows = [
        {
            "rule": rule,
            "summary": selectors.rule_summary(rule),
            "state": "ended"
            if rule.effective_to and rule.effective_to < today
            else ("future" if rule.effective_from > today else "in_force"),
            "end_error": (end_errors or {}).get(rule.pk),
        }
        for rule in rules
    ]
    context = {"rows": rows, "form": form, "end_form": NoticeRuleEndForm(prefix=END_PREFIX)}
    return render(request, "notifications/notice_rules.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def notice_rules(request):
    """GET: the rules and the new-version form; POST (prefix "rule"): add a version."""
    form = NoticeRuleForm(request.POST or None, prefix=RULE_PREFIX, initial={"effective_from": timezone.localdate()})
    if request.method == "POST":
        if form.is_valid():
            try:
                services.notice_rule_create(actor=request.user, **form.service_values())
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Notice rule saved."))
                return redirect("notifications:notice_rules")
        return _page(request, form=form, status=400)
    return _page(request, form=form)


@require_POST
@role_required(Role.MANAGER)
def notice_rule_end(request, rule_id: int):
    """POST (prefix "end"): end-date one version."""
    rule = get_object_or_404(NoticeRule, pk=rule_id)
    form = NoticeRuleEndForm(request.POST, prefix=END_PREFIX)
    error = None
    if form.is_valid():
        try:
            services.notice_rule_end(
                actor=request.user, rule_id=rule.pk, effective_to=form.cleaned_data["effective_to"]
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("Notice rule end-dated."))
            return redirect("notifications:notice_rules")
    else:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return _page(
        request,
        form=NoticeRuleForm(prefix=RULE_PREFIX, initial={"effective_from": timezone.localdate()}),
        status=400,
        end_errors={rule.pk: error},
    )
