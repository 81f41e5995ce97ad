"""What a customer does through a signed link: confirm the renewal offer, stop a channel."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from customers.services import customer_consent_set, customer_marketing_opt_out_set
from documents.services import acceptance_record_online
from notifications.errors import NotificationsErrorCode
from notifications.links import MARKETING, UNSUBSCRIBE_CHANNELS
from notifications.models import ConsentChange, OutboundMessage
from renewals.models import RenewalCase, Stage


@transaction.atomic
def customer_consent_withdraw(*, customer_id: int, channel: str) -> bool:
    """The customer stopped a channel through their unsubscribe link: consent off (through the
    customers service), an audit record, and their unsent reminders on that channel skipped.
    Returns False if already off."""
    if channel not in UNSUBSCRIBE_CHANNELS:
        raise ApplicationError(_("Unknown channel."), field="channel", code=ErrorCode.INVALID)
    if not customer_consent_set(customer_id=customer_id, channel=channel, allowed=False):
        return False
    ConsentChange.objects.create(customer_id=customer_id, channel=channel, allowed=False, source="unsubscribe_link")
    # The statutory notice stays: dispatch gives it by the next channel the customer can receive.
    OutboundMessage.objects.filter(
        customer_id=customer_id, channel=channel, status=OutboundMessage.Status.SCHEDULED, is_notice=False
    ).update(
        status=OutboundMessage.Status.SKIPPED,
        skip_reason=OutboundMessage.SkipReason.OPTED_OUT,
        updated_at=timezone.now(),
    )
    return True


@transaction.atomic
def customer_marketing_opt_out(*, customer_id: int) -> bool:
    """The customer stopped marketing through a campaign message's link: the marketing opt-out set
    (through the customers service, which keeps the change), an audit record, and their unsent
    campaign messages skipped. Reminders and the statutory notice are not marketing and still come.
    Returns False if they had opted out already."""
    # One conditional UPDATE (… WHERE marketing_opt_out = false): a double-submitted form waits on
    # the first, finds nothing to change and writes no second audit row.
    if not customer_marketing_opt_out_set(customer_id=customer_id):
        return False
    ConsentChange.objects.create(customer_id=customer_id, channel=MARKETING, allowed=False, source="unsubscribe_link")
    OutboundMessage.objects.filter(
        customer_id=customer_id, kind=OutboundMessage.Kind.CAMPAIGN, status=OutboundMessage.Status.SCHEDULED
    ).update(
        status=OutboundMessage.Status.SKIPPED,
        skip_reason=OutboundMessage.SkipReason.OPTED_OUT,
        updated_at=timezone.now(),
    )
    return True


@transaction.atomic
def offer_addons_choose(*, case_id: int, addon_codes: list[str]):
    """The customer ticked or unticked the offered add-ons: the offer is re-priced (a new quote
    with the same terms; renewals.services.quote_choose_addons). Answers the quote."""
    from renewals.services import quote_choose_addons

    case = RenewalCase.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None or case.stage == Stage.RENEWED:
        raise ApplicationError(_("This renewal is already confirmed."), code=NotificationsErrorCode.ALREADY_CLOSED)
    return quote_choose_addons(case_id=case_id, addon_codes=addon_codes)


@transaction.atomic
def offer_confirm(
    *,
    case_id: int,
    addon_codes: list[str] | None = None,
    link: str = "",
    ip_address: str = "",
    user_agent: str = "",
) -> RenewalCase:
    """The customer confirmed the renewal through the signed offer link, at the approved quote
    (with the offered add-ons in ``addon_codes`` when given, else as offered).

    Exactly once: the case row is locked and a case that is already renewed raises
    ApplicationError(code=ALREADY_CLOSED) here or from renewals.services.case_mark_renewed.
    The acceptance record (the offer document's hash, the link, hashed IP address, user agent) is
    written first, in the same transaction, so the confirmation document can carry it.
    """
    from renewals.services import case_mark_renewed, quote_choose_addons

    case = RenewalCase.objects.select_for_update(of=("self",)).select_related("current_quote").get(pk=case_id)
    if case.stage == Stage.RENEWED:
        raise ApplicationError(_("This renewal is already confirmed."), code=NotificationsErrorCode.ALREADY_CLOSED)
    quote = case.current_quote
    if quote is None or not quote.is_usable:
        raise ApplicationError(_("There is no approved offer to confirm yet."), code=NotificationsErrorCode.NO_OFFER)
    if addon_codes is not None:
        quote = quote_choose_addons(case_id=case_id, addon_codes=addon_codes)
    acceptance_record_online(case_id=case_id, link=link, ip_address=ip_address, user_agent=user_agent)
    return case_mark_renewed(case_id=case_id, actor=None, premium=quote.premium)
