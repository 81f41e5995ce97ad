"""Which channel a claimed statutory notice goes by, decided when it is sent (the customer's
details may have changed since planning): the first of its line's notice channels the customer can
receive and the case's notice rule accepts as proof (see notifications.notice_channels and
notifications.notice_rules)."""

import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import MESSAGE_CHANNELS, Channel, OutboundMessage
from notifications.notice_channels import channel_address, line_notice_channels, notice_channel_for, rule_channels
from notifications.notice_rules.selectors import case_notice_rule

MessageStatus = OutboundMessage.Status


LETTER = "letter"


def notice_route(message: OutboundMessage, *, owned: dict) -> str | None:
    """Point a claimed notice (held under ``owned``: message_id and lease_token) at its channel.
    None: go on sending on ``message.channel`` (updated in place); LETTER: it now waits for a
    manager to record a posted letter; else the skip reason when no channel of the list reaches the
    customer (a list without a letter), for the caller to skip the row with."""
    customer = message.customer
    # The channels the notice rule in force for the case accepts as proof, in the line's order.
    rule = case_notice_rule(message.case, region=customer.region)
    channels = rule_channels(line_notice_channels(message.line_id), rule)
    channel = notice_channel_for(customer, channels)
    if channel is None:
        reachable = any(channel_address(customer, c) for c in channels if c in MESSAGE_CHANNELS)
        return OutboundMessage.SkipReason.OPTED_OUT if reachable else OutboundMessage.SkipReason.NO_ADDRESS
    if channel == Channel.LETTER:
        message_await_letter(**owned)
        return LETTER
    if channel != message.channel:
        message_notice_reroute(**owned, channel=channel, address=channel_address(customer, channel))
        message.channel = channel
    return None


@transaction.atomic
def message_notice_reroute(*, message_id: int, lease_token: uuid.UUID, channel: str, address: str) -> int:
    """Move a claimed notice to another of its line's channels (still held under ``lease_token``)."""
    return OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING, lease_token=lease_token).update(
        channel=channel, address=address, updated_at=timezone.now()
    )


@transaction.atomic
def message_await_letter(*, message_id: int, lease_token: uuid.UUID) -> int:
    """A notice only a printed letter can give: it leaves the electronic queue (channel "letter"
    is never claimed) and waits, scheduled, for a manager to record the posting."""
    return OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING, lease_token=lease_token).update(
        status=MessageStatus.SCHEDULED,
        channel=Channel.LETTER,
        address="",
        lease_until=None,
        lease_token=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )
