"""The SMS gateway's delivery reports."""

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from notifications.models import Channel, OutboundMessage

# The outbox row id the gateway echoes back as "reference": ASCII digits that fit a bigint.
_REFERENCE_RE = re.compile(r"[0-9]{1,18}")


@transaction.atomic
def delivery_status_record(*, status: str, reference: str = "", provider_id: str = "", error: str = "") -> int:
    """The SMS gateway reported delivered/failed for the message with this reference (our row id,
    sent as "reference") or provider id (the gateway's own "id"); returns the number of rows
    updated (0 for an unknown message). A reference that is not a row id, or a provider id longer
    than any we store, is refused (ApplicationError, 400)."""
    if status not in OutboundMessage.Delivery.values:
        raise ApplicationError(_("Unknown delivery status."), field="status")
    if reference and not _REFERENCE_RE.fullmatch(reference):
        raise ApplicationError(_("The reference must be a message number."), field="reference")
    if len(provider_id) > OutboundMessage._meta.get_field("provider_message_id").max_length:
        raise ApplicationError(_("The message id is too long."), field="id")
    if not (reference or provider_id):
        raise ApplicationError(_("The reference is missing."), field="reference", code=ErrorCode.REQUIRED)
    rows = OutboundMessage.objects.filter(channel=Channel.SMS)
    rows = rows.filter(pk=int(reference)) if reference else rows.filter(provider_message_id=provider_id)
    changes = {"delivery_status": status, "delivery_updated_at": timezone.now()}
    if status == OutboundMessage.Delivery.FAILED and error:
        changes["error"] = error[:2000]
    return rows.update(**changes)
