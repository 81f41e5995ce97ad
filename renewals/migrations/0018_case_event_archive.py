"""The case timeline's archive table and the view the case page reads (hot UNION ALL archive).

The view's branches keep their own indexes: a case's timeline is a merge of two index scans on
case_id (PostgreSQL pushes the case filter and the ORDER BY ... LIMIT into both branches).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0017_drop_stale_competitor_losses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TimelineEvent",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("case_id", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("opened", "Case opened"),
                            ("assigned", "Assigned"),
                            ("stage_changed", "Stage changed"),
                            ("contact", "Contact logged"),
                            ("quote", "Quote prepared"),
                            ("approval_requested", "Approval requested"),
                            ("approved", "Discount approved"),
                            ("rejected", "Discount rejected"),
                            ("renewed", "Renewed"),
                            ("premium_override", "Premium overridden"),
                            ("lost", "Lost"),
                            ("not_offered", "Not offered"),
                            ("lapsed", "Lapsed"),
                            ("reopened", "Reopened"),
                            ("referral", "Referral"),
                            ("referral_resolved", "Referral resolved"),
                            ("reminder", "Reminder"),
                            ("complaint", "Complaint"),
                            ("survey", "Survey answer"),
                            ("note", "Note"),
                            ("playbook", "Playbook applied"),
                        ],
                        max_length=24,
                    ),
                ),
                ("payload", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField()),
                ("archived", models.BooleanField()),
            ],
            options={
                "db_table": "renewals_case_timeline",
                "ordering": ["-created_at", "-id"],
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="ArchivedCaseEvent",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("opened", "Case opened"),
                            ("assigned", "Assigned"),
                            ("stage_changed", "Stage changed"),
                            ("contact", "Contact logged"),
                            ("quote", "Quote prepared"),
                            ("approval_requested", "Approval requested"),
                            ("approved", "Discount approved"),
                            ("rejected", "Discount rejected"),
                            ("renewed", "Renewed"),
                            ("premium_override", "Premium overridden"),
                            ("lost", "Lost"),
                            ("not_offered", "Not offered"),
                            ("lapsed", "Lapsed"),
                            ("reopened", "Reopened"),
                            ("referral", "Referral"),
                            ("referral_resolved", "Referral resolved"),
                            ("reminder", "Reminder"),
                            ("complaint", "Complaint"),
                            ("survey", "Survey answer"),
                            ("note", "Note"),
                            ("playbook", "Playbook applied"),
                        ],
                        max_length=24,
                    ),
                ),
                ("payload", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField()),
                ("archived_at", models.DateTimeField(verbose_name="archived at")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="renewals.renewalcase",
                    ),
                ),
            ],
            options={
                "verbose_name": "archived case event",
                "verbose_name_plural": "archived case events",
                "indexes": [
                    models.Index(fields=["case", "-created_at"], name="case_event_archive_case_idx"),
                    models.Index(fields=["created_at"], name="case_event_archive_created_idx"),
                ],
            },
        ),
        migrations.RunSQL(
            """
            CREATE VIEW renewals_case_timeline AS
            SELECT id, case_id, kind, actor_id, payload, created_at, FALSE AS archived FROM renewals_caseevent
            UNION ALL
            SELECT id, case_id, kind, actor_id, payload, created_at, TRUE AS archived
            FROM renewals_archivedcaseevent
            """,
            "DROP VIEW IF EXISTS renewals_case_timeline",
        ),
    ]
