"""NPS surveys: invitations, answers (link or phone), and the detractor follow-ups that close the loop."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from core.roles import has_role
from customers import signals
from customers.errors import CustomersErrorCode
from customers.limits import FOLLOW_UP_OUTCOME_MAX_LENGTH, SURVEY_COMMENT_MAX_LENGTH
from customers.models import SurveyFollowUp, SurveyInvitation, SurveyResponse
from customers.services._common import _customer_has, _now, _require_aware, _require_sane_past, _text
from customers.workflow import COMPLAINT_EDITORS


def survey_invitation_create(*, customer_id: int, case_id: int | None, send_after: datetime) -> SurveyInvitation:
    """Plan an NPS survey for the customer; idempotent per case (a second call returns the first)."""
    _require_aware(send_after, "send_after")
    if case_id is not None:
        existing = SurveyInvitation.objects.filter(case_id=case_id).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return SurveyInvitation.objects.create(customer_id=customer_id, case_id=case_id, send_after=send_after)
    except IntegrityError:
        # Two callers raced on the same case: the unique constraint kept one.
        if case_id is None:
            raise
        return SurveyInvitation.objects.get(case_id=case_id)


@transaction.atomic
def survey_answer_by_link(
    *, invitation_id: int, customer_id: int, score: int, comment: str = "", extra=()
) -> SurveyResponse:
    """The customer's answer through the survey link: the NPS answer and the optional extra
    questions (``extra``: (provider, question key, score or None) from ``customers.survey_questions``)
    in one transaction, so an answer never lands without its extra scores or the other way round."""
    response = survey_response_record(
        customer_id=customer_id,
        score=score,
        comment=comment,
        channel=SurveyResponse.Channel.LINK,
        invitation_id=invitation_id,
    )
    invitation = SurveyInvitation.objects.get(pk=invitation_id)
    by_provider: dict = {}
    for provider, key, value in extra:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise ApplicationError(_("The score is a whole number from 0 to 10."), field=f"extra-{key}")
            by_provider.setdefault(provider, {})[key] = value
    for provider, scores in by_provider.items():
        provider.save(invitation=invitation, response=response, scores=scores)
    return response


@transaction.atomic
def survey_response_record(
    *,
    customer_id: int,
    case_id: int | None = None,
    score: int,
    comment: str = "",
    channel: str,
    responded_at: datetime | None = None,
    actor=None,
    invitation_id: int | None = None,
) -> SurveyResponse:
    """Record an NPS answer (from the survey link, or given by phone and entered by support).

    One answer per invitation: answering an invitation twice raises ``already_answered`` (409).
    A detractor (0-6) opens a follow-up task for support carrying the comment.
    """
    now = _now()
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ApplicationError(_("The score is a whole number from 0 to 10."), field="score")
    if channel not in SurveyResponse.Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    if responded_at:
        responded_at = _require_sane_past(
            responded_at, "responded_at", now=now, future_message=_("The answer cannot be given in the future.")
        )
    else:
        responded_at = now
    comment = _text(comment, field="comment", max_length=SURVEY_COMMENT_MAX_LENGTH)
    if case_id is not None and not _customer_has("renewal_cases", customer_id=customer_id, object_id=case_id):
        raise ApplicationError(_("This case belongs to another customer."), field="case")
    invitation = None
    if invitation_id is not None:
        invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.customer_id != customer_id:
            raise ApplicationError(
                _("This survey invitation does not exist."), field="invitation", code=ErrorCode.NOT_FOUND
            )
    elif case_id is not None:
        invitation = (
            SurveyInvitation.objects.select_for_update().filter(case_id=case_id, customer_id=customer_id).first()
        )
        if invitation is not None and invitation.response_id is not None:
            invitation = None  # already answered through the link: the phone answer is a new response
    if invitation is not None:
        if invitation.response_id is not None:
            raise ApplicationError(
                _("This survey has already been answered."),
                field="score",
                code=CustomersErrorCode.ALREADY_ANSWERED,
                status=409,
            )
        case_id = case_id or invitation.case_id
    response = SurveyResponse.objects.create(
        customer_id=customer_id,
        case_id=case_id,
        score=score,
        comment=comment,
        channel=channel,
        responded_at=responded_at,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    if invitation is not None:
        invitation.response = response
        invitation.answered_at = responded_at
        invitation.save(update_fields=["response", "answered_at"])
    if response.is_detractor:
        SurveyFollowUp.objects.create(response=response, customer_id=customer_id, created_at=now)
    signals.survey_answered.send(sender=SurveyResponse, response=response)
    return response


@transaction.atomic
def survey_follow_up_complete(*, follow_up_id: int, actor, outcome: str) -> SurveyFollowUp:
    """Support called the detractor back: record what came of it; this closes the loop."""
    outcome = _text(
        outcome,
        field="outcome",
        max_length=FOLLOW_UP_OUTCOME_MAX_LENGTH,
        required_message=_("Record the outcome of the call."),
    )
    follow_up = SurveyFollowUp.objects.select_for_update().get(pk=follow_up_id)
    if follow_up.status == SurveyFollowUp.Status.DONE:
        raise ApplicationError(
            _("This follow-up is already done."), field="outcome", code=CustomersErrorCode.ALREADY_DONE, status=409
        )
    follow_up.status = SurveyFollowUp.Status.DONE
    follow_up.outcome = outcome
    follow_up.done_at = _now()
    follow_up.done_by = actor
    follow_up.save()
    return follow_up


@transaction.atomic
def survey_follow_up_assign(*, follow_up_id: int, assignee_id: int | None, actor=None) -> SurveyFollowUp:
    """Give the call-back to a support colleague or manager (None: unassigned); not once it is done."""
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not has_role(assignee, *COMPLAINT_EDITORS):
            raise ApplicationError(_("Call-backs go to support staff or managers."), field="assignee")
    follow_up = SurveyFollowUp.objects.select_for_update().get(pk=follow_up_id)
    if follow_up.status == SurveyFollowUp.Status.DONE:
        raise ApplicationError(
            _("This follow-up is already done."), field="assignee", code=CustomersErrorCode.ALREADY_DONE, status=409
        )
    follow_up.assignee_id = assignee_id
    follow_up.save(update_fields=["assignee"])
    return follow_up
