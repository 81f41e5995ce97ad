"""Which channel a statutory notice uses (reads only).

Each line has an ordered list of notice channels (``NoticeChannel``; seeded email, SMS, letter). The
notice goes by the first one the customer can receive: an electronic channel needs the customer's
consent for that channel and an address; a printed letter is always possible (a person posts it to
the address in the policy file and records the posting). A marketing opt-out is never consulted: the
notice is a legal duty, not marketing. Dispatch, "send now" and the watchlist all ask this module.
"""

from customers.models import Customer
from notifications.defaults import DEFAULT_NOTICE_CHANNELS
from notifications.models import CUSTOMER_CHANNEL_COLUMNS, NOTICE_CHANNELS, Channel, NoticeChannel


def lines_notice_channels(line_ids) -> dict[int, list[str]]:
    """{line id: its notice channels in order} (one query); a line without a list gets the default."""
    found: dict[int, list[str]] = {}
    for line_id, channel in (
        NoticeChannel.objects.filter(line_id__in=list(line_ids))
        .order_by("line_id", "position")
        .values_list("line_id", "channel")
    ):
        found.setdefault(line_id, []).append(channel)
    return {line_id: found.get(line_id, list(DEFAULT_NOTICE_CHANNELS)) for line_id in line_ids}


def line_notice_channels(line_id: int) -> list[str]:
    return lines_notice_channels([line_id])[line_id]


def channel_address(customer: Customer, channel: str) -> str:
    """The customer's address on an electronic channel ("" when unknown)."""
    _consent, address_field = CUSTOMER_CHANNEL_COLUMNS[channel]
    return getattr(customer, address_field) or ""


def can_receive(customer: Customer, channel: str) -> bool:
    if channel == Channel.LETTER:
        return True
    consent_field, _address = CUSTOMER_CHANNEL_COLUMNS[channel]
    return bool(getattr(customer, consent_field)) and bool(channel_address(customer, channel))


def notice_channel_for(customer: Customer, channels: list[str]) -> str | None:
    """The first of ``channels`` the customer can receive; None when none (a list without a letter)."""
    return next((channel for channel in channels if can_receive(customer, channel)), None)


def rule_channels(line_channels: list[str], rule) -> list[str]:
    """The line's notice channels (in its order) that ``rule`` accepts as proof; all of them when no
    rule applies; the rule's own channels when the line lists none of them."""
    if rule is None or not rule.proof_channels:
        return line_channels
    accepted = [channel for channel in line_channels if channel in rule.proof_channels]
    return accepted or [channel for channel in NOTICE_CHANNELS if channel in rule.proof_channels]
