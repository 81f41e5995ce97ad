"""A short run of the load test (bench/load/locustfile.py) against a real gunicorn on the test database.

3 specialists, 1 support and 1 manager for ~15 s over TLS with the production settings (the bench
runs 40/5/5 for five minutes on the full book, with beat and a worker; here only gunicorn, to stay
well under a minute). The checks compare the database with counts taken from locust's own log of
successful writes (a file the locust process appends to), not with the application's code paths.
"""

from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command

from bench.load import runner
from bench.load.setup import load_accounts_prepare
from customers.models import Complaint, SurveyResponse
from renewals.models import CaseEvent, RenewalCase

SECONDS = 15
COUNTS = (3, 1, 1)

# Every request kind of the three user classes; a decision is a renewal or a loss.
KINDS = {
    "GET queue",
    "GET queue search (htmx)",
    "GET case",
    "GET case (after a write)",
    "POST contact",
    "GET quote preview (htmx)",
    "POST quote",
    "GET complaint queue",
    "GET complaint new",
    "POST customer picker (htmx)",
    "GET complaint new (customer)",
    "POST complaint",
    "GET complaint detail",
    "GET surveys",
    "GET survey record",
    "POST survey answer",
    "GET dashboard",
    "GET team scorecard",
    "GET KPI API",
}


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_short_load_run_has_no_errors_and_every_write_lands(tmp_path):
    # given a small demo book and load accounts, each specialist with its own open cases
    call_command("seed_demo", policies=3000, customers=1500, seed=7, skip_derived=True, verbosity=0)
    call_command("refresh_rollups", verbosity=0)
    accounts = load_accounts_prepare(specialists=COUNTS[0], support=COUNTS[1], managers=COUNTS[2], cases_each=15)
    assert accounts["cases_handed"] >= 30
    env = runner.production_env(
        _database_url(),
        settings.REDIS_URL,
        LOAD_ROUND_ROBIN="1",
        LOAD_STALE_SHARE="0.5",
        LOAD_THINK_MIN="0.05",
        LOAD_THINK_MAX="0.2",
        # Unhashed static files: collectstatic with compression takes minutes; locust fetches no assets.
        STATIC_MANIFEST="0",
    )
    stack = runner.Stack(env=env, workdir=tmp_path).start(celery=False)
    # when locust runs the bench's script against it
    try:
        run = runner.run_locust(
            host=stack.url, users=accounts, seconds=SECONDS, counts=COUNTS, workdir=tmp_path, env=env
        )
    finally:
        stack.stop()
    assert run.returncode == 0, run.output
    stats = {(row["Type"], row["Name"]): row for row in run.stats if row["Name"] != "Aggregated"}
    # then nothing failed
    failed = {name: row["Failure Count"] for (_type, name), row in stats.items() if int(row["Failure Count"])}
    assert failed == {}, (failed, (tmp_path / "locust_failures.csv").read_text())
    # and every request kind ran at least once, with a decision and a CSV export among them
    ran = {name for (_type, name), row in stats.items() if int(row["Request Count"])}
    assert KINDS - ran == set()
    assert ran & {"POST renew", "POST lost"}
    assert ran & {"GET dashboard export (CSV)", "GET team export (CSV)"}
    # and the writes locust saw succeed are in the database, once each
    log = run.writes
    contacts = [w for w in log if w["kind"] == "contact"]
    assert contacts
    timeline_notes = Counter(
        CaseEvent.objects.filter(kind=CaseEvent.Kind.CONTACT, payload__note__startswith="load load-").values_list(
            "case_id", "payload__note"
        )
    )
    assert timeline_notes == Counter((w["case"], w["note"]) for w in contacts)
    # and the stale forms (a version read before the contact) were refused, counted apart, and left no trace
    refused = [w for w in log if w["kind"] == "conflict"]
    assert refused, "LOAD_STALE_SHARE=0.5 should have produced stale posts"
    conflict_rows = sum(int(row["Request Count"]) for (kind, _name), row in stats.items() if kind == "CONFLICT")
    assert 0 < conflict_rows <= len(refused)  # the last seconds' events may miss locust's final CSV
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.CONTACT, payload__note__startswith="stale ").exists()
    # and each decided case carries the outcome locust saw, with one closing event
    decided = {w["case"]: w["outcome"] for w in log if w["kind"] == "decide"}
    assert decided
    for case in RenewalCase.objects.filter(pk__in=list(decided)):
        assert case.stage == decided[case.pk]
        closings = case.events.filter(kind__in=[CaseEvent.Kind.RENEWED, CaseEvent.Kind.LOST]).count()
        assert closings == 1, case.pk
        assert (case.successor_policy_id is not None) == (case.stage == "renewed")
    assert RenewalCase.objects.filter(pk__in=list(decided)).count() == len(decided)
    # and the complaints and NPS answers are there
    complaints = [w["description"] for w in log if w["kind"] == "complaint"]
    assert complaints
    assert sorted(
        Complaint.objects.filter(description__startswith="load complaint ").values_list("description", flat=True)
    ) == sorted(complaints)
    surveys = [w["comment"] for w in log if w["kind"] == "survey"]
    assert surveys
    assert sorted(
        SurveyResponse.objects.filter(comment__startswith="load nps ").values_list("comment", flat=True)
    ) == sorted(surveys)
    # and the bench's checker agrees
    assert runner.verify_writes(log)["lost_updates"] == 0
