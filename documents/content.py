"""What each document says: its blocks, built from the case in the customer's language.

The "what changed and why" figures come from the quote's itemised breakdown (renewals.pricing):
each step's running amount minus the one before it is that factor's share of the change, as a
per cent of the expiring premium, so the shares add up to the whole change (to rounding).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.templatetags.money import format_money
from documents import hooks, pdf
from documents.models import ACCEPTANCE_STATEMENT, AcceptanceChannel, DocumentKind
from renewals.pricing import STEP_LABELS

HUNDRED = Decimal("100")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class FactorShare:
    code: str
    amount: Decimal  # the change this factor made, in money
    percent: Decimal  # that change as a per cent of the expiring premium, one decimal


@dataclass(frozen=True)
class PremiumChange:
    expiring: Decimal
    new: Decimal
    amount: Decimal
    percent: Decimal
    shares: list[FactorShare]


def premium_change(*, expiring: Decimal, new: Decimal, breakdown: list[dict]) -> PremiumChange | None:
    """The change from ``expiring`` to ``new`` and each factor's share of it (steps whose
    amount did not move are left out); None when the premium did not change."""
    if expiring == new:
        return None
    shares = []
    addons = Decimal("0")
    previous = None
    for step in breakdown or []:
        try:
            amount = Decimal(str(step.get("amount")))
        except (InvalidOperation, TypeError):
            continue
        if previous is not None and amount != previous:
            delta = amount - previous
            if step.get("code") == "addon":
                addons += delta  # the add-ons chosen are one share of the change, not one each
            else:
                shares.append(FactorShare(str(step.get("code", "")), delta, _percent(delta, expiring)))
        previous = amount
    if addons:
        shares.append(FactorShare("addons", addons, _percent(addons, expiring)))
    return PremiumChange(expiring, new, new - expiring, _percent(new - expiring, expiring), shares)


def _percent(delta: Decimal, base: Decimal) -> Decimal:
    if not base:
        return Decimal("0.0")
    return (delta * HUNDRED / base).quantize(TENTH, rounding=ROUND_HALF_UP)


def signed_percent(value: Decimal) -> str:
    """+8.0 % / −3.0 % (a true minus sign, as printed)."""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value)} %"


SHARE_WORDS = {
    "base_rate": lambda: _("the line's base rate"),
    "claims": lambda: _("claims in the last term"),
    "loyalty": lambda: _("loyalty"),
    "discount": lambda: _("your specialist's discount"),
    "addons": lambda: _("the add-ons you chose"),
}


def share_words(share: FactorShare) -> str:
    """A factor's share in words: "claims in the last term +8.0 %"."""
    label = SHARE_WORDS.get(share.code, lambda: share.code)()
    return f"{label} {signed_percent(share.percent)}"


def build(*, kind: str, case, language: str, text: str, issued_at: dt.datetime, acceptance=None) -> pdf.Document:
    """The document of ``kind`` for ``case`` in ``language``, with the manager's ``text``
    (already rendered); ``acceptance`` is the confirmation's acceptance record, if any."""
    with translation.override(language):
        builder = {DocumentKind.OFFER: _offer, DocumentKind.NOTICE: _notice, DocumentKind.CONFIRMATION: _confirmation}
        return builder[kind](case=case, language=language, text=text, issued_at=issued_at, acceptance=acceptance)


def template_context(*, case, language: str, issued_at: dt.datetime) -> dict[str, str]:
    """The values a manager's text may use (documents.hooks.DOCUMENT_VARIABLES)."""
    with translation.override(language):
        quote = case.current_quote
        successor = case.successor_policy
        return {
            "customer_name": case.customer.name,
            "policy_number": mask_number(case.policy.number),
            "line": case.line.name_in(language),
            "expiry_date": _date(case.due_date),
            "quoted_premium": format_money(quote.premium, currency=True) if quote else "",
            "renewal_link": hooks.offer_link(case.pk),
            "deadline": _date(case.due_date),
            "notice_date": _date(issued_at.date()),
            "specialist_name": _specialist(case),
            "new_policy_number": successor.number if successor else "",
            "term_start": _date(successor.start_date) if successor else "",
            "term_end": _date(successor.end_date) if successor else "",
        }


def mask_number(number: str) -> str:
    """Only the last four characters of the expiring policy's number: P000012345 -> ******2345."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def _date(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _specialist(case) -> str:
    if case.assignee is None:
        return _("your renewal team")
    return case.assignee.get_full_name() or case.assignee.get_username()


def _money(value) -> str:
    return format_money(value, currency=True)


def _footer(case, kind_label: str, issued_at: dt.datetime) -> str:
    issued = date_format(issued_at.astimezone(), "DATETIME_FORMAT")
    return _("%(kind)s · case %(case)s · issued %(issued)s") % {"kind": kind_label, "case": case.pk, "issued": issued}


def _policy_facts(case) -> list[tuple[str, str]]:
    policy = case.policy
    return [
        (_("Customer"), case.customer.name),
        (_("Line"), case.line.name_in(translation.get_language())),
        (_("Product"), policy.product),
        (_("Policy"), mask_number(policy.number)),
        (_("Current term"), f"{_date(policy.start_date)} – {_date(policy.end_date)}"),
        (_("Sum insured"), _money(policy.sum_insured)),
    ]


def _proposed_term(case) -> tuple[dt.date, dt.date]:
    """The term a renewal would have (as renewals' case_mark_renewed makes the successor policy)."""
    start = case.policy.end_date + dt.timedelta(days=1)
    return start, start + relativedelta(months=case.line.term_months) - dt.timedelta(days=1)


def _breakdown_table(quote) -> pdf.Table:
    rows = []
    for step in quote.breakdown or []:
        code = step.get("code", "")
        factor = step.get("factor", "")
        if code == "addon":
            addon = _addons_by_code().get(step.get("detail", ""))
            label = addon.display_name if addon else step.get("detail", "")
            rows.append([label, "+ " + _money(step.get("price")), _money(step.get("amount"))])
            continue
        label = str(STEP_LABELS.get(code, code))
        if step.get("detail") and code != "expiring":
            label = f"{label} ({step['detail']})"
        rows.append([label, "" if code == "expiring" else str(factor), _money(step.get("amount"))])
    rows.append([_("Renewal premium"), "", _money(quote.premium)])
    return pdf.Table([_("Item"), _("Factor"), _("Amount")], rows, right=(1, 2), total=True)


def _change_blocks(case, quote) -> list:
    change = premium_change(expiring=case.expiring_premium, new=quote.premium, breakdown=quote.breakdown)
    if change is None:
        return []
    direction = _("rises") if change.amount > 0 else _("falls")
    blocks = [
        pdf.Heading(_("What changed and why")),
        pdf.Paragraph(
            _("Your premium %(direction)s from %(old)s to %(new)s: %(amount)s (%(percent)s).")
            % {
                "direction": direction,
                "old": _money(change.expiring),
                "new": _money(change.new),
                "amount": ("+" if change.amount > 0 else "−") + _money(abs(change.amount)),
                "percent": signed_percent(change.percent),
            }
        ),
    ]
    if change.shares:
        blocks.append(pdf.Paragraph(_("Each factor's share of the change:")))
        blocks.append(pdf.Paragraph("\n".join("• " + share_words(share) for share in change.shares)))
    return blocks


def _addons_by_code() -> dict:
    from renewals.models import AddOn

    return {a.code: a for a in AddOn.objects.all()}


def _addon_blocks(case, quote) -> list:
    """The riders and value-added services of the offer, each with what it is and its price (they
    are already lines of the breakdown and in the total); the customer can drop them online."""
    from renewals.models import QuoteAddOn

    lines = list(QuoteAddOn.objects.filter(quote=quote).select_related("addon").order_by("id")) if quote else []
    if not lines:
        return [pdf.Heading(_("Add-ons")), pdf.Paragraph(_("No add-ons are included in this offer."), muted=True)]
    rows = [
        [
            line.addon.display_name,
            line.addon.display_description,
            _money(line.premium) if line.premium else _("free"),
        ]
        for line in lines
    ]
    return [
        pdf.Heading(_("Add-ons")),
        pdf.Table([_("Add-on"), _("What it is"), _("Price")], rows, right=(2,)),
        pdf.Paragraph(_("You can keep or drop each add-on when you confirm online."), muted=True),
    ]


def _offer(*, case, language, text, issued_at, acceptance=None) -> pdf.Document:
    quote = case.current_quote
    title = str(DocumentKind.OFFER.label)
    start, end = _proposed_term(case)
    blocks = [
        pdf.Title(title, _("Issued on %(date)s") % {"date": _date(issued_at.date())}),
        pdf.Paragraph(text),
        pdf.Heading(_("Your policy")),
        pdf.Facts(_policy_facts(case) + [(_("Proposed new term"), f"{_date(start)} – {_date(end)}")]),
        pdf.Heading(_("Your renewal premium")),
    ]
    if quote is not None:
        blocks.append(_breakdown_table(quote))
        blocks += _change_blocks(case, quote)
    else:
        blocks.append(pdf.Paragraph(_("Your renewal premium is being prepared."), muted=True))
    blocks += _addon_blocks(case, quote)
    link = hooks.offer_link(case.pk)
    blocks += [
        pdf.Heading(_("How to renew")),
        pdf.QrCode(link, _("Scan the code or open the link to read and confirm your renewal online.")),
        pdf.Facts(
            [
                (_("Please confirm by"), _date(case.due_date)),
                (_("Your renewal specialist"), _specialist(case)),
                (_("E-mail"), case.assignee.email if case.assignee else ""),
            ]
        ),
    ]
    return pdf.Document(title, language, issued_at, blocks, _footer(case, title, issued_at))


def _notice(*, case, language, text, issued_at, acceptance=None) -> pdf.Document:
    title = str(DocumentKind.NOTICE.label)
    facts = _policy_facts(case) + [
        (_("Expiry date"), _date(case.due_date)),
        (_("Notice date"), _date(issued_at.date())),
        (_("Notice due by"), _date(case.notice_deadline)),
    ]
    kind = hooks.notice_kind(case)
    if kind:
        facts.append((_("This notice"), kind))
    blocks = [
        pdf.Title(title, _("Issued on %(date)s") % {"date": _date(issued_at.date())}),
        pdf.Facts(facts),
        pdf.Heading(_("Notice")),
        pdf.Paragraph(text),
        pdf.Heading(_("Your renewal offer")),
        pdf.QrCode(hooks.offer_link(case.pk), _("Scan the code or open the link to see your renewal offer.")),
    ]
    return pdf.Document(title, language, issued_at, blocks, _footer(case, title, issued_at))


def _successor_addons(policy) -> str:
    from renewals.models import PolicyAddOn

    lines = PolicyAddOn.objects.filter(policy=policy).select_related("addon").order_by("addon__code")
    names = [line.addon.display_name for line in lines]
    separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
    return separator.join(names) or _("none")


def _confirmation(*, case, language, text, issued_at, acceptance=None) -> pdf.Document:
    title = str(DocumentKind.CONFIRMATION.label)
    policy = case.successor_policy
    blocks = [pdf.Title(title, _("Issued on %(date)s") % {"date": _date(issued_at.date())}), pdf.Paragraph(text)]
    if policy is not None:
        blocks += [
            pdf.Heading(_("Schedule")),
            pdf.Facts(
                [
                    (_("Policy"), policy.number),
                    (_("Policyholder"), case.customer.name),
                    (_("Cover"), f"{case.line.name_in(language)} · {policy.product}"),
                    (_("Term"), f"{_date(policy.start_date)} – {_date(policy.end_date)}"),
                    (_("Premium"), _money(policy.premium)),
                    (_("Sum insured"), _money(policy.sum_insured)),
                    (_("Add-ons"), _successor_addons(policy)),
                    (_("Renews policy"), case.policy.number),
                ]
            ),
        ]
    blocks.append(pdf.Heading(_("Acceptance record")))
    if acceptance is None:
        blocks.append(pdf.Paragraph(_("Renewed by your renewal specialist; no acceptance was recorded."), muted=True))
    else:
        with translation.override(language):
            statement = str(ACCEPTANCE_STATEMENT)
        rows = [
            (_("Accepted at"), date_format(acceptance.accepted_at.astimezone(), "DATETIME_FORMAT")),
            (_("Channel"), str(AcceptanceChannel(acceptance.channel).label)),
            (_("Statement"), statement),
            (_("Premium accepted"), _money(acceptance.premium)),
        ]
        if acceptance.offer_version:
            rows.append((_("Offer"), _("version %(version)s") % {"version": acceptance.offer_version}))
            rows.append((_("Offer SHA-256"), acceptance.offer_sha256))
        if acceptance.terms_version:
            rows.append((_("Terms version"), str(acceptance.terms_version)))
        if acceptance.channel != AcceptanceChannel.ONLINE:
            rows.append((_("Confirmed by"), acceptance.confirmed_by))
            recorder = acceptance.recorded_by
            rows.append((_("Recorded by"), recorder.get_full_name() or recorder.get_username()))
        blocks.append(pdf.Facts(rows))
    return pdf.Document(title, language, issued_at, blocks, _footer(case, title, issued_at))
