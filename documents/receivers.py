"""Receivers of the renewals signals (connected in DocumentsConfig.ready)."""

from django.db import transaction

RENEWED = "renewed"


def on_case_closed(sender, *, case, stage, actor=None, **kwargs):
    """A renewed case gets its confirmation, issued by a worker once the renewal has committed."""
    if str(stage) != RENEWED:
        return
    from documents.tasks import issue_confirmation

    case_id = case.pk
    transaction.on_commit(lambda: issue_confirmation.delay(case_id))
