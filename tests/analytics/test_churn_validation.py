"""The churn model is validated the way it is used: features known when the case opened, a later
held-out period, calibrated probabilities, and a real book's own columns (import attributes)."""

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analytics.churn import churn_model_fit, time_split
from analytics.models import ChurnModelRun
from renewals import services
from renewals.imports import COLUMNS, policies_import
from renewals.models import Quote, RenewalCase, Stage
from tests.analytics.factories import make_case
from tests.imports.helpers import csv_bytes

AS_OF = dt.date(2026, 12, 31)


def _random_book(seed: int, cases: int = 300) -> None:
    """Decided cases whose outcome depends on nothing; renewed ones carry a quote (as the
    workflow leaves them), lost ones mostly do not: the old quote-based feature's trap."""
    rng = np.random.default_rng(seed)
    for _case in range(cases):
        due = dt.date(2026, 1, 5) + dt.timedelta(days=int(rng.integers(0, 300)))
        stage = Stage.RENEWED if rng.random() < 0.6 else Stage.LOST
        case = make_case(
            due=due,
            stage=stage,
            premium=Decimal(int(rng.integers(800, 6000))),
            channel=str(rng.choice(["direct", "agent", "online"])),
            segment=str(rng.choice(["standard", "high_value"])),
        )
        if stage == Stage.RENEWED or rng.random() < 0.05:
            quote = Quote.objects.create(
                case=case,
                expiring_premium=case.expiring_premium,
                base_rate_factor=Decimal("1.05"),
                claims_factor=Decimal("1"),
                loyalty_factor=Decimal("1"),
                premium=case.expiring_premium * Decimal("1.05"),
            )
            RenewalCase.objects.filter(pk=case.pk).update(current_quote=quote)


def _leaky_premium_change(case_ids) -> pd.Series:
    """The old feature: quoted premium / expiring premium − 1, 0 without a quote."""
    rows = RenewalCase.objects.filter(id__in=case_ids).values_list("id", "expiring_premium", "current_quote__premium")
    return pd.Series({i: (float(q) / float(e) - 1) if q is not None else 0.0 for i, e, q in rows})


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_a_book_where_nothing_predicts_the_outcome_the_held_out_auc_is_a_coin_toss(seed):
    # Given decided cases whose outcome is pure chance
    _random_book(seed)
    # When the model is fitted and validated on the later period
    run = churn_model_fit(as_of=AS_OF)
    # Then it finds nothing (no outcome leaks into its inputs)
    assert run.status == ChurnModelRun.Status.FITTED and run.diagnostics["split"] == "time"
    assert run.auc < 0.6
    # the premium-change feature's spread is kept for the quote preview (analytics.estimates)
    assert run.diagnostics["scales"]["rules_premium_change"] >= 0
    # whereas the old quote-based feature "predicted" the same held-out cases almost perfectly
    decided = RenewalCase.objects.filter(stage__in=[Stage.RENEWED, Stage.LOST])
    frame = pd.DataFrame.from_records(list(decided.values("id", "due_date", "stage")))
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    _train, test, cutoff = time_split(frame)
    assert run.diagnostics["cutoff"] == cutoff.isoformat() and run.test_cases == len(test)
    leaky = _leaky_premium_change(test["id"])
    churned = (test.set_index("id")["stage"] != Stage.RENEWED).astype(int)
    assert roc_auc_score(churned, -leaky.reindex(churned.index)) > 0.85


# A synthetic auto book: renewal depends on the book's own columns, with noise.
EFFECTS = {
    "income_band": {"low": -0.9, "middle": 0.0, "high": 0.7},
    "employment": {"employed": 0.3, "self_employed": 0.0, "retired": 0.5, "unemployed": -1.0},
    "offer_type": {"standard": 0.0, "loyalty_discount": 0.8, "price_increase": -0.9},
    "vehicle_class": {"sedan": 0.0, "suv": 0.2, "van": -0.3, "sports": -0.8},
}
BOOK_POLICIES = 3_000


def _auto_book_csv(rng) -> tuple[bytes, dict[str, bool]]:
    rows, renews = [], {}
    for i in range(BOOK_POLICIES):
        end = dt.date(2026, 1, 10) + dt.timedelta(days=int(rng.integers(0, 270)))
        values = {name: str(rng.choice(list(levels))) for name, levels in EFFECTS.items()}
        tenure = int(rng.integers(0, 15))
        logit = -0.4 + sum(EFFECTS[n][v] for n, v in values.items()) + 0.1 * (tenure - 7)
        number = f"AUTO-{i:05d}"
        renews[number] = bool(rng.random() < 1 / (1 + np.exp(-logit)))
        rows.append(
            {
                "policy_number": number,
                "customer_ref": f"CUST-{i:05d}",
                "customer_name": f"Driver {i}",
                "region": str(rng.choice(["Guangdong", "Shandong", "Jiangsu"])),
                "line": "auto",
                "product": "Car comprehensive",
                "start_date": (end - dt.timedelta(days=365)).isoformat(),
                "end_date": end.isoformat(),
                "premium": f"{rng.lognormal(8.2, 0.3):.2f}",
                "sum_insured": "200000",
                "channel": str(rng.choice(["direct", "agent", "online"])),
                "Tenure years": str(tenure),
                **values,
            }
        )
    columns = [*COLUMNS, "Tenure years", *EFFECTS]
    return csv_bytes(rows, columns=columns), renews


@pytest.mark.django_db
def test_on_an_auto_book_the_model_learns_from_the_imported_columns_and_is_calibrated(manager):
    # Given an auto book imported with its own columns
    data, renews = _auto_book_csv(np.random.default_rng(7))
    result = policies_import(source=io.BytesIO(data), filename="auto.csv")
    assert result.policies_created == BOOK_POLICIES and len(result.attributes_inferred) == 5
    # and decided through the services: cases open with their windows, renewals are quoted and
    # renewed, the others lapse after grace
    day = dt.date(2025, 11, 1)
    while day <= dt.date(2026, 10, 31):
        services.cases_open_due(on_date=day)
        day += dt.timedelta(days=20)
    cases = RenewalCase.objects.values_list("id", "policy__number")
    for case_id, number in cases:
        if renews[number]:
            services.quote_prepare(case_id=case_id, actor=manager)
            services.case_mark_renewed(case_id=case_id, actor=manager)
    services.cases_lapse_due(on_date=AS_OF)
    assert RenewalCase.objects.filter(stage__in=[Stage.RENEWED, Stage.LAPSED]).count() == BOOK_POLICIES
    # When the model is fitted
    run = churn_model_fit(as_of=AS_OF)
    # Then on the later, held-out period it ranks well and its probabilities match what happened
    assert run.status == ChurnModelRun.Status.FITTED, run.message
    assert run.auc >= 0.70, run.auc
    for cell in run.diagnostics["reliability"]:
        if cell["count"] >= 60:
            assert abs(cell["predicted"] - cell["observed"]) < 0.1, cell
    assert abs(run.diagnostics["mean_predicted"] - run.diagnostics["held_out_churn_rate"]) < 0.05
    assert any(name.startswith("attr__offer_type=") for name in run.coefficients)
