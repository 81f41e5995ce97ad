"""Migration 0009 adds the outbox's two CHECKs NOT VALID (no scan under the ALTER TABLE lock, which
would hold up dispatch) and 0012 validates them in a transaction of its own; the state is unchanged."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db
CHECKS = ("outbox_reminder_has_step", "outbox_case_unless_campaign")
add_checks = importlib.import_module("notifications.migrations.0009_campaign_messages")
validate_checks = importlib.import_module("notifications.migrations.0012_validate_outbox_checks")


def validated() -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, convalidated FROM pg_constraint WHERE conrelid = %s::regclass AND conname = ANY(%s)",
            [OutboundMessage._meta.db_table, list(CHECKS)],
        )
        return dict(cursor.fetchall())


def test_0009_adds_the_checks_not_valid_and_0012_validates_them():
    # given the migrated outbox: both checks are there and valid
    assert validated() == dict.fromkeys(CHECKS, True)
    # when 0009's database step runs again on a table without them (this test's transaction)
    with connection.schema_editor(atomic=False) as editor:
        add_checks._drop(apps, editor)
        assert validated() == {}
        add_checks._add_not_valid(apps, editor)
    # then they are there, enforced for new rows, but not validated (no scan of the old rows)
    assert validated() == dict.fromkeys(CHECKS, False)
    # and 0012 validates them
    with connection.schema_editor(atomic=False) as editor:
        validate_checks._validate(apps, editor)
    assert validated() == dict.fromkeys(CHECKS, True)


def test_the_models_and_the_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "notifications", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
