"""Signed customer links: purpose-salted, expiring, carrying ids only (no personal data)."""

import functools
import re

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix, get_urlconf, reverse

from notifications import conf

OFFER_SALT = "notifications.offer"
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
UNSUBSCRIBE_CHANNELS = ("email", "sms")
# A campaign message's link stops marketing only (renewal reminders and the notice still come).
MARKETING = "marketing"
UNSUBSCRIBE_TOPICS = (*UNSUBSCRIBE_CHANNELS, MARKETING)
# The statutory notice's PDF, linked from the notice SMS (the e-mail carries the PDF itself).
NOTICE_DOCUMENT_SALT = "notifications.notice_document"


class LinkError(Exception):
    """The token is expired, tampered with or for another purpose."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def _absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


# A signed token (base64url, ":" and ".") holds only characters reverse() leaves as they are, so the
# path of a token is the path reversed once with a placeholder, the placeholder replaced by the
# token: byte-identical, without resolving the URL name for each message of a dispatch run.
_PLACEHOLDER = "TOKENPLACEHOLDER"
_KEPT_AS_IS = re.compile(r"[A-Za-z0-9_.:~-]+")


@functools.lru_cache(maxsize=32)
def _path_around(name: str, script_prefix: str, urlconf, root_urlconf: str) -> tuple[str, str]:
    before, found, after = reverse(name, args=[_PLACEHOLDER], urlconf=urlconf).partition(_PLACEHOLDER)
    if not found or _PLACEHOLDER in after:
        raise ImproperlyConfigured(f"The URL {name!r} must take the token once, as its only argument.")
    return before, after


def _token_path(name: str, token: str) -> str:
    """``reverse(name, args=[token])``, the URL name resolved once per process (and URL conf)."""
    if not _KEPT_AS_IS.fullmatch(token):
        return reverse(name, args=[token])
    before, after = _path_around(name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    return before + token + after


def offer_token(case_id: int) -> str:
    return signing.dumps({"c": case_id}, salt=OFFER_SALT, compress=True)


def unsubscribe_token(customer_id: int, channel: str) -> str:
    return signing.dumps({"u": customer_id, "ch": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def offer_url(case) -> str:
    case_id = case if isinstance(case, int) else case.pk
    return _absolute(_token_path("notifications:offer", offer_token(case_id)))


def unsubscribe_url(customer, channel: str) -> str:
    customer_id = customer if isinstance(customer, int) else customer.pk
    return _absolute(_token_path("notifications:unsubscribe", unsubscribe_token(customer_id, channel)))


def _load(token: str, salt: str, max_age_days: int) -> dict:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age_days * 86400)
    except signing.SignatureExpired as exc:
        raise LinkError("expired") from exc
    except signing.BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict):
        raise LinkError("invalid")
    return data


def read_offer_token(token: str) -> int:
    data = _load(token, OFFER_SALT, conf.offer_link_max_age_days())
    case_id = data.get("c")
    if not isinstance(case_id, int):
        raise LinkError("invalid")
    return case_id


def notice_document_url(case) -> str:
    case_id = case if isinstance(case, int) else case.pk
    token = signing.dumps({"n": case_id}, salt=NOTICE_DOCUMENT_SALT, compress=True)
    return _absolute(_token_path("notifications:notice_document", token))


def read_notice_document_token(token: str) -> int:
    data = _load(token, NOTICE_DOCUMENT_SALT, conf.offer_link_max_age_days())
    case_id = data.get("n")
    if not isinstance(case_id, int):
        raise LinkError("invalid")
    return case_id


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    data = _load(token, UNSUBSCRIBE_SALT, conf.unsubscribe_link_max_age_days())
    customer_id, channel = data.get("u"), data.get("ch")
    if not isinstance(customer_id, int) or channel not in UNSUBSCRIBE_TOPICS:
        raise LinkError("invalid")
    return customer_id, channel


def survey_link(invitation_id: int) -> str:
    """The survey page link of an invitation, signed now (customers own the survey token)."""
    from customers.links import survey_url
    from customers.models import SurveyInvitation

    return survey_url(SurveyInvitation(pk=invitation_id))
