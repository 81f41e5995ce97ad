"""Error codes of the documents app's own rules (the shared ones are in ``core.errors.ErrorCode``)."""

from django.db import models


class DocumentsErrorCode(models.TextChoices):
    BAD_TEMPLATE = "bad_template"
    CASE_CLOSED = "case_closed"
    FONT_MISSING = "font_missing"
    NO_QUOTE = "no_quote"
    NOT_RENEWED = "not_renewed"
