"""Managers' reminder settings: the message templates, the steps of each line's schedule and the
order of its notice channels; a new line's default schedule.

Every change is written to the settings audit log (``renewals.models.SettingsChange``, areas
"reminder_step", "notice_channels" and "message_template") with its old and new values.
"""

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from notifications.defaults import DEFAULT_NOTICE_CHANNELS, NEW_LINE_SCHEDULE, NEW_STEP_PURPOSE, SCHEDULE, TEXTS
from notifications.errors import NotificationsErrorCode
from notifications.models import (
    MESSAGE_CHANNELS,
    NOTICE_CHANNELS,
    STEP_CHANNELS,
    MessageTemplate,
    NoticeChannel,
    OutboundMessage,
    ReminderStep,
)
from notifications.notice_rules.services import line_rules_seed
from notifications.rendering import MAX_RENDER_SECONDS, SAMPLE_CONTEXT, TemplateRenderError, render_text
from notifications.selectors import notice_step_problem
from renewals.models import LineOfInsurance, SettingsChange

OFFSET_LIMIT_DAYS = 366
# The sample render's clock (replaced in tests to play a slow template).
_clock = time.monotonic


def _audit(actor, area: str, object_repr: str, changes: dict) -> None:
    """One row of the settings audit log ({field: [old, new]} as strings); nothing when nothing changed."""
    if changes:
        SettingsChange.objects.create(
            actor=actor,
            area=area,
            object_repr=str(object_repr)[:200],
            changes={name: [str(old), str(new)] for name, (old, new) in changes.items()},
        )


# --- templates -------------------------------------------------------------------------------


def _validate_template(subject: str, body: str) -> None:
    """Render with the sample customer in each language: refused when it fails or takes too long."""
    for language_context in SAMPLE_CONTEXT.values():
        for field, source in (("subject", subject), ("body", body)):
            started = _clock()
            try:
                render_text(source, language_context)
            except TemplateRenderError as exc:
                raise ApplicationError(
                    _("The template does not render: %(error)s") % {"error": exc},
                    field=field,
                    code=NotificationsErrorCode.BAD_TEMPLATE,
                ) from exc
            if _clock() - started > MAX_RENDER_SECONDS:
                raise ApplicationError(
                    _("The template takes too long to render; make it simpler."),
                    field=field,
                    code=NotificationsErrorCode.BAD_TEMPLATE,
                )


@transaction.atomic
def message_template_update(*, template_id: int, subject: str, body: str, actor) -> MessageTemplate:
    """Save a template; one that fails to render with the sample context is refused."""
    _validate_template(subject, body)
    if not body.strip():
        raise ApplicationError(_("The body cannot be empty."), field="body", code=ErrorCode.REQUIRED)
    template = MessageTemplate.objects.select_for_update(of=("self",)).select_related("step__line").get(pk=template_id)
    changes = {
        name: (getattr(template, name), value)
        for name, value in (("subject", subject), ("body", body))
        if getattr(template, name) != value
    }
    template.subject = subject
    template.body = body
    template.updated_by = actor
    template.save()
    _audit(actor, "message_template", template, changes)
    return template


def _default_templates(step: ReminderStep, *, purpose: str, channels) -> None:
    """The default texts of ``purpose`` for each of ``channels`` the step lacks, in both languages."""
    for channel in channels:
        for language, (subject, body) in TEXTS[(purpose, channel)].items():
            MessageTemplate.objects.get_or_create(
                step=step,
                channel=channel,
                language=language,
                defaults={"kind": MessageTemplate.Kind.REMINDER, "subject": subject, "body": body},
            )


# --- steps -----------------------------------------------------------------------------------


def _check_offset(offset_days: int) -> None:
    if not -OFFSET_LIMIT_DAYS <= offset_days <= OFFSET_LIMIT_DAYS:
        raise ApplicationError(
            _("The offset must be within a year of expiry."), field="offset_days", code=ErrorCode.INVALID
        )


def _refuse_duplicate(*, line_id: int, offset_days: int, channel: str, step_id: int | None = None) -> None:
    others = ReminderStep.objects.filter(line_id=line_id, offset_days=offset_days, channel=channel)
    if step_id is not None:
        others = others.exclude(pk=step_id)
    if others.filter(removed_at__isnull=True).exists():
        raise ApplicationError(
            _("This line already has that step."), field="offset_days", code=NotificationsErrorCode.DUPLICATE
        )


def _check_notice_offset(offset_days: int, lead_days: int) -> None:
    if offset_days > -lead_days:
        raise ApplicationError(
            _("The notice must go out at least %(days)s days before expiry.") % {"days": lead_days},
            field="offset_days",
            code=NotificationsErrorCode.NOTICE_LEAD_TIME,
        )


@transaction.atomic
def reminder_step_create(*, line_id: int, offset_days: int, channel: str, actor) -> ReminderStep:
    """Add a reminder step (not a notice: each line has exactly one) with the default texts of its
    channel in both languages. The same offset and channel as a removed step brings that one back
    with its texts, so the cases it already reached are not reminded twice."""
    if channel not in STEP_CHANNELS:
        raise ApplicationError(_("Unknown channel."), field="channel", code=ErrorCode.INVALID)
    _check_offset(offset_days)
    line = LineOfInsurance.objects.select_for_update().get(pk=line_id)
    _refuse_duplicate(line_id=line.pk, offset_days=offset_days, channel=channel)
    step = ReminderStep.objects.filter(line=line, offset_days=offset_days, channel=channel).first()
    if step is None:
        step = ReminderStep.objects.create(line=line, offset_days=offset_days, channel=channel)
    else:
        step.removed_at = None
        step.active = True
        step.save(update_fields=["removed_at", "active"])
    _default_templates(step, purpose=NEW_STEP_PURPOSE[channel], channels=[channel])
    _audit(
        actor,
        "reminder_step",
        f"{line.code} {step.label} {channel}",
        {"offset_days": ("", offset_days), "channel": ("", channel)},
    )
    return step


@transaction.atomic
def reminder_step_remove(*, step_id: int, actor) -> ReminderStep:
    """Take a step off its line's schedule. Its history stays (the outbox rows point at it); its
    messages not sent yet are skipped ("step removed"). The notice step cannot be removed."""
    step = ReminderStep.objects.select_for_update().select_related("line").get(pk=step_id)
    if step.is_notice:
        raise ApplicationError(
            _("The statutory notice step cannot be removed."), code=NotificationsErrorCode.NOTICE_STEP_REQUIRED
        )
    if step.removed_at is not None:
        return step
    now = timezone.now()
    step.removed_at = now
    step.active = False
    step.save(update_fields=["removed_at", "active"])
    OutboundMessage.objects.filter(step=step, status=OutboundMessage.Status.SCHEDULED).update(
        status=OutboundMessage.Status.SKIPPED, skip_reason=OutboundMessage.SkipReason.STEP_REMOVED, updated_at=now
    )
    _audit(actor, "reminder_step", f"{step.line.code} {step.label} {step.channel}", {"removed": (False, True)})
    return step


@transaction.atomic
def reminder_step_update(
    *,
    step_id: int,
    offset_days: int,
    active: bool,
    actor,
    channel: str | None = None,
    notice_channels: list[str] | None = None,
) -> ReminderStep:
    """Change a step's timing, switch it on or off, or change its channel; for the notice step, the
    order of the line's notice channels (the notice step cannot be switched off or moved inside the
    line's lead time). A new channel applies to step dates from tomorrow on, so a customer who got
    the step on the old channel is not sent it again, and the step gets that channel's default texts."""
    step = ReminderStep.objects.select_for_update().select_related("line").get(pk=step_id)
    _check_offset(offset_days)
    channel = channel or step.channel
    if step.is_notice:
        _check_notice_offset(offset_days, step.line.notice_lead_days)
        if not active:
            raise ApplicationError(
                _("The statutory notice step cannot be switched off."),
                field="active",
                code=NotificationsErrorCode.NOTICE_STEP_REQUIRED,
            )
        if notice_channels:
            _notice_channels_set(step=step, channels=notice_channels, actor=actor)
            channel = next(c for c in notice_channels + [step.channel] if c in MESSAGE_CHANNELS)
    elif channel not in STEP_CHANNELS:
        raise ApplicationError(_("Unknown channel."), field="channel", code=ErrorCode.INVALID)
    _refuse_duplicate(line_id=step.line_id, offset_days=offset_days, channel=channel, step_id=step.pk)
    changes = {
        name: (getattr(step, name), value)
        for name, value in (("offset_days", offset_days), ("active", active), ("channel", channel))
        if getattr(step, name) != value
    }
    if "channel" in changes and not step.is_notice:
        # (A notice is one row per case whatever its channel: it needs no such guard, and must
        # stay planned until expiry.)
        step.plan_from = timezone.localdate() + dt.timedelta(days=1)
        _default_templates(step, purpose=NEW_STEP_PURPOSE[channel], channels=[channel])
    step.offset_days = offset_days
    step.active = active
    step.channel = channel
    step.save()
    _audit(actor, "reminder_step", f"{step.line.code} {step.label}", changes)
    return step


def _notice_channels_set(*, step: ReminderStep, channels: list[str], actor) -> None:
    """Replace the line's notice channel order (each channel once, at least one)."""
    if not channels or len(set(channels)) != len(channels) or not set(channels) <= set(NOTICE_CHANNELS):
        raise ApplicationError(
            _("List the notice channels in order, each channel once, without gaps."),
            field="notice_channels",
            code=ErrorCode.INVALID,
        )
    line = step.line
    old = list(NoticeChannel.objects.filter(line=line).order_by("position").values_list("channel", flat=True))
    if old == channels:
        return
    NoticeChannel.objects.filter(line=line).delete()
    NoticeChannel.objects.bulk_create(
        NoticeChannel(line=line, position=position, channel=channel) for position, channel in enumerate(channels, 1)
    )
    _default_templates(step, purpose="notice", channels=[c for c in channels if c in MESSAGE_CHANNELS])
    _audit(actor, "notice_channels", line.code, {"channels": (", ".join(old), ", ".join(channels))})


# --- lines -----------------------------------------------------------------------------------


def notice_step_check(*, line_id: int, notice_lead_days: int) -> None:
    """Refuse a lead time the line's notice step does not meet (ApplicationError on
    ``notice_lead_days``). Renewals cannot import this app: it runs through the ``line_saved``
    signal, inside line_save's transaction, so a refusal rolls the line's change back."""
    offset = ReminderStep.objects.filter(line_id=line_id, is_notice=True).values_list("offset_days", flat=True).first()
    if offset is None:
        return  # a line without a notice step gets one from line_schedule_seed
    problem = notice_step_problem(notice_offset_days=offset, notice_lead_days=notice_lead_days)
    if problem:
        raise ApplicationError(problem, field="notice_lead_days", code=NotificationsErrorCode.NOTICE_LEAD_TIME)


@transaction.atomic
def line_schedule_seed(*, line_id: int, actor=None) -> list[ReminderStep]:
    """A new line's schedule: the seeded one for a known code (auto, health, property), else
    NEW_LINE_SCHEDULE with the notice on the lead time's last day and only the reminders after it;
    every step's default texts in both languages; the default notice channel order. Idempotent."""
    line = LineOfInsurance.objects.get(pk=line_id)
    notice_offset = -line.notice_lead_days
    plan = SCHEDULE.get(line.code) or [
        (notice_offset if offset == "notice" else offset, channel, is_notice, purpose)
        for offset, channel, is_notice, purpose in NEW_LINE_SCHEDULE
    ]
    steps = []
    for offset, channel, is_notice, purpose in plan:
        if is_notice:
            offset = min(offset, notice_offset)
        elif offset <= notice_offset:
            continue  # a reminder on or before the notice's day would only yield to it
        step, _created = ReminderStep.objects.get_or_create(
            line=line, offset_days=offset, channel=channel, defaults={"is_notice": is_notice}
        )
        notice_texts = [c for c in DEFAULT_NOTICE_CHANNELS if c in MESSAGE_CHANNELS] if is_notice else [channel]
        _default_templates(step, purpose=purpose, channels=notice_texts)
        steps.append(step)
    if not NoticeChannel.objects.filter(line=line).exists():
        NoticeChannel.objects.bulk_create(
            NoticeChannel(line=line, position=position, channel=channel)
            for position, channel in enumerate(DEFAULT_NOTICE_CHANNELS, 1)
        )
    line_rules_seed(line=line, channels=list(DEFAULT_NOTICE_CHANNELS))
    _audit(actor, "reminder_step", line.code, {"schedule": ("", ", ".join(f"{s.label} {s.channel}" for s in steps))})
    return steps
