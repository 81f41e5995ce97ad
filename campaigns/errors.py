"""Error codes of the campaigns app's own rules (the shared ones are in ``core.errors.ErrorCode``)."""

from django.db import models


class CampaignsErrorCode(models.TextChoices):
    NOT_DRAFT = "not_draft"
    NOT_RUNNING = "not_running"
    NO_ARMS = "no_arms"
    LINE_BUSY = "line_busy"
    WRONG_ARM = "wrong_arm"
    NO_STEPS = "no_steps"
    EMPTY_TARGET = "empty_target"
