import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from renewals.models import Quote, RenewalCase, Stage
from renewals.pricing import price_renewal
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.notifications.conftest import sms_gateway, smtp_server  # noqa: F401  (real SMTP server, SMS gateway)
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory


def pdf_text(data: bytes) -> str:
    """The text a PDF reader gets back out of the document (whitespace collapsed)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def quoted_case(*, language="zh-hans", name="张伟", assignee=None, premium=Decimal("3000.00")) -> RenewalCase:
    """A quoted case: expiring 3,000.00; base rate +5 %, claims ×1.08, loyalty ×0.97, no discount:
    3,000.00 → 3,150.00 → 3,402.00 → 3,299.94 (worked by hand in test_explanation)."""
    customer = CustomerFactory(preferred_language=language, name=name)
    case = RenewalCaseFactory(
        policy=PolicyFactory(customer=customer, premium=premium, end_date=dt.date(2026, 12, 31)),
        assignee=assignee,
        stage=Stage.QUOTED,
    )
    priced = price_renewal(
        expiring_premium=premium,
        base_rate_change_percent=Decimal("5"),
        claims_factor=Decimal("1.08"),
        loyalty_factor=Decimal("0.97"),
        claims_count=1,
        tenure_years=3,
    )
    quote = Quote.objects.create(
        case=case,
        expiring_premium=premium,
        base_rate_factor=priced.base_rate_factor,
        claims_factor=priced.claims_factor,
        loyalty_factor=priced.loyalty_factor,
        discount_percent=priced.discount_percent,
        premium=priced.premium,
        breakdown=priced.as_json(),
        created_by=assignee,
    )
    RenewalCase.objects.filter(pk=case.pk).update(current_quote=quote)
    case.refresh_from_db()
    return case


@pytest.fixture
def other_specialist(db):
    return make_user("spec2", "specialist", first_name="Wang", last_name="Fang")


@pytest.fixture
def celery_eager():
    """Run .delay() inline (the confirmation job), as a worker would after the commit."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
