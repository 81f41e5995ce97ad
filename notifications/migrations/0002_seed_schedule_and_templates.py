"""Seed each line's default reminder schedule and its message texts (English, Simplified Chinese);
protect the statutory notice proofs from UPDATE and DELETE on PostgreSQL."""

from django.db import migrations

from notifications.defaults import SCHEDULE, SURVEY_TEXTS, TEXTS


def seed(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    Step = apps.get_model("notifications", "ReminderStep")
    Template = apps.get_model("notifications", "MessageTemplate")
    for code, steps in SCHEDULE.items():
        line = Line.objects.filter(code=code).first()
        if line is None:
            continue
        for offset, channel, is_notice, purpose in steps:
            step, _ = Step.objects.get_or_create(
                line=line, offset_days=offset, channel=channel, defaults={"is_notice": is_notice}
            )
            for language, (subject, body) in TEXTS[(purpose, channel)].items():
                Template.objects.get_or_create(
                    step=step,
                    channel=channel,
                    language=language,
                    defaults={"kind": "reminder", "subject": subject, "body": body},
                )
    for channel, texts in SURVEY_TEXTS.items():
        for language, (subject, body) in texts.items():
            Template.objects.get_or_create(
                step=None,
                kind="survey",
                channel=channel,
                language=language,
                defaults={"subject": subject, "body": body},
            )


IMMUTABLE_SQL = """
CREATE OR REPLACE FUNCTION notifications_notice_proof_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'notice proofs are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notifications_notice_proof_immutable
    BEFORE UPDATE OR DELETE ON notifications_noticeproof
    FOR EACH ROW EXECUTE FUNCTION notifications_notice_proof_immutable();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS notifications_notice_proof_immutable ON notifications_noticeproof;
DROP FUNCTION IF EXISTS notifications_notice_proof_immutable();
"""


def protect_proofs(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(IMMUTABLE_SQL)


def unprotect_proofs(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("renewals", "0002_seed_lines_and_reasons"),
    ]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(protect_proofs, unprotect_proofs),
    ]
