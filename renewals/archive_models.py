"""The case timeline's archive (docs/retention.md).

``ArchivedCaseEvent``: events of cases closed long ago, moved out of ``renewals_caseevent`` by the
history archive job (notifications.archive) with their ids and columns unchanged, so the hot table
and its timeline index hold only recent history. ``TimelineEvent`` reads a view over both tables
(hot UNION ALL archive): the case page's timeline is one query whether or not a case was archived.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renewals.models import CaseEvent, RenewalCase


class _EventColumns(models.Model):
    """The columns of renewals_caseevent, by the same names (the archive copies them by name)."""

    id = models.BigIntegerField(primary_key=True)
    # The view has no constraints; a user's deletion leaves an archived event's actor dangling (the
    # hot table sets it NULL), which the timeline reads as "System".
    case = models.ForeignKey(RenewalCase, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=24, choices=CaseEvent.Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


class ArchivedCaseEvent(_EventColumns):
    """A case event moved to the archive (same id and columns as it had in renewals_caseevent)."""

    # A real foreign key (unlike the view's): deleting or truncating cases (the demo reset's
    # TRUNCATE … CASCADE) takes their archived events along, so no archived id outlives its case.
    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="+", db_index=False)
    archived_at = models.DateTimeField(_("archived at"))

    class Meta:
        verbose_name = _("archived case event")
        verbose_name_plural = _("archived case events")
        indexes = [
            # The case page's timeline of an archived case.
            models.Index(fields=["case", "-created_at"], name="case_event_archive_case_idx"),
            # Retention deletes the oldest first.
            models.Index(fields=["created_at"], name="case_event_archive_created_idx"),
        ]


class TimelineEvent(_EventColumns):
    """One event of a case's timeline, hot or archived (the ``renewals_case_timeline`` view)."""

    # The case by id, not as a relation: a view is not a table that points at cases (the demo's
    # SQLite reset deletes from every model with a relation to a case).
    case = None
    case_id = models.BigIntegerField()
    archived = models.BooleanField()

    class Meta:
        managed = False
        db_table = "renewals_case_timeline"
        ordering = ["-created_at", "-id"]
