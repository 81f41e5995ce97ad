"""Error codes of the notifications app's own rules (the shared ones are in ``core.errors.ErrorCode``).

API clients read the value; views and tests match on the member.
"""

from django.db import models


class NotificationsErrorCode(models.TextChoices):
    # The statutory notice and the offer link
    ALREADY_CLOSED = "already_closed"
    ALREADY_SENT = "already_sent"
    BEING_SENT = "being_sent"
    LETTER_NEEDED = "letter_needed"
    LETTER_NOT_ACCEPTED = "letter_not_accepted"
    NO_NOTICE_STEP = "no_notice_step"
    NO_OFFER = "no_offer"
    # The customer cannot get this message
    NO_ADDRESS = "no_address"
    OPTED_OUT = "opted_out"
    # Call to-dos
    ALREADY_DONE = "already_done"
    # Reminder settings
    BAD_TEMPLATE = "bad_template"
    DUPLICATE = "duplicate"
    NOTICE_LEAD_TIME = "notice_lead_time"
    NOTICE_STEP_REQUIRED = "notice_step_required"
    # Notice rules
    RULE_OVERLAP = "rule_overlap"
    RULE_WINDOW = "rule_window"
    RULE_PAST = "rule_past"
