"""Signed survey links: purpose-salted, expiring, carrying only the invitation id."""

from django.conf import settings
from django.core import signing

SURVEY_SALT = "customers.survey-link"
# A survey link stays valid this long after it was made (when the invitation message is built).
SURVEY_LINK_MAX_AGE_DAYS = settings.SURVEY_LINK_MAX_AGE_DAYS


def survey_token(invitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=SURVEY_SALT, compress=True)


def survey_url(invitation) -> str:
    """Absolute URL of the invitation's survey page (settings.PUBLIC_BASE_URL + signed token)."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/surveys/{survey_token(invitation)}/"


def survey_invitation_id(token: str, *, max_age_days: int | None = None) -> int:
    """The invitation id in ``token``; raises signing.SignatureExpired / BadSignature."""
    days = SURVEY_LINK_MAX_AGE_DAYS if max_age_days is None else max_age_days
    data = signing.loads(token, salt=SURVEY_SALT, max_age=days * 86400)
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise signing.BadSignature("malformed survey token")
    return data["i"]
