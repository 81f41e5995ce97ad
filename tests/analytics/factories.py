"""Builders for analytics tests: cases with outcomes, complaints and NPS answers, made directly
(the analytics app only reads these rows; the workflow rules are tested by their owners)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from customers.models import Complaint, ComplaintCategory, SurveyResponse
from renewals.models import LostReason, Policy, Quote, RenewalCase, Stage
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An aware datetime in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make_case(
    *,
    due: dt.date,
    stage: str = Stage.OPEN,
    premium: Decimal = Decimal("1000.00"),
    successor_premium: Decimal | None = None,
    reason: str = "",
    line_code: str = "auto",
    region: str = "Guangdong",
    segment: str = "standard",
    channel: str = Policy.Channel.DIRECT,
    assignee=None,
    customer=None,
    contact_after_days: int | None = None,
    quoted: bool = False,
    cycle_days: int = 20,
    opened_days_before_due: int = 60,
) -> RenewalCase:
    customer = customer or CustomerFactory(region=region, segment=segment)
    policy = PolicyFactory(customer=customer, line=line(line_code), end_date=due, premium=premium, channel=channel)
    opened_at = at(due - dt.timedelta(days=opened_days_before_due), 9)
    fields = {
        "policy": policy,
        "customer": customer,
        "line": policy.line,
        "expiring_premium": premium,
        "due_date": due,
        "stage": stage,
        "assignee": assignee,
        "opened_at": opened_at,
    }
    if contact_after_days is not None:
        fields["first_contact_at"] = opened_at + dt.timedelta(days=contact_after_days, hours=3)
    if quoted:
        fields["quoted_at"] = opened_at + dt.timedelta(days=(contact_after_days or 0) + 1)
    if stage in (Stage.RENEWED, Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED):
        fields["closed_at"] = opened_at + dt.timedelta(days=cycle_days, hours=2)
    if stage in (Stage.LOST, Stage.NOT_OFFERED):
        fields["lost_reason"] = LostReason.objects.get(
            code=reason or ("price" if stage == Stage.LOST else "underwriting")
        )
    if stage == Stage.RENEWED:
        fields["successor_policy"] = PolicyFactory(
            customer=customer,
            line=policy.line,
            start_date=due,
            end_date=due + dt.timedelta(days=365),
            premium=successor_premium if successor_premium is not None else premium,
            channel=channel,
            previous_policy=policy,
        )
    return RenewalCase.objects.create(**fields)


def make_complaint(
    *,
    received: dt.datetime,
    customer=None,
    category: str = "price",
    case=None,
    resolved_after_days: float | None = None,
    sla_days: int = 10,
    upheld: bool | None = None,
) -> Complaint:
    customer = customer or (case.customer if case else CustomerFactory())
    values = {
        "customer": customer,
        "case": case,
        "policy": case.policy if case else None,
        "received_via": Complaint.ReceivedVia.PHONE,
        "received_at": received,
        "category": ComplaintCategory.objects.get(code=category),
        "description": "Test complaint",
        "acknowledge_due_at": received + dt.timedelta(days=1),
        "sla_due_at": received + dt.timedelta(days=sla_days),
    }
    if resolved_after_days is not None:
        values.update(
            status=Complaint.Status.RESOLVED,
            resolved_at=received + dt.timedelta(days=resolved_after_days),
            upheld=upheld,
            resolution="Done",
        )
    return Complaint.objects.create(**values)


def make_response(*, score: int, responded: dt.datetime, customer=None, case=None) -> SurveyResponse:
    customer = customer or (case.customer if case else CustomerFactory())
    return SurveyResponse.objects.create(customer=customer, case=case, score=score, responded_at=responded)


QUOTED_CLOSED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def quoted_case(quoted, stage, *, expiring="1000.00", due=dt.date(2026, 11, 15), segment="standard", line_code="auto"):
    """A case of ``line_code`` expiring ``due`` at ``expiring``, last quoted at ``quoted``, closed ``stage``."""
    customer = CustomerFactory(segment=segment)
    policy = PolicyFactory(customer=customer, premium=Decimal(expiring), end_date=due, line=line(line_code))
    fields = {"stage": stage}
    if stage == Stage.RENEWED:
        fields["successor_policy"] = PolicyFactory(
            customer=customer,
            line=line(line_code),
            previous_policy=policy,
            premium=Decimal(quoted or expiring),
            start_date=due + dt.timedelta(days=1),
            end_date=due + dt.timedelta(days=366),
        )
    if stage == Stage.LOST:
        fields["lost_reason"] = LostReason.objects.get(code="price")
    if stage not in (Stage.OPEN, Stage.QUOTED):
        fields["closed_at"] = QUOTED_CLOSED
    case = RenewalCaseFactory(policy=policy, **fields)
    if quoted is not None:
        quote = Quote.objects.create(
            case=case,
            expiring_premium=Decimal(expiring),
            base_rate_factor=1,
            claims_factor=1,
            loyalty_factor=1,
            premium=Decimal(quoted),
        )
        case.current_quote = quote
        case.save(update_fields=["current_quote"])
    return case
