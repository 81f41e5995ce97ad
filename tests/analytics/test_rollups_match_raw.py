"""The figures read from the rollups equal the figures counted directly from the raw rows."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import selectors
from analytics.params import Filters, Period, month_end
from analytics.services import rollups_refresh
from renewals.models import LineOfInsurance, RenewalCase, Stage
from tests.analytics.factories import at, make_case, make_complaint, make_response
from tests.conftest import make_user

MONTHS = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
REGIONS = ["Guangdong", "Zhejiang"]
SEGMENTS = ["standard", "high_value", "vip"]
CHANNELS = ["direct", "agent", "broker", "online"]
LINES = ["auto", "health", "property"]
STAGES = ["open", "contacted", "quoted", "renewed", "lost", "lapsed", "not_offered"]

# Days straddle month edges (the 1st and the last day) to catch off-by-one bucketing.
day_strategy = st.sampled_from(
    [dt.date(2025, 12, 31)]
    + [m + dt.timedelta(days=d) for m in MONTHS for d in (0, 14)]
    + [month_end(m) for m in MONTHS]
    + [dt.date(2026, 4, 1)]
)

case_strategy = st.fixed_dictionaries(
    {
        "due": day_strategy,
        "stage": st.sampled_from(STAGES),
        "premium": st.integers(min_value=100, max_value=5000),
        "successor": st.integers(min_value=100, max_value=6000),
        "reason": st.sampled_from(["price", "service", "competitor"]),
        "line": st.sampled_from(LINES),
        "region": st.sampled_from(REGIONS),
        "segment": st.sampled_from(SEGMENTS),
        "channel": st.sampled_from(CHANNELS),
        "assignee": st.sampled_from([None, 0, 1]),
        "contact_after": st.none() | st.integers(min_value=0, max_value=9),
        "quoted": st.booleans(),
        "cycle": st.integers(min_value=0, max_value=40),
    }
)
complaint_strategy = st.fixed_dictionaries(
    {
        "case_index": st.none() | st.integers(min_value=0, max_value=30),
        "received": day_strategy,
        "hour": st.sampled_from([0, 12, 23]),
        "category": st.sampled_from(["price", "claims", "service"]),
        "resolved_after": st.none() | st.sampled_from([0.5, 3.0, 9.9, 10.5, 20.0, 45.0]),
        "upheld": st.none() | st.booleans(),
    }
)
response_strategy = st.fixed_dictionaries(
    {
        "case_index": st.none() | st.integers(min_value=0, max_value=30),
        "score": st.integers(min_value=0, max_value=10),
        "responded": day_strategy,
        "hour": st.sampled_from([0, 12, 23]),
    }
)
filter_strategy = st.fixed_dictionaries(
    {
        "line": st.none() | st.sampled_from(LINES),
        "region": st.none() | st.sampled_from(REGIONS),
        "segment": st.none() | st.sampled_from(SEGMENTS),
        "channel": st.none() | st.sampled_from(CHANNELS),
        "assignee": st.none() | st.sampled_from([0, 1]),
    }
)
period_strategy = st.sampled_from(
    [
        Period(MONTHS[0], month_end(MONTHS[0]), "month"),
        Period(MONTHS[1], month_end(MONTHS[1]), "month"),
        Period(MONTHS[0], month_end(MONTHS[2]), "quarter"),
        Period(dt.date(2025, 12, 1), month_end(MONTHS[1]), "custom"),
    ]
)


def _build(cases, complaints, responses, specialists):
    made = []
    for spec in cases:
        made.append(
            make_case(
                due=spec["due"],
                stage=spec["stage"],
                premium=Decimal(spec["premium"]),
                successor_premium=Decimal(spec["successor"]),
                reason=spec["reason"] if spec["stage"] == Stage.LOST else "",
                line_code=spec["line"],
                region=spec["region"],
                segment=spec["segment"],
                channel=spec["channel"],
                assignee=None if spec["assignee"] is None else specialists[spec["assignee"]],
                contact_after_days=spec["contact_after"],
                quoted=spec["quoted"],
                cycle_days=spec["cycle"],
            )
        )
    for spec in complaints:
        case = made[spec["case_index"] % len(made)] if (spec["case_index"] is not None and made) else None
        make_complaint(
            received=at(spec["received"], spec["hour"]),
            case=case,
            category=spec["category"],
            resolved_after_days=spec["resolved_after"],
            upheld=spec["upheld"] if spec["resolved_after"] is not None else None,
        )
    for spec in responses:
        case = made[spec["case_index"] % len(made)] if (spec["case_index"] is not None and made) else None
        make_response(score=spec["score"], responded=at(spec["responded"], spec["hour"]), case=case)
    return made


def _filters(spec, specialists):
    values = {}
    if spec["line"]:
        line = LineOfInsurance.objects.get(code=spec["line"])
        values.update(line_id=line.pk, line_code=line.code)
    if spec["region"]:
        values["region"] = spec["region"]
    if spec["segment"]:
        values["segments"] = (spec["segment"],)
    if spec["channel"]:
        values["channel"] = spec["channel"]
    if spec["assignee"] is not None:
        user = specialists[spec["assignee"]]
        values.update(assignee_id=user.pk, specialist=user.username)
    return Filters(**values)


def _both_ways(period, filters):
    from_rollups = selectors.kpi_figures(period, filters, use_rollups=True)
    from_raw = selectors.kpi_figures(period, filters, use_rollups=False)
    return from_rollups, from_raw


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.lists(case_strategy, max_size=14),
    complaints=st.lists(complaint_strategy, max_size=8),
    responses=st.lists(response_strategy, max_size=8),
    filter_specs=st.lists(filter_strategy, min_size=1, max_size=3),
    period=period_strategy,
)
def test_figures_from_rollups_equal_figures_from_raw_rows(cases, complaints, responses, filter_specs, period):
    with transaction.atomic():
        # Given random cases, outcomes, complaints and answers
        specialists = [make_user("h5-spec-a", "specialist"), make_user("h5-spec-b", "specialist")]
        _build(cases, complaints, responses, specialists)
        # When the rollups are rebuilt
        rollups_refresh(full=True)
        # Then every figure read from them equals the figure counted from the raw rows
        for spec in [{"line": None, "region": None, "segment": None, "channel": None, "assignee": None}, *filter_specs]:
            filters = _filters(spec, specialists)
            from_rollups, from_raw = _both_ways(period, filters)
            assert from_rollups == from_raw, (spec, period)
            assert set(from_rollups) == set(selectors.API_KEYS)
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.lists(case_strategy, min_size=1, max_size=10),
    later=st.lists(case_strategy, max_size=5),
    later_responses=st.lists(response_strategy, max_size=4),
    period=period_strategy,
)
def test_incremental_refresh_keeps_rollups_equal_to_raw_rows(cases, later, later_responses, period):
    with transaction.atomic():
        specialists = [make_user("h5-spec-a", "specialist"), make_user("h5-spec-b", "specialist")]
        made = _build(cases, [], [], specialists)
        rollups_refresh(full=True)
        # When, an hour later (past the watermark overlap), a case is reassigned and lapses,
        # new cases arrive and customers answer
        with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
            first = made[0]
            RenewalCase.objects.filter(pk=first.pk).update(
                assignee=specialists[1], stage=Stage.LAPSED, closed_at=timezone.now(), updated_at=timezone.now()
            )
            _build(later, [], later_responses, specialists)
            result = rollups_refresh()
        # Then the incremental refresh (not a rebuild) brings the rollups back in line
        assert not result.rebuilt
        for filters in (Filters(), Filters(assignee_id=specialists[1].pk, specialist="h5-spec-b")):
            from_rollups, from_raw = _both_ways(period, filters)
            assert from_rollups == from_raw
        transaction.set_rollback(True)


days_period_strategy = st.tuples(day_strategy, day_strategy).map(lambda pair: Period(min(pair), max(pair), "custom"))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.lists(case_strategy, max_size=14),
    complaints=st.lists(complaint_strategy, max_size=8),
    responses=st.lists(response_strategy, max_size=8),
    filter_specs=st.lists(filter_strategy, min_size=1, max_size=3),
    period=days_period_strategy,
)
def test_figures_for_any_days_equal_figures_from_raw_rows(cases, complaints, responses, filter_specs, period):
    """A period that starts or ends inside a month: whole months from the rollups, edge days from
    the fact tables, the same figures as counting the raw rows."""
    with transaction.atomic():
        specialists = [make_user("h5-spec-a", "specialist"), make_user("h5-spec-b", "specialist")]
        _build(cases, complaints, responses, specialists)
        rollups_refresh(full=True)
        for spec in [{"line": None, "region": None, "segment": None, "channel": None, "assignee": None}, *filter_specs]:
            filters = _filters(spec, specialists)
            by_days = selectors.kpi_figures(period, filters)
            assert by_days == selectors.kpi_figures(period, filters, use_rollups=False), (spec, period)
        transaction.set_rollback(True)
