"""Repair complaint and survey-answer times stored outside the range the services now enforce.

Before ``core.dates.require_in_range`` a year-1 time could be saved; PostgreSQL keeps it (as year 0
after the time-zone shift) but Python cannot read it back, so every page listing the row failed.
Rows before 2000-01-01 (``core.dates.EARLIEST_ENTERED``) or more than a day after this migration
runs are repaired in plain UPDATEs (the bad values are never read into Python):

- a complaint is set to the row's **created time** (when it was logged), clamped into the range;
  its acknowledge-by and resolve-by times move by the same amount, so its SLA keeps its length;
- a survey answer has no created time: it is set to its follow-up's created time (when it was
  recorded) where it has one, else to the **earliest sane value**, 2000-01-01 00:00 UTC; the
  invitation it answered takes the same ``answered_at``.
"""

import datetime as dt

from django.db import migrations
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least

# core.dates.EARLIEST_ENTERED, written out: a migration keeps the value it was written with.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _out_of_range(field: str, latest: dt.datetime) -> Q:
    return Q(**{f"{field}__lt": EARLIEST}) | Q(**{f"{field}__gt": latest})


def repair_times(apps, schema_editor):
    Complaint = apps.get_model("customers", "Complaint")
    SurveyResponse = apps.get_model("customers", "SurveyResponse")
    SurveyFollowUp = apps.get_model("customers", "SurveyFollowUp")
    SurveyInvitation = apps.get_model("customers", "SurveyInvitation")
    latest = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    earliest, ceiling = Value(EARLIEST, DateTimeField()), Value(latest, DateTimeField())

    logged = Greatest(Least(F("created_at"), ceiling), earliest)
    shift = ExpressionWrapper(logged - F("received_at"), output_field=DurationField())
    Complaint.objects.filter(_out_of_range("received_at", latest)).update(
        received_at=logged,
        acknowledge_due_at=F("acknowledge_due_at") + shift,
        sla_due_at=F("sla_due_at") + shift,
    )

    bad_answers = list(
        SurveyResponse.objects.filter(_out_of_range("responded_at", latest)).values_list("pk", flat=True)
    )
    recorded = SurveyFollowUp.objects.filter(response_id=OuterRef("pk")).values("created_at")[:1]
    SurveyResponse.objects.filter(pk__in=bad_answers).update(
        responded_at=Coalesce(Subquery(recorded), earliest, output_field=DateTimeField())
    )
    answered = SurveyResponse.objects.filter(pk=OuterRef("response_id")).values("responded_at")[:1]
    SurveyInvitation.objects.filter(Q(response_id__in=bad_answers) | _out_of_range("answered_at", latest)).update(
        answered_at=Coalesce(Subquery(answered), earliest, output_field=DateTimeField())
    )


def keep_repaired(apps, schema_editor):
    """Going back leaves the repaired times: the broken values are not worth restoring."""


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_customer_change_and_constraint_messages")]

    operations = [migrations.RunPython(repair_times, keep_repaired)]
