"""What documents get from the app above them: the template sandbox and the signed offer link.

The sandbox is the message templates' one (notifications.rendering.render_text: the same allowed
tags and filters, length and time limits), so there is one sandbox; the offer link is
notifications' signed customer link. notifications sits above documents in the layers, so it
hands both over in NotificationsConfig.ready() through ``provide``.
"""

from collections.abc import Callable

DOCUMENT_VARIABLES = (
    "customer_name",
    "policy_number",
    "line",
    "expiry_date",
    "quoted_premium",
    "renewal_link",
    "deadline",
    "notice_date",
    "specialist_name",
    "new_policy_number",
    "term_start",
    "term_end",
)


class SandboxError(Exception):
    pass


_provided: dict = {}


def provide(*, renderer: Callable, error_class: type[Exception], offer_link: Callable[[int], str]) -> None:
    """``renderer(source, context, variables=...)`` raises ``error_class`` for a refused text;
    ``offer_link(case_id)`` is the customer's signed offer page address."""
    _provided.update(renderer=renderer, error_class=error_class, offer_link=offer_link)


def _get(name: str):
    if name not in _provided:
        raise RuntimeError("documents.hooks not provided: the notifications app must be installed.")
    return _provided[name]


def render_text(source: str, context: dict[str, str]) -> str:
    """Render a manager's text; SandboxError (its message says what is not allowed) if refused."""
    try:
        return _get("renderer")(source, context, variables=DOCUMENT_VARIABLES)
    except _get("error_class") as exc:
        raise SandboxError(str(exc)) from exc


def offer_link(case_id: int) -> str:
    return _get("offer_link")(case_id)


def provide_notice_kind(describe: Callable) -> None:
    """``describe(case) -> str``: what the statutory notice announces under the notice rule in force
    for the case ("" for a plain renewal notice; notifications' notice rules decide it)."""
    _provided["notice_kind"] = describe


def notice_kind(case) -> str:
    describe = _provided.get("notice_kind")
    return describe(case) if describe else ""
