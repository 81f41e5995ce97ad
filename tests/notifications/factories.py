import datetime as dt

import factory
from django.utils import timezone

from notifications.models import OutboundMessage, ReminderStep
from tests.renewals.factories import RenewalCaseFactory  # noqa: F401  (re-exported for the tests)


def step(line_code: str, offset_days: int, channel: str) -> ReminderStep:
    """A seeded reminder step (created by migration)."""
    return ReminderStep.objects.get(line__code=line_code, offset_days=offset_days, channel=channel)


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    """A planned (scheduled, due now) message of a case's step."""

    class Meta:
        model = OutboundMessage

    case = factory.SubFactory(RenewalCaseFactory)
    customer = factory.LazyAttribute(lambda o: o.case.customer)
    line = factory.LazyAttribute(lambda o: o.case.line)
    step = factory.LazyAttribute(lambda o: step(o.case.line.code, -30, "sms"))
    channel = factory.LazyAttribute(lambda o: o.step.channel)
    is_notice = factory.LazyAttribute(lambda o: o.step.is_notice)
    due_date = factory.LazyAttribute(lambda o: o.case.due_date + dt.timedelta(days=o.step.offset_days))
    scheduled_for = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.LazyAttribute(lambda o: o.scheduled_for)
    address = factory.LazyAttribute(lambda o: o.case.customer.email if o.channel == "email" else o.case.customer.phone)
