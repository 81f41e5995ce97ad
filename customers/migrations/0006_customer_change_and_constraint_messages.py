"""The audit trail of contact and consent changes (``CustomerChange``), and constraint messages that
name the field in the user's language instead of "Constraint “…” is violated."."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_name_grams_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "field",
                    models.CharField(
                        choices=[
                            ("phone", "phone"),
                            ("email", "email"),
                            ("preferred_channel", "preferred channel"),
                            ("preferred_language", "preferred language"),
                            ("consent_email", "email allowed"),
                            ("consent_sms", "SMS allowed"),
                            ("consent_phone", "calls allowed"),
                            ("marketing_opt_out", "marketing opt-out"),
                            ("time_zone", "time zone"),
                        ],
                        max_length=32,
                        verbose_name="field",
                    ),
                ),
                ("old_value", models.CharField(blank=True, max_length=254, verbose_name="old value")),
                ("new_value", models.CharField(blank=True, max_length=254, verbose_name="new value")),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="changed at")),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="changes", to="customers.customer"
                    ),
                ),
            ],
            options={"verbose_name": "customer change", "verbose_name_plural": "customer changes"},
        ),
        migrations.AddIndex(
            model_name="customerchange",
            index=models.Index(fields=["customer", "-changed_at"], name="customer_change_history_idx"),
        ),
        migrations.AlterConstraint(
            model_name="complaint",
            name="complaint_sla_after_received",
            constraint=models.CheckConstraint(
                condition=models.Q(("sla_due_at__gte", models.F("received_at"))),
                name="complaint_sla_after_received",
                violation_error_message="“Resolve by” cannot be earlier than “received at”.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="complaint",
            name="complaint_resolved_has_time",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["resolved", "closed"]), _negated=True),
                    ("resolved_at__isnull", False),
                    _connector="OR",
                ),
                name="complaint_resolved_has_time",
                violation_error_message="A resolved or closed complaint needs the time it was resolved.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="complaintsla",
            name="complaint_sla_resolve_after_ack",
            constraint=models.CheckConstraint(
                condition=models.Q(("resolve_days__gte", models.F("acknowledge_days"))),
                name="complaint_sla_resolve_after_ack",
                violation_error_message="“Days to resolve” cannot be fewer than “days to acknowledge”.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="customervoicesettings",
            name="customer_voice_settings_single_row",
            constraint=models.CheckConstraint(
                condition=models.Q(("pk", 1)),
                name="customer_voice_settings_single_row",
                violation_error_message="There is one row of customer voice settings.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="surveyfollowup",
            name="survey_followup_done_has_outcome",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "open"),
                    models.Q(("done_at__isnull", False), models.Q(("outcome", ""), _negated=True)),
                    _connector="OR",
                ),
                name="survey_followup_done_has_outcome",
                violation_error_message="A done follow-up needs its “outcome” and the time it was done.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="surveyinvitation",
            name="survey_invitation_one_per_case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case__isnull", False)),
                fields=("case",),
                name="survey_invitation_one_per_case",
                violation_error_message="This “case” already has a survey invitation.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="surveyresponse",
            name="survey_score_0_10",
            constraint=models.CheckConstraint(
                condition=models.Q(("score__gte", 0), ("score__lte", 10)),
                name="survey_score_0_10",
                violation_error_message="“Score” is a whole number from 0 to 10.",
            ),
        ),
    ]
