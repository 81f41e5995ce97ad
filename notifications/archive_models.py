"""The outbox's archive (docs/retention.md).

``ArchivedMessage`` has every column of ``notifications_outboundmessage`` by the same name (built
from the outbox model's fields, so a new outbox column is a new archive column in the same
migration run), plus ``archived_at``. The archive job (notifications.archive) moves final reminder
and survey rows of cases closed long ago here with their ids: the id stays the provider's
idempotency key. No unique constraints: uniqueness was settled in the hot table before the move.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboundMessage


def _archive_fields() -> dict:
    fields = {}
    for field in OutboundMessage._meta.concrete_fields:
        if field.primary_key:
            fields["id"] = models.BigIntegerField(primary_key=True)
            continue
        if field.name == "case":
            # A real foreign key: deleting or truncating cases (the demo reset's TRUNCATE … CASCADE)
            # takes their archived messages along, so no archived id outlives its case. Campaign
            # rows (no case) are never archived.
            fields["case"] = models.ForeignKey(
                field.remote_field.model, on_delete=models.CASCADE, related_name="+", db_index=False
            )
            continue
        if field.is_relation:
            fields[field.name] = models.ForeignKey(
                field.remote_field.model,
                on_delete=models.DO_NOTHING,
                null=field.null,
                blank=field.blank,
                related_name="+",
                db_constraint=False,
                db_index=False,
            )
            continue
        name, path, args, kwargs = field.deconstruct()
        kwargs.pop("editable", None)
        kwargs.pop("unique", None)
        fields[name] = field.__class__(*args, **kwargs)
    return fields


class _Meta:
    verbose_name = _("archived message")
    verbose_name_plural = _("archived messages")
    indexes = [
        # The case's message log of an archived case, and the customer's message history.
        models.Index(fields=["case", "due_date"], name="outbox_archive_case_idx"),
        models.Index(fields=["customer", "-id"], name="outbox_archive_customer_idx"),
        # Retention deletes the oldest first.
        models.Index(fields=["created_at"], name="outbox_archive_created_idx"),
    ]


ArchivedMessage = type(
    "ArchivedMessage",
    (models.Model,),
    {
        "__module__": __name__,
        "__doc__": "An outbox row moved to the archive (same id and columns as in the outbox).",
        **_archive_fields(),
        "archived_at": models.DateTimeField(_("archived at")),
        "Meta": _Meta,
        "__str__": lambda self: f"#{self.pk} {self.channel} {self.status} (archived)",
    },
)


def as_outbox_messages(rows) -> list[OutboundMessage]:
    """Archived rows as (read-only) OutboundMessage instances for the message logs: the same fields,
    the related rows already loaded by select_related, and ``archived`` set."""
    attnames = [f.attname for f in OutboundMessage._meta.concrete_fields]
    messages = []
    for row in rows:
        message = OutboundMessage(**{name: getattr(row, name) for name in attnames})
        message._state.adding = False
        message._state.fields_cache = dict(row._state.fields_cache)
        message.archived = True
        messages.append(message)
    return messages
