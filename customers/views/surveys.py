"""NPS pages: follow-ups (call-backs), answers given by phone, invitations, the public survey page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.ratelimit import public_link_limited
from core.roles import Role, has_role, role_required
from customers import links, selectors, services, survey_questions
from customers.errors import CustomersErrorCode
from customers.forms import (
    AssignForm,
    FollowUpDoneForm,
    PhoneAnswerForm,
    SurveyAnswerForm,
    staff_choices,
)
from customers.models import SurveyFollowUp
from customers.views._common import _customer_or_none
from customers.workflow import COMPLAINT_EDITORS

# The assignee picker of each call-back posts ``assign-assignee`` (AssignForm with this prefix).
FOLLOW_UP_ASSIGN_PREFIX = "assign"

# --- surveys and follow-ups (support) ----------------------------------------------------


@require_GET
@role_required(*COMPLAINT_EDITORS)
def follow_up_list(request):
    status = request.GET.get("status", SurveyFollowUp.Status.OPEN)
    items = selectors.follow_ups(status=status)
    return render(
        request,
        "customers/follow_ups.html",
        {
            "follow_ups": items,
            "status": status,
            "done_form": FollowUpDoneForm(),
            # One list for every row's assignee picker (one query, however many call-backs).
            "staff": list(staff_choices()) if status == SurveyFollowUp.Status.OPEN else [],
            "assign_field": f"{FOLLOW_UP_ASSIGN_PREFIX}-assignee",
        },
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
        messages.error(request, _field_errors(form))
    return redirect("customers:follow-ups")


@require_POST
@role_required(*COMPLAINT_EDITORS)
def follow_up_assign(request, pk: int):
    """The assignee picker on each open call-back of /complaints/follow-ups/."""
    get_object_or_404(SurveyFollowUp.objects.only("pk"), pk=pk)
    form = AssignForm(request.POST, prefix=FOLLOW_UP_ASSIGN_PREFIX)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            services.survey_follow_up_assign(
                follow_up_id=pk, assignee_id=assignee.pk if assignee else None, actor=request.user
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Assignee changed."))
    else:
        messages.error(request, _field_errors(form))
    return redirect("customers:follow-ups")


def _field_errors(form) -> str:
    """A refused form's errors as one message, each after its field's label."""
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
        for name, errors in form.errors.items()
    )


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
    status = 400 if request.method == "POST" else 200  # here after a POST only when it was refused
    return render(request, "customers/survey_record.html", {"form": form, "customer": customer}, status=status)


@require_GET
@role_required(*COMPLAINT_EDITORS)
def survey_list(request):
    return render(
        request,
        "customers/surveys.html",
        {"invitations": selectors.survey_invitations_recent(), "can_see_links": has_role(request.user, Role.MANAGER)},
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
        return _survey_problem(request, _("Please wait a moment"), _("Too many requests. Try again later."), 429)
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
    extra = survey_questions.questions_for(invitation)
    extra_scores, extra_errors = _extra_scores(request.POST, extra) if request.method == "POST" else ({}, [])
    context = {"form": form, "scores": range(11), "extra_questions": _extra_rows(request.POST, extra, extra_errors)}
    if request.method == "POST" and form.is_valid() and not extra_errors:
        try:
            services.survey_answer_by_link(
                invitation_id=invitation.pk,
                customer_id=invitation.customer_id,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                extra=[(provider, question.key, extra_scores.get(question.key)) for provider, question in extra],
            )
        except ApplicationError as error:
            if error.code != CustomersErrorCode.ALREADY_ANSWERED:
                form.add_error(None, error.message)
                return render(request, "customers/survey.html", context, status=400)
        return redirect("customers:survey", token=token)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/survey.html", context, status=status)


def _extra_scores(data, extra) -> tuple[dict[str, int], list[str]]:
    """The optional extra questions' scores (0-10, or unanswered); keys of the malformed ones."""
    scores, errors = {}, []
    for _provider, question in extra:
        raw = (data.get(f"extra-{question.key}") or "").strip()
        if not raw:
            continue
        if raw.isdigit() and 0 <= int(raw) <= 10:
            scores[question.key] = int(raw)
        else:
            errors.append(question.key)
    return scores, errors


def _extra_rows(data, extra, errors) -> list[dict]:
    return [
        {"key": q.key, "label": q.label, "value": data.get(f"extra-{q.key}", ""), "error": q.key in errors}
        for _provider, q in extra
    ]
