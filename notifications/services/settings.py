"""Managers' reminder settings: the message templates and the steps of each line's schedule."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from notifications.errors import NotificationsErrorCode
from notifications.models import MessageTemplate, ReminderStep
from notifications.rendering import SAMPLE_CONTEXT, TemplateRenderError, render_text


def _validate_template(subject: str, body: str) -> None:
    for language_context in SAMPLE_CONTEXT.values():
        for field, source in (("subject", subject), ("body", body)):
            try:
                render_text(source, language_context)
            except TemplateRenderError as exc:
                raise ApplicationError(
                    _("The template does not render: %(error)s") % {"error": exc},
                    field=field,
                    code=NotificationsErrorCode.BAD_TEMPLATE,
                ) from exc


@transaction.atomic
def message_template_update(*, template_id: int, subject: str, body: str, actor) -> MessageTemplate:
    """Save a template; one that fails to render with the sample context is refused."""
    _validate_template(subject, body)
    if not body.strip():
        raise ApplicationError(_("The body cannot be empty."), field="body", code=ErrorCode.REQUIRED)
    template = MessageTemplate.objects.select_for_update().get(pk=template_id)
    template.subject = subject
    template.body = body
    template.updated_by = actor
    template.save()
    return template


@transaction.atomic
def reminder_step_update(*, step_id: int, offset_days: int, active: bool, actor) -> ReminderStep:
    """Change a step's timing or switch it off (channel and notice flag stay: their templates and
    the compliance rule depend on them)."""
    step = ReminderStep.objects.select_for_update().select_related("line").get(pk=step_id)
    if not -366 <= offset_days <= 366:
        raise ApplicationError(_("The offset must be within a year of expiry."), field="offset_days")
    if step.is_notice:
        if offset_days > -step.line.notice_lead_days:
            raise ApplicationError(
                _("The notice must go out at least %(days)s days before expiry.")
                % {"days": step.line.notice_lead_days},
                field="offset_days",
            )
        if not active:
            raise ApplicationError(_("The statutory notice step cannot be switched off."), field="active")
    if (
        ReminderStep.objects.filter(line_id=step.line_id, offset_days=offset_days, channel=step.channel)
        .exclude(pk=step.pk)
        .exists()
    ):
        raise ApplicationError(
            _("This line already has that step."), field="offset_days", code=NotificationsErrorCode.DUPLICATE
        )
    step.offset_days = offset_days
    step.active = active
    step.save()
    return step
