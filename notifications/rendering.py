"""Render message templates in a sandbox, and the outbox's messages with them (pure reads).

Managers write the templates, so they run in their own Engine: no template loaders (no
{% include %} / {% extends %}), no tag libraries to {% load %}, autoescape off (plain text
messages), and a context of plain strings only, so no model method or attribute can be reached.
Only the tags and filters a reminder needs are built in (ALLOWED_TAGS, ALLOWED_FILTERS): no loops,
no {% debug %} or {% lorem %}, no padding filters, so a render costs what its text is long; and a
rendered message is capped at MAX_RENDERED_LENGTH characters.
"""

import contextlib
import contextvars
import functools
import hashlib
from decimal import Decimal

from django.conf import settings
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import Lexer, TokenType, filter_re
from django.utils import formats, translation
from django.utils.text import smart_split
from django.utils.translation import gettext as _

from notifications.links import MARKETING, offer_url, unsubscribe_url
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
# What a campaign message's text has (campaign_message_render): no case, so no policy, expiry or link.
CAMPAIGN_VARIABLES = ("customer_name", "unsubscribe_link")
MAX_TEMPLATE_LENGTH = 5000
MAX_RENDERED_LENGTH = 20_000
# A sample render slower than this is refused on save (with only the allowed tags it never is).
MAX_RENDER_SECONDS = 0.5
# Conditions and comments; the variables are plain strings, so nothing needs a loop.
ALLOWED_TAGS = ("if", "elif", "else", "endif", "comment", "endcomment")
ALLOWED_FILTERS = ("default", "upper", "lower", "title", "capfirst", "truncatechars", "truncatewords")

_SANDBOX = Library()
_SANDBOX.tags.update({"if": defaulttags.do_if, "comment": defaulttags.comment})
_SANDBOX.filters.update({name: defaultfilters.register.filters[name] for name in ALLOWED_FILTERS})
_ENGINE = Engine(loaders=[], libraries={}, autoescape=False, debug=False, string_if_invalid="")
# Instead of Django's built-in tags and filters (Engine always adds them), only the sandbox's.
_ENGINE.template_builtins = [_SANDBOX]


class TemplateRenderError(Exception):
    pass


def render_text(source: str, context: dict[str, str], variables: tuple[str, ...] = CONTEXT_VARIABLES) -> str:
    """Render ``source`` with ``context`` (strings only, the names in ``variables``: documents pass
    theirs); raises TemplateRenderError, whose message (in the active language) says what is not allowed."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise TemplateRenderError(
            _("The template is longer than %(limit)s characters.") % {"limit": MAX_TEMPLATE_LENGTH}
        )
    if not _inside_sandbox(source):
        _refuse_outside_sandbox(source)  # raises, saying why in the active language
    safe = {key: str(context.get(key, "")) for key in variables}
    try:
        template = _compile(source)
        rendered = template.render(Context(safe, autoescape=False)).strip()
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(str(exc)) from exc
    except Exception as exc:  # any failure of a manager's template is a refusal, never a crash
        raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from exc
    if len(rendered) > MAX_RENDERED_LENGTH:
        raise TemplateRenderError(
            _("The message would be longer than %(limit)s characters.") % {"limit": MAX_RENDERED_LENGTH}
        )
    return rendered


def _refuse_outside_sandbox(source: str) -> None:
    """Name the first tag or filter the sandbox does not allow (the engine would refuse it too,
    with a message in English that does not say what is allowed)."""
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            command = (token.contents.split() or [""])[0]
            if command not in ALLOWED_TAGS:
                raise TemplateRenderError(
                    _("The tag “%(tag)s” is not allowed in messages.") % {"tag": command}
                    + " "
                    + _("Allowed tags: %(allowed)s.") % {"allowed": "if, elif, else, endif, comment"}
                )
        if token.token_type in (TokenType.BLOCK, TokenType.VAR):
            for match in filter_re.finditer(token.contents):
                name = match.group("filter_name")
                if name and name not in ALLOWED_FILTERS:
                    raise TemplateRenderError(
                        _("The filter “%(filter)s” is not allowed in messages.") % {"filter": name}
                        + " "
                        + _("Allowed filters: %(allowed)s.") % {"allowed": ", ".join(ALLOWED_FILTERS)}
                    )


@functools.lru_cache(maxsize=256)
def _inside_sandbox(source: str) -> bool:
    """Whether ``source`` uses only the allowed tags and filters (by source text: dispatch renders
    the same few texts thousands of times)."""
    try:
        _refuse_outside_sandbox(source)
    except TemplateRenderError:
        return False
    return True


_IF_WORDS = frozenset({"if", "elif", "and", "or", "not", "in", "is", "None", "True", "False"})


def _variables_used(source: str) -> list[str]:
    """The variable names a text reads, in order: in {{ … }} and in {% if/elif … %} conditions
    (literals, operators and filter arguments are not variables)."""
    names = []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.VAR:
            bits = [token.contents]
        elif token.token_type == TokenType.BLOCK and (token.contents.split() or [""])[0] in ("if", "elif"):
            bits = list(smart_split(token.contents))[1:]
        else:
            continue
        for bit in bits:
            match = filter_re.match(bit.strip())
            var = match.group("var") if match else None
            if var and var not in _IF_WORDS and (var[0].isalpha() or var[0] == "_"):
                names.append(var.split(".")[0])
    return names


def refuse_unknown_variables(source: str, variables: tuple[str, ...]) -> None:
    """Raise TemplateRenderError naming the first variable of ``source`` not in ``variables`` (it
    would render empty), with the ones the message has."""
    for name in _variables_used(source):
        if name not in variables:
            raise TemplateRenderError(
                _("This message has no “%(name)s”. It can use: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(variables)}
            )


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


# Higher apps may give a reminder another text without this module importing them (an experiment's
# template arm): each hook gets the message and returns (subject, body) template sources or None.
# Asked for plain reminders only: never for the statutory notice, a survey or a campaign message.
_REMINDER_TEXTS: list = []


def register_reminder_text(hook) -> None:
    if hook not in _REMINDER_TEXTS:
        _REMINDER_TEXTS.append(hook)


def _reminder_text_override(message: OutboundMessage) -> tuple[str, str] | None:
    if message.kind != OutboundMessage.Kind.REMINDER or message.is_notice:
        return None
    for hook in _REMINDER_TEXTS:
        text = hook(message)
        if text is not None:
            return text
    return None


def message_render(*, message: OutboundMessage) -> tuple[str, str]:
    """The message's subject and body in the customer's language (pure read + render)."""
    customer = message.customer
    language = customer.preferred_language or settings.LANGUAGE_CODE
    if message.kind == OutboundMessage.Kind.CAMPAIGN:
        return campaign_message_render(message=message, language=language)
    by_language = _templates_by_language(message)
    template = by_language.get(language) or by_language.get("en") or next(iter(by_language.values()), None)
    if template is None:
        raise TemplateRenderError(f"No template for {message.kind} {message.channel}.")
    context = message_context(message=message, language=template.language)
    if message.is_notice and message.case.stage == NOT_OFFERED:
        return _non_renewal_text(message=message, language=template.language, context=context)
    override = _reminder_text_override(message)
    if override is not None:
        subject, body = override
        return render_text(subject or template.subject, context), render_text(body, context)
    return render_text(template.subject, context), render_text(template.body, context)


NOT_OFFERED = "not_offered"  # renewals.models.Stage.NOT_OFFERED

# A dispatch batch reads each (channel, step) template set once (see templates_read_once).
_TEMPLATE_CACHE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("message_templates", default=None)


@contextlib.contextmanager
def templates_read_once():
    """Within this block message_render reads the templates of each (channel, step) once: a
    dispatch batch renders the same few templates for hundreds of rows. A manager's edit is seen by
    the next block (dispatch opens one per claimed batch, a few seconds long)."""
    token = _TEMPLATE_CACHE.set({})
    try:
        yield
    finally:
        _TEMPLATE_CACHE.reset(token)


def _templates_by_language(message: OutboundMessage) -> dict[str, MessageTemplate]:
    survey = message.kind == OutboundMessage.Kind.SURVEY
    key = (message.channel, survey, None if survey else message.step_id)
    cache = _TEMPLATE_CACHE.get()
    if cache is not None and key in cache:
        return cache[key]
    templates = MessageTemplate.objects.filter(channel=message.channel)
    if survey:
        templates = templates.filter(kind=MessageTemplate.Kind.SURVEY, step__isnull=True)
    else:
        templates = templates.filter(step_id=message.step_id)
    by_language = {template.language: template for template in templates}
    if cache is not None:
        cache[key] = by_language
    return by_language


def _non_renewal_text(*, message: OutboundMessage, language: str, context: dict[str, str]) -> tuple[str, str]:
    """The statutory non-renewal notice (the insurer declines to renew): a fixed, translated text."""
    with translation.override(language):
        subject = _("Your %(line)s policy %(policy)s will not be renewed") % {
            "line": context["line"],
            "policy": context["policy_number"],
        }
        body = _(
            "Dear %(name)s, we are sorry to tell you that your insurer will not renew your %(line)s policy "
            "%(policy)s. It ends on %(expiry)s. Please arrange other cover before that date."
        ) % {
            "name": context["customer_name"],
            "line": context["line"],
            "policy": context["policy_number"],
            "expiry": context["expiry_date"],
        }
    return subject, body


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


def campaign_message_render(*, message: OutboundMessage, language: str) -> tuple[str, str]:
    """A campaign message: the campaign's own text (copied into the row when it was handed over),
    rendered in the same sandbox with the customer's name and unsubscribe link (added at the end unless
    the rendered text shows it); an e-mail without a subject gets the default one, in the customer's language."""
    context = {
        "customer_name": message.customer.name,
        # A campaign's link stops marketing, not the channel (renewal reminders still come).
        "unsubscribe_link": unsubscribe_url(message.customer_id, MARKETING),
    }
    subject = message.subject
    body = render_text(message.body, context, CAMPAIGN_VARIABLES)
    with translation.override(language):
        if not subject and message.channel == "email":
            subject = _("A message from your insurer")
        if context["unsubscribe_link"] not in body:
            # A marketing message always says how to stop them: unless the text as rendered shows
            # the link itself (a comment or an empty condition naming it does not).
            body += "\n\n" + _("No more offers: %(link)s") % {"link": context["unsubscribe_link"]}
    return render_text(subject, context, CAMPAIGN_VARIABLES), body
