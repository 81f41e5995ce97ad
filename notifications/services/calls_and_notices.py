"""The schedule's manual side: a specialist's reminder call done, a manager's "send the notice now"
and the printed notice letter a manager records."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from core.roles import Role, has_role
from documents.models import DocumentKind
from documents.selectors import latest_document
from notifications.errors import NotificationsErrorCode
from notifications.models import Channel, NoticeProof, OutboundMessage, ReminderStep
from notifications.notice_channels import channel_address, line_notice_channels, notice_channel_for, rule_channels
from notifications.notice_rules.selectors import case_notice_rule
from notifications.rendering import content_hash
from notifications.services._shared import record_case_event
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
    # A campaign call task has its own assignee (no case); a reminder call is its case's assignee's.
    owner_id = message.assignee_id if message.case_id is None else message.case.assignee_id
    if owner_id != actor.pk and not has_role(actor, Role.MANAGER):
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
    if message.case_id is not None:
        record_case_event(
            case_id=message.case_id,
            actor=actor,
            payload={"message_id": message.pk, "channel": "call", "step": message.step.label, "status": "done"},
            at=now,
        )
    return message


def _case_for_notice(case_id: int) -> RenewalCase:
    """The case, locked (one notice action at a time); 404 when there is none."""
    case = RenewalCase.objects.select_for_update(of=("self",)).select_related("customer", "line").filter(pk=case_id)
    case = case.first()
    if case is None:
        raise ApplicationError(_("Case not found."), code=ErrorCode.NOT_FOUND, status=404)
    return case


def _notice_of(case: RenewalCase, *, now: dt.datetime) -> OutboundMessage | None:
    """The case's notice row, locked; refused when it is sent or a worker is sending it right now."""
    message = OutboundMessage.objects.select_for_update().filter(case=case, is_notice=True).first()
    if (message is not None and message.status == MessageStatus.SENT) or NoticeProof.objects.filter(case=case).exists():
        raise ApplicationError(_("The notice was already sent."), code=NotificationsErrorCode.ALREADY_SENT, status=409)
    if message is not None and message.status == MessageStatus.SENDING and (message.lease_until or now) > now:
        raise ApplicationError(
            _("The notice is being sent right now."), code=NotificationsErrorCode.BEING_SENT, status=409
        )
    return message


def _notice_step(case: RenewalCase) -> ReminderStep:
    step = ReminderStep.objects.filter(line_id=case.line_id, is_notice=True).first()
    if step is None:
        raise ApplicationError(_("This line has no notice step."), code=NotificationsErrorCode.NO_NOTICE_STEP)
    return step


@transaction.atomic
def notice_send_now(*, case_id: int, actor) -> OutboundMessage:
    """Make the case's statutory notice due now (planning it if it is not planned yet), on the first
    of the line's notice channels the customer can receive; the caller enqueues
    ``notifications.tasks.send_message`` after commit. A customer only a printed letter can reach
    is refused with LETTER_NEEDED: a manager posts it and records it (notice_letter_record)."""
    case = _case_for_notice(case_id)
    if case.stage not in OPEN_STAGES:
        raise ApplicationError(_("The case is closed."), code=NotificationsErrorCode.ALREADY_CLOSED)
    step = _notice_step(case)
    now = timezone.now()
    message = _notice_of(case, now=now)
    customer = case.customer
    rule = case_notice_rule(case, region=customer.region)
    channel = notice_channel_for(customer, rule_channels(line_notice_channels(case.line_id), rule))
    if channel is None:
        raise ApplicationError(
            _("The customer can get none of this line's notice channels."), code=NotificationsErrorCode.NO_ADDRESS
        )
    if channel == Channel.LETTER:
        raise ApplicationError(
            _("This customer can only get the notice as a printed letter: post it, then record it here."),
            code=NotificationsErrorCode.LETTER_NEEDED,
        )
    address = channel_address(customer, channel)
    if message is None:
        message = OutboundMessage.objects.create(
            case=case,
            step=step,
            channel=channel,
            customer_id=customer.pk,
            line_id=case.line_id,
            is_notice=True,
            due_date=case.due_date + dt.timedelta(days=step.offset_days),
            scheduled_for=now,
            next_attempt_at=now,
            address=address,
        )
    # A failed notice gets a fresh set of attempts: the manager asked for it explicitly.
    OutboundMessage.objects.filter(pk=message.pk).update(
        channel=channel,
        address=address,
        status=MessageStatus.SCHEDULED,
        skip_reason="",
        defer_reason="",
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        lease_token=None,
        updated_at=now,
    )
    message.refresh_from_db()
    return message


# A posting date this long before expiry cannot be this renewal's notice.
LETTER_EARLIEST_DAYS = 366
NOTE_MAX_LENGTH = 1000


@transaction.atomic
def notice_letter_record(*, case_id: int, posted_on: dt.date, note: str, actor) -> NoticeProof:
    """A manager records the printed letter that gave the case's statutory notice: the notice row
    becomes sent by letter and its immutable proof is written (posting date, note, who recorded it).
    The proof's hash covers what the desk knows of the letter: the case, the posting date and the note."""
    if not has_role(actor, Role.MANAGER):
        raise ApplicationError(_("Only managers record notice letters."), code=ErrorCode.FORBIDDEN, status=403)
    case = _case_for_notice(case_id)
    rule = case_notice_rule(case)
    if rule is not None and Channel.LETTER not in rule.proof_channels:
        raise ApplicationError(
            _("The notice rule for this case does not accept a printed letter as proof."),
            code=NotificationsErrorCode.LETTER_NOT_ACCEPTED,
            status=409,
        )
    today = timezone.localdate()
    if posted_on > today:
        raise ApplicationError(
            _("The posting date cannot be in the future."), field="posted_on", code=ErrorCode.INVALID
        )
    if posted_on < case.due_date - dt.timedelta(days=LETTER_EARLIEST_DAYS):
        raise ApplicationError(
            _("The posting date is too long ago for this renewal."), field="posted_on", code=ErrorCode.INVALID
        )
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            _("The note is too long (at most %(limit)s characters).") % {"limit": NOTE_MAX_LENGTH},
            field="note",
            code=ErrorCode.INVALID,
        )
    step = _notice_step(case)
    now = timezone.now()
    message = _notice_of(case, now=now)
    sent_at = timezone.make_aware(dt.datetime.combine(posted_on, dt.time.min))
    digest = content_hash(Channel.LETTER, str(case.pk), posted_on.isoformat(), note)
    letter = {
        "channel": Channel.LETTER,
        "status": MessageStatus.SENT,
        "sent_at": sent_at,
        "done_by": actor,
        "address": "",
        "subject": "",
        "body": note,
        "content_hash": digest,
        "skip_reason": "",
        "defer_reason": "",
        "error": "",
        "lease_until": None,
        "lease_token": None,
        "updated_at": now,
    }
    if message is None:
        message = OutboundMessage.objects.create(
            case=case,
            step=step,
            customer_id=case.customer_id,
            line_id=case.line_id,
            is_notice=True,
            due_date=case.due_date + dt.timedelta(days=step.offset_days),
            scheduled_for=sent_at,
            next_attempt_at=sent_at,
            **letter,
        )
    else:
        for field, value in letter.items():
            setattr(message, field, value)
        message.save()
    # The letter posted is the case's notice document when one was issued (printed from its PDF).
    document = latest_document(case_id=case.pk, kind=DocumentKind.NOTICE)
    proof = NoticeProof.objects.create(
        case=case,
        message=message,
        sent_at=sent_at,
        channel=Channel.LETTER,
        address="",
        content_hash=digest,
        document_sha256=document.sha256 if document else "",
        deadline=case.notice_deadline,
        recorded_by=actor,
        posted_on=posted_on,
        note=note,
    )
    record_case_event(
        case_id=case.pk,
        actor=actor,
        payload={
            "message_id": message.pk,
            "kind": message.kind,
            "channel": Channel.LETTER,
            "step": step.label,
            "status": MessageStatus.SENT,
            "notice": True,
            "posted_on": posted_on.isoformat(),
        },
        at=now,
    )
    return proof
