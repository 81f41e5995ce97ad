import datetime as dt
from decimal import Decimal

import pytest

from analytics.services import rollups_refresh
from renewals.models import Stage
from tests.analytics.factories import at, make_case, make_complaint, make_response


@pytest.fixture
def book(db, specialist, other_specialist):
    """A small worked example for November 2026 (and one October case for the previous period).

    Cohort Nov: renewed 3 (premium 1000 -> 1100, 1000 -> 900, 2000 -> 2000), lost 1 (price, 1000),
    lapsed 1 (500), open 2; not_offered 1 (left out). Decided 5, pending 2, renewal rate 3/5,
    premium retention 4000/5500. NPS answers: 10, 9, 7, 3 -> NPS 25 over 4 responses.
    Complaints: 2 in November (one resolved within SLA after 2 days, upheld).
    """
    nov = dt.date(2026, 11, 15)
    cases = {
        "r1": make_case(
            due=nov,
            stage=Stage.RENEWED,
            premium=Decimal("1000"),
            successor_premium=Decimal("1100"),
            assignee=specialist,
            contact_after_days=2,
            quoted=True,
            region="Guangdong",
        ),
        "r2": make_case(
            due=nov,
            stage=Stage.RENEWED,
            premium=Decimal("1000"),
            successor_premium=Decimal("900"),
            assignee=specialist,
            contact_after_days=4,
            quoted=True,
            region="Zhejiang",
            segment="vip",
        ),
        "r3": make_case(
            due=nov,
            stage=Stage.RENEWED,
            premium=Decimal("2000"),
            successor_premium=Decimal("2000"),
            assignee=other_specialist,
            region="Zhejiang",
            line_code="health",
        ),
        "lost": make_case(
            due=nov,
            stage=Stage.LOST,
            premium=Decimal("1000"),
            reason="price",
            assignee=other_specialist,
            contact_after_days=1,
            region="Guangdong",
        ),
        "lapsed": make_case(due=nov, stage=Stage.LAPSED, premium=Decimal("500"), region="Guangdong"),
        "open1": make_case(due=nov, stage=Stage.CONTACTED, contact_after_days=6, assignee=specialist),
        "open2": make_case(due=nov, stage=Stage.OPEN, assignee=specialist),
        "not_offered": make_case(due=nov, stage=Stage.NOT_OFFERED, premium=Decimal("9999")),
        "oct": make_case(due=dt.date(2026, 10, 3), stage=Stage.LOST, reason="service", assignee=specialist),
    }
    for score in (10, 9, 7, 3):
        make_response(score=score, responded=at(dt.date(2026, 11, 20)), case=cases["r1"])
    make_complaint(received=at(dt.date(2026, 11, 2)), case=cases["lost"], resolved_after_days=2, upheld=True)
    make_complaint(received=at(dt.date(2026, 11, 25)), category="service")
    rollups_refresh(full=True)
    return cases
