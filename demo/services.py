"""The demo's entry points: seed the book, empty the domain tables, make the demo users."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from analytics.selectors.price_sensitivity import book_curve_refresh
from customers.models import Complaint, Customer, SurveyResponse
from demo.addons import seed_addon_history
from demo.book import Book
from demo.competitors import seed_competitor_history
from demo.loader import Loader
from demo.notice_rules import notice_rules_demo_seed
from demo.open_cases import due_cases_open, open_cases_progress
from demo.playbooks import attribute_history, seed_playbooks
from demo.reference import DEMO_USERS
from renewals import services as renewals_services
from renewals.models import CaseEvent, Policy, Quote, RenewalCase


@dataclass
class SeedReport:
    """What a seed made and how long each phase took; ``line()`` is the command's summary."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        parts = ", ".join(f"{name} {n:,}" for name, n in self.counts.items())
        return f"{parts} in {sum(self.seconds.values()):.1f} s"


def ensure_demo_users() -> list[User]:
    """Create (or refresh) the demo users in their groups with settings.DEMO_PASSWORD."""
    users = []
    password = make_password(settings.DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    for username, full_name, role in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.last_name, user.email = full_name, "", f"{username}@example.com"
        user.password = password
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        users.append(user)
    return users


def domain_reset() -> None:
    """Empty the customer/policy/case tables and every table that points at them."""
    roots = [Customer, Policy, RenewalCase]
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in roots)
        with connection.cursor() as cursor:
            # Inside an outer transaction, deferred foreign-key checks must run before a TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    # SQLite: delete from the roots and everything that (transitively) references them.
    doomed = set(roots)
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in doomed:
                continue
            if any(f.is_relation and f.concrete and f.related_model in doomed for f in model._meta.get_fields()):
                doomed.add(model)
                changed = True
    with transaction.atomic(), connection.cursor() as cursor:
        for model in doomed:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def seed(*, customers: int, policies: int, seed: int = 1, today: dt.date | None = None, out=None) -> SeedReport:
    """Generate and load the demo book. The tables should be empty (see ``domain_reset``)."""
    today = today or timezone.localdate()
    report = SeedReport()
    say = out or (lambda msg: None)
    users = ensure_demo_users()
    specialists = [u.pk for u in users if u.username.startswith("specialist")]
    support = [u.pk for u in users if u.username.startswith("support")]

    started = time.perf_counter()
    book = Book(customers=customers, policies=policies, seed=seed, today=today)
    book.build(specialists=specialists, support=support)
    report.seconds["generate"] = time.perf_counter() - started
    say(f"generated in {report.seconds['generate']:.1f} s")

    started = time.perf_counter()
    loader = Loader()
    with (
        transaction.atomic(),
        loader.bulk_load_mode([Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse]),
    ):
        loader.load(Customer, book.customers)
        loader.load(Policy, book.policies)
        loader.load(RenewalCase, book.cases)
        loader.load(CaseEvent, book.events)
        loader.load(Complaint, book.complaints)
        loader.load(SurveyResponse, book.surveys)
        loader.reset_sequences([Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse, Quote])
    report.seconds["load"] = time.perf_counter() - started
    say(f"loaded in {report.seconds['load']:.1f} s")

    seed_playbooks()  # before the window scan, so the demo's open cases get their playbooks
    started = time.perf_counter()
    opened = due_cases_open(book, loader)
    progressed = open_cases_progress(book, loader, specialists)
    renewals_services.cases_priority_recompute()  # the loaded open cases, on the queue's one scale
    report.seconds["open cases"] = time.perf_counter() - started
    say(f"opened {opened:,} cases, worked {progressed:,} of them in {report.seconds['open cases']:.1f} s")

    attribute_history()
    started = time.perf_counter()
    taken = seed_addon_history(seed=seed, today=today)
    report.seconds["add-ons"] = time.perf_counter() - started
    say(f"offered add-ons on last year's renewals, {taken:,} taken, in {report.seconds['add-ons']:.1f} s")

    started = time.perf_counter()
    counted = seed_competitor_history(seed=seed, today=today)
    report.seconds["competitors"] = time.perf_counter() - started
    say(f"quoted {counted['quotes']:,} decided cases, {counted['competitor rows']:,} competitor quotes and losses")
    book_curve_refresh(today=today)  # the quote preview's curve, as the nightly task counts it

    manager = next((u for u in users if u.groups.filter(name="manager").exists()), None)
    if manager is not None:
        rules = notice_rules_demo_seed(today=today, manager=manager)
        say(f"added {rules} notice rules (a region with a window, a later version, an adverse-change threshold)")

    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for model in (Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse, Quote):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        report.seconds["analyze"] = time.perf_counter() - started

    report.counts = {
        "customers": len(book.customers),
        "policies": len(book.policies),
        "cases": RenewalCase.objects.count(),
        "complaints": len(book.complaints),
        "survey responses": len(book.surveys),
    }
    return report
