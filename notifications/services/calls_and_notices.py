"""The schedule's manual side: a specialist's reminder call done, a manager's "send the notice now"."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from core.roles import Role, has_role
from notifications.errors import NotificationsErrorCode
from notifications.models import Channel, OutboundMessage, ReminderStep
from notifications.services._shared import CUSTOMER_CHANNEL_COLUMNS, record_case_event
from renewals.models import OPEN_STAGES, RenewalCase

MessageStatus = OutboundMessage.Status


@transaction.atomic
def call_task_complete(*, message_id: int, actor, now: dt.datetime | None = None) -> OutboundMessage:
    """The assignee (or a manager) did the reminder call: the to-do is done (at ``now``)."""
    message = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("case", "step")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.channel != Channel.CALL:
        raise ApplicationError(_("Call task not found."), code=ErrorCode.NOT_FOUND, status=404)
    if message.case.assignee_id != actor.pk and not has_role(actor, Role.MANAGER):
        raise ApplicationError(_("This call task belongs to another specialist."), code=ErrorCode.FORBIDDEN, status=403)
    if message.status != MessageStatus.SCHEDULED:
        raise ApplicationError(
            _("This call task is already done."), code=NotificationsErrorCode.ALREADY_DONE, status=409
        )
    now = now or timezone.now()
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.done_by = actor
    message.updated_at = now
    message.save()
    record_case_event(
        case_id=message.case_id,
        actor=actor,
        payload={"message_id": message.pk, "channel": "call", "step": message.step.label, "status": "done"},
        at=now,
    )
    return message


@transaction.atomic
def notice_send_now(*, case_id: int, actor) -> OutboundMessage:
    """Make the case's statutory notice due now (planning it if it is not planned yet); the
    caller enqueues ``notifications.tasks.send_message`` after commit."""
    case = RenewalCase.objects.select_for_update().select_related("customer").get(pk=case_id)
    if case.stage not in OPEN_STAGES:
        raise ApplicationError(_("The case is closed."), code=NotificationsErrorCode.ALREADY_CLOSED)
    step = ReminderStep.objects.filter(line_id=case.line_id, is_notice=True).first()
    if step is None:
        raise ApplicationError(_("This line has no notice step."), code=NotificationsErrorCode.NO_NOTICE_STEP)
    now = timezone.now()
    customer = case.customer
    consent, address_field = CUSTOMER_CHANNEL_COLUMNS[step.channel]
    address = getattr(customer, address_field) or ""
    message, _created = OutboundMessage.objects.get_or_create(
        case=case,
        step=step,
        channel=step.channel,
        defaults={
            "customer_id": customer.pk,
            "line_id": case.line_id,
            "is_notice": True,
            "due_date": case.due_date + dt.timedelta(days=step.offset_days),
            "scheduled_for": now,
            "next_attempt_at": now,
            "address": address,
        },
    )
    if message.status == MessageStatus.SENT:
        raise ApplicationError(_("The notice was already sent."), code=NotificationsErrorCode.ALREADY_SENT, status=409)
    if not getattr(customer, consent):
        raise ApplicationError(_("The customer opted out of this channel."), code=NotificationsErrorCode.OPTED_OUT)
    if not address:
        raise ApplicationError(
            _("The customer has no address for this channel."), code=NotificationsErrorCode.NO_ADDRESS
        )
    # A failed notice gets a fresh set of attempts: the manager asked for it explicitly.
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SCHEDULED,
        skip_reason="",
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        updated_at=now,
    )
    message.refresh_from_db()
    return message
