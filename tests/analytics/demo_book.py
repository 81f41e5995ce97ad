"""A varied little book for browser journeys and screenshots: six months of cases over three
lines, six regions and three specialists, with outcomes, complaints and NPS answers."""

import datetime as dt
import random
from decimal import Decimal

from analytics.services import rollups_refresh
from renewals.models import Stage
from tests.analytics.factories import at, make_case, make_complaint, make_response
from tests.conftest import make_user

REGIONS = ["Guangdong", "Zhejiang", "Jiangsu", "Shanghai", "Beijing", "Sichuan"]
LINES = ["auto", "auto", "health", "property"]
REASONS = ["price", "price", "competitor", "service", "needs_changed"]


def build_demo_book(*, months=6, per_month=28, seed=7, last_month=dt.date(2026, 11, 1)):
    rng = random.Random(seed)
    specialists = [
        make_user("li.na", "specialist", first_name="Li", last_name="Na"),
        make_user("wang.fang", "specialist", first_name="Wang", last_name="Fang"),
        make_user("zhao.lei", "specialist", first_name="Zhao", last_name="Lei"),
    ]
    cases = []
    for back in range(months - 1, -1, -1):
        month = dt.date(last_month.year, last_month.month, 1)
        index = month.year * 12 + month.month - 1 - back
        month = dt.date(index // 12, index % 12 + 1, 1)
        for _ in range(per_month):
            due = month + dt.timedelta(days=rng.randrange(28))
            roll = rng.random()
            recent = back == 0
            if roll < 0.04:
                stage = Stage.NOT_OFFERED
            elif recent and roll < 0.35:
                stage = rng.choice([Stage.OPEN, Stage.CONTACTED, Stage.QUOTED])
            elif roll < 0.72 + rng.random() * 0.1:
                stage = Stage.RENEWED
            elif roll < 0.92:
                stage = Stage.LOST
            else:
                stage = Stage.LAPSED
            premium = Decimal(rng.randrange(800, 9000))
            change = Decimal(str(round(rng.uniform(0.9, 1.12), 2)))
            case = make_case(
                due=due,
                stage=stage,
                premium=premium,
                successor_premium=(premium * change).quantize(Decimal("0.01")),
                reason=rng.choice(REASONS) if stage == Stage.LOST else "",
                line_code=rng.choice(LINES),
                region=rng.choice(REGIONS),
                segment=rng.choice(["standard", "standard", "standard", "high_value", "vip"]),
                channel=rng.choice(["direct", "agent", "broker", "online"]),
                assignee=rng.choice(specialists),
                contact_after_days=None if stage == Stage.OPEN else rng.randrange(0, 8),
                quoted=stage in (Stage.QUOTED, Stage.RENEWED, Stage.LOST) and rng.random() < 0.8,
                cycle_days=rng.randrange(10, 50),
            )
            cases.append(case)
            if rng.random() < 0.35:
                make_response(
                    score=rng.choice([10, 10, 9, 9, 8, 7, 6, 3]) if stage == Stage.RENEWED else rng.randrange(0, 9),
                    responded=at(min(due + dt.timedelta(days=rng.randrange(3, 12)), dt.date(2026, 11, 25))),
                    case=case,
                )
            if rng.random() < 0.08:
                make_complaint(
                    received=at(due - dt.timedelta(days=rng.randrange(0, 20)), rng.randrange(8, 18)),
                    case=case,
                    category=rng.choice(["price", "claims", "service", "renewal_process"]),
                    resolved_after_days=rng.choice([None, 2.5, 6.0, 12.0, 20.0]),
                    upheld=rng.random() < 0.4,
                )
    rollups_refresh(full=True)
    return specialists, cases
