"""Render message templates in a sandbox, and the outbox's messages with them (pure reads).

Managers write the templates, so they run in their own Engine: no template loaders (no
{% include %} / {% extends %}), no tag libraries to {% load %}, autoescape off (plain text
messages), and a context of plain strings only, so no model method or attribute can be reached.
"""

import functools
import hashlib
from decimal import Decimal

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import formats, translation

from notifications.links import offer_url, unsubscribe_url
from notifications.models import MESSAGE_CHANNELS, MessageTemplate, OutboundMessage

CONTEXT_VARIABLES = (
    "customer_name",
    "policy_number",
    "line",
    "expiry_date",
    "quoted_premium",
    "renewal_link",
    "unsubscribe_link",
    "survey_link",
)
MAX_TEMPLATE_LENGTH = 5000

_ENGINE = Engine(loaders=[], libraries={}, autoescape=False, debug=False, string_if_invalid="")


class TemplateRenderError(Exception):
    pass


def render_text(source: str, context: dict[str, str]) -> str:
    """Render ``source`` with ``context`` (strings only); raises TemplateRenderError."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise TemplateRenderError(f"Template longer than {MAX_TEMPLATE_LENGTH} characters.")
    safe = {key: str(context.get(key, "")) for key in CONTEXT_VARIABLES}
    try:
        template = _compile(source)
        return template.render(Context(safe, autoescape=False)).strip()
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(str(exc)) from exc
    except Exception as exc:  # any failure of a manager's template is a refusal, never a crash
        raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from exc


@functools.lru_cache(maxsize=256)
def _compile(source: str):
    """Compiled templates by source text (dispatch renders the same few texts thousands of times)."""
    return _ENGINE.from_string(source)


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def mask_policy_number(number: str) -> str:
    """Show only the last four characters: P000012345 -> ******2345."""
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


SAMPLE_CONTEXT = {
    "en": {
        "customer_name": "Li Na",
        "policy_number": "******2345",
        "line": "Auto",
        "expiry_date": "31 Dec 2026",
        "quoted_premium": "CNY 3,120.00",
        "renewal_link": "https://renewals.example.com/offer/SAMPLE/",
        "unsubscribe_link": "https://renewals.example.com/unsubscribe/SAMPLE/",
        "survey_link": "https://renewals.example.com/surveys/SAMPLE/",
    },
    "zh-hans": {
        "customer_name": "李娜",
        "policy_number": "******2345",
        "line": "车险",
        "expiry_date": "2026年12月31日",
        "quoted_premium": "CNY 3,120.00",
        "renewal_link": "https://renewals.example.com/offer/SAMPLE/",
        "unsubscribe_link": "https://renewals.example.com/unsubscribe/SAMPLE/",
        "survey_link": "https://renewals.example.com/surveys/SAMPLE/",
    },
}


def money(amount: Decimal) -> str:
    """An amount as shown to customers: the currency and two decimals, e.g. "CNY 3,120.00"."""
    return f"{settings.CURRENCY} {amount.quantize(Decimal('0.01')):,}"


def message_render(*, message: OutboundMessage) -> tuple[str, str]:
    """The message's subject and body in the customer's language (pure read + render)."""
    customer = message.customer
    language = customer.preferred_language or settings.LANGUAGE_CODE
    templates = MessageTemplate.objects.filter(channel=message.channel)
    if message.kind == OutboundMessage.Kind.SURVEY:
        templates = templates.filter(kind=MessageTemplate.Kind.SURVEY, step__isnull=True)
    else:
        templates = templates.filter(step_id=message.step_id)
    by_language = {template.language: template for template in templates}
    template = by_language.get(language) or by_language.get("en") or next(iter(by_language.values()), None)
    if template is None:
        raise TemplateRenderError(f"No template for {message.kind} {message.channel}.")
    context = message_context(message=message, language=template.language)
    return render_text(template.subject, context), render_text(template.body, context)


def message_context(*, message: OutboundMessage, language: str) -> dict[str, str]:
    """The template variables of one message (CONTEXT_VARIABLES), as plain strings."""
    case = message.case
    customer = message.customer
    line = message.line
    with translation.override(language):
        expiry = formats.date_format(case.due_date, "DATE_FORMAT")
    quote = case.current_quote
    premium = ""
    if quote is not None and quote.is_usable:
        premium = money(quote.premium)
    line_name = line.name_in(language)
    return {
        "customer_name": customer.name,
        "policy_number": mask_policy_number(case.policy.number),
        "line": line_name,
        "expiry_date": expiry,
        "quoted_premium": premium,
        "renewal_link": offer_url(case.pk) if message.kind == OutboundMessage.Kind.REMINDER else "",
        "unsubscribe_link": unsubscribe_url(customer.pk, message.channel)
        if message.channel in MESSAGE_CHANNELS
        else "",
        "survey_link": message.link,
    }
