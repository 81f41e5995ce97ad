"""The demo book: column-wise frames for every table, drawn from one seeded generator.

Everything comes from one ``numpy.random.Generator(seed)`` and a fixed "today", so the same seed
gives the same rows; the generators run in a fixed order (customers, chains, complaints, surveys)
because each one draws from the same stream. Times are floats in days relative to local midnight
of "today" until ``Book.ts`` turns them into timestamps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection

from customers.models import Complaint, ComplaintCategory, Customer, SurveyResponse
from customers.phones import phone_digits_series
from demo.chains import chains_generate
from demo.columns import max_id, pick
from demo.reference import (
    CITIES,
    EMAIL_DOMAINS,
    FIRM_WORDS,
    GIVEN,
    INDUSTRIES,
    LINE_CODES,
    MOBILE_PREFIXES,
    PROVINCES,
    SURNAMES,
)
from demo.voice import complaints_generate, surveys_generate
from renewals.models import CaseEvent, LineOfInsurance, LostReason, Policy, RenewalCase


class Book:
    """Column-wise frames for every table (``customers``, ``policies``, ``cases``, ``events``,
    ``complaints``, ``surveys``), ready for the loader, plus the per-row arrays later steps need."""

    def __init__(self, *, customers, policies, seed, today):
        self.n_customers = int(customers)
        self.n_policies = int(policies)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.today = today
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        local_midnight = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
        utc = local_midnight.astimezone(dt.UTC).replace(tzinfo=None)
        self.midnight_utc = np.datetime64(utc, "s")
        self.today64 = np.datetime64(today, "D")
        self.suffix = "+00" if connection.vendor == "postgresql" else ""
        lines = {line.code: line for line in LineOfInsurance.objects.filter(code__in=LINE_CODES)}
        missing = set(LINE_CODES) - set(lines)
        if missing:
            raise RuntimeError(f"lines of insurance missing (run migrate): {sorted(missing)}")
        self.line_ids = np.array([lines[c].pk for c in LINE_CODES])
        self.window = np.array([lines[c].renewal_window_days for c in LINE_CODES])
        self.grace = np.array([lines[c].grace_days for c in LINE_CODES])
        self.reasons = {r.code: r.pk for r in LostReason.objects.all()}
        self.categories = {c.code: c.pk for c in ComplaintCategory.objects.all()}
        self.ids = {m: max_id(m) for m in (Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse)}

    # time helpers: t is in days relative to local midnight of ``today``
    def ts(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        empty = np.isnan(t)
        secs = np.where(empty, 0, np.round(t * 86400)).astype(np.int64)
        stamps = np.datetime_as_string(self.midnight_utc + secs.astype("timedelta64[s]"), unit="s")
        stamps = np.char.add(np.char.replace(stamps, "T", " "), self.suffix).astype(object)
        stamps[empty] = None
        return stamps

    def day(self, offsets: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(self.today64 + np.asarray(offsets, dtype=np.int64), unit="D").astype(object)

    def build(self, *, specialists: list[int], support: list[int]) -> None:
        customers_generate(self)
        chains_generate(self, specialists)
        complaints_generate(self, support)
        surveys_generate(self, support)


def customers_generate(book: Book) -> None:
    """Individuals (Chinese names) and businesses (city, firm, industry), phones written three ways."""
    rng, n = book.rng, book.n_customers
    ids = book.ids[Customer] + 1 + np.arange(n)
    business = rng.random(n) < 0.07
    sur = pick(rng, [1 / (i + 1) ** 0.8 for i in range(len(SURNAMES))], n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.65
    city = rng.integers(0, len(CITIES), n)
    firm = rng.integers(0, len(FIRM_WORDS), n)
    industry = rng.integers(0, len(INDUSTRIES), n)
    sur_zh = [s.rstrip("abcdefghijklmnopqrstuvwxyz") for s in SURNAMES]
    sur_py = [s[len(z) :] for s, z in zip(SURNAMES, sur_zh, strict=True)]
    giv_zh = [g[0] for g in GIVEN]
    giv_py = [g[1:] for g in GIVEN]
    add = np.strings.add
    sur_zh, sur_py = np.array(sur_zh)[sur], np.array(sur_py)[sur]
    given_zh = add(np.array(giv_zh)[g1], np.where(two, np.array(giv_zh)[g2], ""))
    given_py = add(np.array(giv_py)[g1], np.where(two, np.array(giv_py)[g2], ""))
    city_firm = add(np.array([c for c, _ in CITIES])[city], np.array(FIRM_WORDS)[firm])
    firm_names = add(add(city_firm, np.array(INDUSTRIES)[industry]), "有限公司")
    names = np.where(business, firm_names, add(sur_zh, given_zh))
    handles = np.where(business, add("office", ids.astype(str)), add(sur_py, given_py))
    region = np.array([p for p, _ in PROVINCES], dtype=object)[pick(rng, [w for _, w in PROVINCES], n)]
    region[business] = np.array([c[1] for c in CITIES], dtype=object)[city[business]]
    segment = np.where(
        business,
        np.array(["standard", "high_value", "vip"], dtype=object)[pick(rng, [0.55, 0.33, 0.12], n)],
        np.array(["standard", "high_value", "vip"], dtype=object)[pick(rng, [0.82, 0.14, 0.04], n)],
    )
    digits = np.char.add(
        np.array(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), n)],
        np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8),
    )
    style = rng.random(n)
    cut = np.strings.slice
    dashed = add(add(add(add(cut(digits, 0, 3), "-"), cut(digits, 3, 7)), "-"), cut(digits, 7, 11))
    spaced = np.char.replace(dashed, "-", " ")
    phone = np.where(style < 0.80, digits, np.where(style < 0.92, dashed, spaced)).astype(object)
    number = rng.integers(1960, 2005, n).astype(str)
    with_number = rng.random(n) < 0.6
    domain = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), n)]
    local_part = add(handles, np.where(with_number & ~business, number, ""))
    email = add(add(local_part, "@"), domain.astype(str)).astype(object)
    no_email = rng.random(n) < 0.04
    email[no_email] = ""
    channel = np.array(["sms", "phone", "email"], dtype=object)[pick(rng, [0.55, 0.25, 0.20], n)]
    channel[no_email & (channel == "email")] = "sms"
    language = np.where(rng.random(n) < 0.95, "zh-hans", "en").astype(object)
    created = -(rng.random(n) * 8 * 365 + 400)
    book.customers = pd.DataFrame(
        {
            "id": ids,
            "external_ref": np.char.add("CRM", np.char.zfill(ids.astype(str), 9)).astype(object),
            "kind": np.where(business, "business", "individual").astype(object),
            "name": names.astype(object),
            "phone": phone,
            # The search key, through the one normalisation search and import use.
            "phone_digits": phone_digits_series(pd.Series(phone)).to_numpy(dtype=object),
            "email": email,
            "region": region,
            "segment": segment,
            "preferred_channel": channel,
            "preferred_language": language,
            "consent_email": ~no_email & (rng.random(n) > 0.03),
            "consent_sms": rng.random(n) > 0.04,
            "consent_phone": rng.random(n) > 0.02,
            "marketing_opt_out": rng.random(n) < 0.08,
            "time_zone": "",
            "created_at": book.ts(created),
            "updated_at": book.ts(created),
        }
    )
    book.customer_business = business
    book.customer_segment = segment
