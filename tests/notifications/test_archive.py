"""The history archive (notifications.archive, docs/retention.md): what moves, what never moves, what
the pages still show, retention, and two archive runs at once in two real processes."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from notifications.archive import history_archive, months_before
from notifications.models import ArchivedMessage, NoticeProof, OutboundMessage
from notifications.services.planning import reminders_plan
from renewals.models import ArchivedCaseEvent, CaseEvent, RenewalCase, Stage
from renewals.services.workflow import case_reopen
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import CASE_PAGE_QUERIES, PolicyFactory, RenewalCaseFactory

Status = OutboundMessage.Status
NOW = timezone.now()
TODAY = timezone.localdate(NOW)


@pytest.fixture(autouse=True)
def _thirteen_hot_months(settings):
    """The hand-counted cases below sit either side of a 13-month hot window (the default is 25)."""
    settings.HISTORY_HOT_MONTHS = 13


def _days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def closed_case(*, due_days_ago: int, closed_days_ago: int, stage=Stage.LAPSED) -> RenewalCase:
    policy = PolicyFactory(end_date=TODAY - dt.timedelta(days=due_days_ago))
    return RenewalCaseFactory(policy=policy, stage=stage, closed_at=_days_ago(closed_days_ago))


def event(case, *, days_ago: int, note: str = "", actor=None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.NOTE, actor=actor, payload={"note": note}, created_at=_days_ago(days_ago)
    )


def message(case, offset: int, channel: str, status: str, **extra) -> OutboundMessage:
    fields = {"skip_reason": "opted_out"} if status == Status.SKIPPED else {}
    fields.update(extra)
    if status == Status.SENT:
        fields["sent_at"] = timezone.make_aware(dt.datetime.combine(case.due_date, dt.time(10)))
    return OutboundMessageFactory(
        case=case, step=step(case.line.code, offset, channel), status=status, created_at=_days_ago(600), **fields
    )


@pytest.fixture
def old_book(db):
    """One case closed 500 days ago (its history is archivable) beside cases whose history must stay:
    closed recently, open with an old expiry, and a campaign message of the old case's customer."""
    old = closed_case(due_days_ago=520, closed_days_ago=500)
    events = [event(old, days_ago=days, note=f"old note {days}") for days in (560, 540, 510)]
    movable = [
        message(old, -45, "email", Status.SKIPPED, skip_reason="case_closed"),  # a notice never sent
        message(old, -30, "sms", Status.SENT),
        message(old, -14, "sms", Status.FAILED, error="gateway said no"),
        OutboundMessageFactory(
            case=old,
            kind=OutboundMessage.Kind.SURVEY,
            step=None,
            channel="email",
            is_notice=False,
            due_date=old.due_date + dt.timedelta(days=25),
            status=Status.SENT,
            created_at=_days_ago(500),
        ),
    ]
    staying = [
        message(old, -7, "call", Status.SCHEDULED),  # pending: never moves
        message(
            old, -1, "sms", Status.SENDING, lease_until=NOW + dt.timedelta(minutes=5), attempts=1
        ),  # leased: never moves
    ]
    recent = closed_case(due_days_ago=200, closed_days_ago=180)
    recent_events = [event(recent, days_ago=190)]
    recent_messages = [message(recent, -30, "sms", Status.SENT)]
    still_open = RenewalCaseFactory(policy=PolicyFactory(end_date=TODAY - dt.timedelta(days=520)))
    open_events = [event(still_open, days_ago=530)]
    open_messages = [message(still_open, -30, "sms", Status.SENT)]
    campaign = OutboundMessageFactory(
        case=None,
        customer=old.customer,
        line=None,
        step=None,
        kind=OutboundMessage.Kind.CAMPAIGN,
        campaign_message_id=1,
        channel="email",
        is_notice=False,
        due_date=TODAY - dt.timedelta(days=600),
        address=old.customer.email,
        status=Status.SENT,
        created_at=_days_ago(600),
    )
    return {
        "old": old,
        "events": events,
        "movable": movable,
        "staying": staying,
        "kept_events": recent_events + open_events,
        "kept_messages": recent_messages + open_messages + [campaign],
    }


def _hot_ids(model, rows) -> set[int]:
    return set(model.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))


def test_the_archive_moves_closed_cases_final_history_and_nothing_else(old_book):
    # given one old closed case with 3 events and 4 final messages, and history that must stay
    before = OutboundMessage.objects.filter(pk=old_book["movable"][2].pk).values().get()
    # when the archive runs with 13 hot months
    result = history_archive(now=NOW)
    # then exactly the 3 events and the 4 final messages of that one case moved
    assert (result.cases, result.events, result.messages) == (1, 3, 4)
    assert set(ArchivedCaseEvent.objects.values_list("pk", flat=True)) == {e.pk for e in old_book["events"]}
    assert set(ArchivedMessage.objects.values_list("pk", flat=True)) == {m.pk for m in old_book["movable"]}
    assert _hot_ids(CaseEvent, old_book["events"]) == set()
    assert _hot_ids(OutboundMessage, old_book["movable"]) == set()
    # with their ids and every column unchanged
    archived = ArchivedMessage.objects.filter(pk=before["id"]).values().get()
    assert {key: archived[key] for key in before} == before and archived["archived_at"] == NOW
    # and the pending and leased rows of the same case, the recent and open cases' history and the
    # campaign message are all still in the hot tables
    assert _hot_ids(OutboundMessage, old_book["staying"]) == {m.pk for m in old_book["staying"]}
    assert _hot_ids(OutboundMessage, old_book["kept_messages"]) == {m.pk for m in old_book["kept_messages"]}
    assert _hot_ids(CaseEvent, old_book["kept_events"]) == {e.pk for e in old_book["kept_events"]}


def test_a_second_run_moves_nothing(old_book):
    first = history_archive(now=NOW)
    second = history_archive(now=NOW)
    assert (first.events, first.messages) == (3, 4)
    assert (second.cases, second.events, second.messages) == (0, 0, 0)
    assert (ArchivedCaseEvent.objects.count(), ArchivedMessage.objects.count()) == (3, 4)


def test_pending_and_leased_rows_never_move_however_old(old_book):
    # even with the shortest hot window and the leased row's lease long expired
    OutboundMessage.objects.filter(status=Status.SENDING).update(lease_until=_days_ago(400))
    history_archive(now=NOW + dt.timedelta(days=3650))
    assert not ArchivedMessage.objects.filter(status__in=[Status.SCHEDULED, Status.SENDING]).exists()
    assert _hot_ids(OutboundMessage, old_book["staying"]) == {m.pk for m in old_book["staying"]}


def test_a_notice_with_its_proof_stays_and_so_does_the_proof(db):
    case = closed_case(due_days_ago=520, closed_days_ago=500)
    notice = message(case, -45, "email", Status.SENT)
    NoticeProof.objects.create(
        case=case,
        message=notice,
        sent_at=notice.sent_at,
        channel="email",
        address=notice.address,
        content_hash="a" * 64,
        deadline=case.due_date - dt.timedelta(days=30),
    )
    # when the archive and retention run ten years later
    result = history_archive(now=NOW + dt.timedelta(days=3650))
    assert result.messages == 0
    assert OutboundMessage.objects.filter(pk=notice.pk).exists() and NoticeProof.objects.filter(case=case).exists()


def test_the_case_page_of_an_archived_case_shows_its_history(
    old_book, client_for, manager, django_assert_max_num_queries
):
    old = old_book["old"]
    event(old, days_ago=1, note="hot note after archive")
    history_archive(now=NOW)
    client = client_for(manager)
    # the case page: the archived events and the hot one, newest first, within the query budget
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        body = client.get(f"/cases/{old.pk}/").content.decode()
    positions = [
        body.index(text) for text in ("hot note after archive", "old note 510", "old note 540", "old note 560")
    ]
    assert positions == sorted(positions)
    # the case's message log lists the archived messages with the hot ones, in step order
    rows = client.get(f"/notifications/cases/{old.pk}/messages/").context["rows"]
    expected = sorted(old_book["movable"] + old_book["staying"], key=lambda m: (m.due_date, m.pk))
    assert [row.pk for row in rows] == [m.pk for m in expected]
    assert {row.pk for row in rows if getattr(row, "archived", False)} == {m.pk for m in old_book["movable"]}
    # and the customer's message history too (the campaign message is the customer's as well)
    rows = client.get(f"/notifications/customers/{old.customer_id}/messages/").context["rows"]
    assert {row.pk for row in rows} == {m.pk for m in old_book["movable"] + old_book["staying"]} | {
        old_book["kept_messages"][-1].pk
    }


def test_planning_never_replans_an_archived_case_even_reopened(old_book, manager):
    old = old_book["old"]
    history_archive(now=NOW)
    hot_before = set(OutboundMessage.objects.filter(case=old).values_list("pk", flat=True))
    # when a manager reopens the archived case and planning runs (also with a long catch-up)
    case_reopen(case_id=old.pk, actor=manager, decision_date=TODAY + dt.timedelta(days=7))
    reminders_plan(on_date=TODAY)
    reminders_plan(on_date=TODAY, catch_up_days=30)
    # then no step of it was planned again (its expiry is far outside every step's window)
    assert set(OutboundMessage.objects.filter(case=old).values_list("pk", flat=True)) == hot_before
    # and the reopened case is left alone by the next archive run (it is open)
    assert history_archive(now=NOW).cases == 0


def test_retention_deletes_archived_rows_beyond_the_limit_only(db, settings):
    settings.HISTORY_RETENTION_MONTHS = 84
    limit = months_before(NOW, 84)
    case = closed_case(due_days_ago=3000, closed_days_ago=2990)
    fresh = [event(case, days_ago=0) for _ in range(2)]  # hot: created after the cut-off
    # archived rows on both sides of the limit, written straight into the archive
    for index, created in enumerate([limit - dt.timedelta(days=1), limit - dt.timedelta(seconds=1)]):
        ArchivedCaseEvent.objects.create(
            id=10_000_000 + index, case=case, kind="note", created_at=created, archived_at=NOW, payload={}
        )
    for index, created in enumerate([limit + dt.timedelta(seconds=1), limit + dt.timedelta(days=30)]):
        ArchivedCaseEvent.objects.create(
            id=10_000_100 + index, case=case, kind="note", created_at=created, archived_at=NOW, payload={}
        )
    old_message = message(case, -30, "sms", Status.SENT)
    OutboundMessage.objects.filter(pk=old_message.pk).update(created_at=limit - dt.timedelta(days=2))
    result = history_archive(now=NOW)
    # the old message moved and was deleted with the two events beyond the limit; the rest stays
    assert (result.messages, result.deleted_events, result.deleted_messages) == (1, 2, 1)
    assert set(ArchivedCaseEvent.objects.values_list("pk", flat=True)) == {10_000_100, 10_000_101}
    assert not ArchivedMessage.objects.exists()
    assert set(CaseEvent.objects.filter(case=case).values_list("pk", flat=True)) == {e.pk for e in fresh}
    # retention 0 keeps the archive for ever
    settings.HISTORY_RETENTION_MONTHS = 0
    assert history_archive(now=NOW + dt.timedelta(days=36500)).deleted_events == 0


def test_the_command_reports_what_it_moved(old_book, capsys):
    call_command("archive_history")
    out = capsys.readouterr().out
    assert "archived 3 events and 4 messages of 1 cases (hot: 13 months" in out


# An archive process: sets Django up, says "ready", waits for "go", runs the archive and prints
# what it moved.
WORKER = """
import datetime as dt, json, sys
import django
django.setup()
from notifications.archive import history_archive
print("ready", flush=True)
sys.stdin.readline()
result = history_archive(now=dt.datetime.fromisoformat(sys.argv[1]), chunk=int(sys.argv[2]))
print(json.dumps({"cases": result.cases, "events": result.events, "messages": result.messages,
                  "busy": result.busy}), flush=True)
"""

RACE_CASES = 60


@pytest.mark.django_db(transaction=True)
def test_two_archive_runs_at_once_neither_duplicate_nor_lose_a_row():
    # given 60 old closed cases with 2 events and 2 final messages each
    event_ids, message_ids = set(), set()
    for index in range(RACE_CASES):
        case = closed_case(due_days_ago=500 + index, closed_days_ago=480)
        event_ids |= {event(case, days_ago=490).pk, event(case, days_ago=485).pk}
        message_ids |= {message(case, -30, "sms", Status.SENT).pk, message(case, -14, "sms", Status.SKIPPED).pk}
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        HISTORY_HOT_MONTHS="13",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    )
    # when two archive processes start at the same moment, in chunks of 3 cases
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, NOW.isoformat(), "3"],
            env=env,
            cwd=settings.BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers), [err for _out, err in outputs]
    import json

    results = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    # then every row is in the archive exactly once and gone from the hot tables
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT id) FROM renewals_archivedcaseevent")
        assert cursor.fetchone() == (2 * RACE_CASES, 2 * RACE_CASES)
        cursor.execute("SELECT count(*), count(DISTINCT id) FROM notifications_archivedmessage")
        assert cursor.fetchone() == (2 * RACE_CASES, 2 * RACE_CASES)
    assert set(ArchivedCaseEvent.objects.values_list("pk", flat=True)) == event_ids
    assert set(ArchivedMessage.objects.values_list("pk", flat=True)) == message_ids
    assert not CaseEvent.objects.filter(pk__in=event_ids).exists()
    assert not OutboundMessage.objects.filter(pk__in=message_ids).exists()
    # and the two runs' own counts add up to the rows moved: no row was counted (moved) twice
    assert sum(r["events"] for r in results) == 2 * RACE_CASES
    assert sum(r["messages"] for r in results) == 2 * RACE_CASES


def test_the_nightly_task_is_registered_under_the_beat_schedule_name():
    from config.celery import BEAT_SCHEDULE, app

    name = BEAT_SCHEDULE["archive-history"]["task"]
    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert name == "notifications.archive.archive_history" and name in app.tasks
