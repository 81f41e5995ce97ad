"""Error codes the renewals app raises (``ApplicationError(code=...)``).

The shared ones (``invalid``, ``required``, ``not_found``, ``out_of_range``, ``forbidden``,
``conflict``) are ``core.errors.ErrorCode``, the policy import's are ``renewals.imports.errors.ImportErrorCode``;
callers match on the enum member, never on a literal.
"""

from django.db import models


class RenewalsErrorCode(models.TextChoices):
    # The case workflow
    ALREADY_CLOSED = "already_closed"
    ALREADY_OPEN = "already_open"
    CANNOT_REOPEN = "cannot_reopen"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_KIND = "invalid_kind"
    INVALID_REASON = "invalid_reason"
    INVALID_TARGET = "invalid_target"
    ALREADY_RESOLVED = "already_resolved"
    # Quotes and approvals
    NO_QUOTE = "no_quote"
    QUOTE_NOT_APPROVED = "quote_not_approved"
    BELOW_QUOTE = "below_quote"
    NOT_QUOTED = "not_quoted"
    NOT_PENDING = "not_pending"
    SUPERSEDED = "superseded"
    # Assignment and settings
    NOT_SPECIALIST = "not_specialist"
    NO_SPECIALIST = "no_specialist"
    UNKNOWN_FIELD = "unknown_field"
    # Playbooks
    PLAYBOOK_RETIRED = "playbook_retired"
    PLAYBOOK_DEFAULT = "playbook_default"
