"""Campaign messages and call tasks through notifications' outbox: sent once by the real dispatch,
refused without consent or with a marketing opt-out, held in the quiet hours, counted in the daily
cap; call tasks balanced over the specialists and carrying the campaign's offer."""

import datetime as dt
import re
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from campaigns import selectors, services
from campaigns.models import CampaignMember, CampaignMessage
from core.errors import ApplicationError
from customers.models import Customer
from notifications import services as notifications
from notifications.links import MARKETING, unsubscribe_url
from notifications.models import ConsentChange, OutboundMessage
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.notifications.conftest import sms_gateway  # noqa: F401 (the local SMS gateway fixture)
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
START = dt.date(2026, 6, 1)
END = dt.date(2026, 6, 30)
# The nightly run (03:30) and the desk's working hours on the campaign's first day.
NIGHT = dt.datetime(2026, 6, 1, 3, 30, tzinfo=ZONE)
MORNING = dt.datetime(2026, 6, 1, 10, 0, tzinfo=ZONE)
M = OutboundMessage


def lapsed(**contact) -> Customer:
    contact.setdefault("preferred_language", "en")
    contact.setdefault("time_zone", settings.TIME_ZONE)
    customer = CustomerFactory(lifecycle_stage=Customer.LifecycleStage.LAPSED, **contact)
    PolicyFactory(customer=customer, start_date=dt.date(2025, 4, 1), end_date=dt.date(2026, 3, 31))
    return customer


def started(manager, *, steps, **overrides):
    campaign = services.campaign_create(
        name="Come back",
        actor=manager,
        starts_on=START,
        ends_on=END,
        stages=[Customer.LifecycleStage.LAPSED],
        steps=steps,
        **overrides,
    )
    services.campaign_start(campaign_id=campaign.pk, actor=manager, on_date=START)
    return campaign


EMAIL_STEP = {"offset_days": 0, "channel": "email", "body": "Dear {{ customer_name }}, we would love to have you back."}
SMS_STEP = {"offset_days": 0, "channel": "sms", "body": "We miss you, {{ customer_name }}."}


def test_a_campaign_email_is_sent_exactly_once_through_the_outbox(manager):
    # given a lapsed customer who may get e-mail, in a running campaign with one e-mail on day 0
    customer = lapsed(name="Ada Lovelace", consent_sms=False)
    campaign = started(manager, steps=[EMAIL_STEP])
    # when the nightly run hands the day's messages over, twice (a re-run)
    services.campaigns_run_due(on_date=START, now=NIGHT)
    services.campaigns_run_due(on_date=START, now=NIGHT)
    # then there is one outbox row, with no case, going out from 09:00 on its day
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert row.case_id is None and row.customer_id == customer.pk and row.status == M.Status.SCHEDULED
    assert row.next_attempt_at == dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZONE)
    assert CampaignMessage.objects.get().outbox_message_id == row.pk
    # and dispatch at night sends nothing yet; in the morning it sends it once, however often it runs
    assert notifications.messages_dispatch_due(now=NIGHT) == {}
    assert notifications.messages_dispatch_due(now=MORNING) == {"sent": 1}
    assert notifications.messages_dispatch_due(now=MORNING + dt.timedelta(hours=1)) == {}
    services.campaigns_run_due(on_date=START, now=MORNING)
    assert notifications.messages_dispatch_due(now=MORNING + dt.timedelta(hours=2)) == {}
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.email]
    assert email.subject == "A message from your insurer"
    assert email.body.startswith("Dear Ada Lovelace, we would love to have you back.")
    assert email.extra_headers["X-Idempotency-Key"] == str(row.pk)
    row.refresh_from_db()
    assert row.status == M.Status.SENT and "Ada Lovelace" in row.body
    # and the campaign page counts it as sent for its step
    (counts,) = selectors.campaign_step_counts(campaign=campaign)
    assert (counts["planned"], counts["sent"], counts["skipped"], counts["waiting"]) == (1, 1, 0, 0)


def test_a_marketing_opt_out_after_planning_refuses_the_message(manager):
    # given a planned campaign e-mail
    customer = lapsed(consent_sms=False)
    started(manager, steps=[EMAIL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    # when the customer opts out of marketing (e-mail consent stays: reminders may still reach them)
    Customer.objects.filter(pk=customer.pk).update(marketing_opt_out=True)
    totals = notifications.messages_dispatch_due(now=MORNING)
    # then the campaign message is skipped as opted out and nothing is sent
    assert totals == {"skipped": 1}
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert (row.status, row.skip_reason) == (M.Status.SKIPPED, M.SkipReason.OPTED_OUT)
    assert mail.outbox == []


def test_no_consent_for_the_steps_channel_is_skipped_when_planned(manager):
    # given a customer reachable by SMS only, and a campaign e-mail
    customer = lapsed(consent_email=False)
    campaign = started(manager, steps=[EMAIL_STEP])
    # when the run hands the e-mail over
    services.campaigns_run_due(on_date=START, now=NIGHT)
    # then its row is skipped as opted out at once, and dispatch sends nothing
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert (row.customer_id, row.status, row.skip_reason) == (customer.pk, M.Status.SKIPPED, M.SkipReason.OPTED_OUT)
    assert notifications.messages_dispatch_due(now=MORNING) == {}
    assert mail.outbox == []
    (counts,) = selectors.campaign_step_counts(campaign=campaign)
    assert (counts["planned"], counts["sent"], counts["skipped"]) == (1, 0, 1)


def test_a_campaign_sms_is_held_in_the_quiet_hours_and_sent_in_the_morning(manager, sms_gateway):  # noqa: F811
    # given a campaign SMS planned for day 0, and dispatch running late that evening (22:30)
    lapsed(name="Wang Fang")
    started(manager, steps=[SMS_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    evening = dt.datetime(2026, 6, 1, 22, 30, tzinfo=ZONE)
    # when dispatch runs in the quiet hours
    assert notifications.messages_dispatch_due(now=evening) == {"deferred": 1}
    # then it is held until the quiet hours end, not dropped
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert row.status == M.Status.SCHEDULED and row.defer_reason == M.DeferReason.QUIET_HOURS
    assert row.next_attempt_at == dt.datetime(2026, 6, 2, 8, 0, tzinfo=ZONE)
    assert sms_gateway.requests == []
    # and the next morning it goes out, once
    assert notifications.messages_dispatch_due(now=dt.datetime(2026, 6, 2, 8, 5, tzinfo=ZONE)) == {"sent": 1}
    assert len(sms_gateway.requests) == 1
    assert "We miss you, Wang Fang." in sms_gateway.requests[0]["body"]["text"]


def test_a_campaign_message_takes_the_customers_one_message_a_day(manager):
    # given a customer with a campaign e-mail (due 09:00) and, the same day, a renewal reminder SMS
    # of another policy due at 10:00
    customer = lapsed()
    started(manager, steps=[EMAIL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer, end_date=dt.date(2026, 7, 1)))
    reminder = OutboundMessageFactory(
        case=case, step=step("auto", -30, "sms"), scheduled_for=MORNING, next_attempt_at=MORNING
    )
    # when dispatch runs that morning
    totals = notifications.messages_dispatch_due(now=MORNING)
    # then the campaign e-mail (due first) is sent and takes the customer's day: the reminder waits
    # for the next morning
    assert totals == {"sent": 1, "deferred": 1}
    assert M.objects.get(kind=M.Kind.CAMPAIGN).status == M.Status.SENT
    reminder.refresh_from_db()
    assert (reminder.status, reminder.defer_reason) == (M.Status.SCHEDULED, M.DeferReason.DAILY_CAP)
    assert reminder.next_attempt_at == dt.datetime(2026, 6, 2, 8, 0, tzinfo=ZONE)
    assert len(mail.outbox) == 1


def test_a_campaign_message_gives_way_to_a_reminder_sent_earlier_that_day(manager):
    # given a reminder SMS the customer already got at 08:30, and a campaign e-mail due at 09:00
    customer = lapsed()
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer, end_date=dt.date(2026, 7, 1)))
    early = MORNING - dt.timedelta(minutes=90)
    OutboundMessageFactory(case=case, step=step("auto", -30, "sms"), scheduled_for=early, next_attempt_at=early)
    assert notifications.messages_dispatch_due(now=early) == {"sent": 1}
    started(manager, steps=[EMAIL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    # when dispatch runs at 10:00
    assert notifications.messages_dispatch_due(now=MORNING) == {"deferred": 1}
    # then the campaign message is deferred by the daily cap, nothing is e-mailed
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert (row.status, row.defer_reason) == (M.Status.SCHEDULED, M.DeferReason.DAILY_CAP)
    assert mail.outbox == []


def test_unsent_messages_of_a_customer_who_came_back_are_skipped(manager):
    # given a campaign e-mail planned, but not sent yet
    customer = lapsed(consent_sms=False)
    started(manager, steps=[EMAIL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    # when the customer takes a new policy before it goes out, and the next run sees it
    PolicyFactory(customer=customer, start_date=START, end_date=dt.date(2027, 5, 31))
    services.campaigns_run_due(on_date=START, now=NIGHT + dt.timedelta(minutes=5))
    # then the message is skipped (outcome known) and dispatch sends nothing
    assert CampaignMember.objects.get().outcome == CampaignMember.Outcome.REACTIVATED
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert (row.status, row.skip_reason) == (M.Status.SKIPPED, M.SkipReason.OUTCOME_KNOWN)
    assert notifications.messages_dispatch_due(now=MORNING) == {}


def test_the_hold_out_of_a_campaign_experiment_gets_no_outbox_row(manager):
    for _index in range(40):
        lapsed(consent_sms=False)
    campaign = started(manager, steps=[EMAIL_STEP], with_holdout=True)
    services.campaigns_run_due(on_date=START, now=NIGHT)
    holdout = set(
        CampaignMember.objects.filter(campaign=campaign, arm__is_holdout=True).values_list("customer_id", flat=True)
    )
    messaged = set(M.objects.filter(kind=M.Kind.CAMPAIGN).values_list("customer_id", flat=True))
    assert holdout and not holdout & messaged
    assert len(messaged) == 40 - len(holdout)


# --- call tasks ---------------------------------------------------------------------------


CALL_STEP = {"offset_days": 2, "channel": "call", "body": "Ask what made them leave."}


def test_call_tasks_are_balanced_over_the_specialists_and_carry_the_offer(manager):
    # given two specialists with no open cases, and six lapsed customers with equal premiums
    first = make_user("caller-1", "specialist")
    second = make_user("caller-2", "specialist")
    customers = [lapsed() for _index in range(6)]
    campaign = started(manager, steps=[CALL_STEP], offer_discount_percent=Decimal("8.00"))
    # when the run of day 2 plans the call step
    services.campaigns_run_due(on_date=START + dt.timedelta(days=2), now=NIGHT + dt.timedelta(days=2))
    # then each customer has one call task, three per specialist, with the brief and the offer
    tasks = list(M.objects.filter(kind=M.Kind.CAMPAIGN, channel="call"))
    assert sorted(task.customer_id for task in tasks) == sorted(customer.pk for customer in customers)
    assert sorted(
        [sum(task.assignee_id == first.pk for task in tasks), sum(task.assignee_id == second.pk for task in tasks)]
    ) == [3, 3]
    assert all(task.status == M.Status.SCHEDULED for task in tasks)
    # (the offer as data: the call list says it in its viewer's language)
    assert {(task.body, task.offer_percent) for task in tasks} == {("Ask what made them leave.", Decimal("8.00"))}
    # and dispatch never sends a call task
    assert notifications.messages_dispatch_due(now=MORNING + dt.timedelta(days=2)) == {}
    (counts,) = selectors.campaign_step_counts(campaign=campaign)
    assert (counts["planned"], counts["waiting"]) == (6, 6)


def test_a_call_tasks_offer_reads_in_the_viewers_language_not_the_nightly_runs(client, manager, time_machine):
    from django.utils import translation

    time_machine.move_to(dt.datetime(2026, 6, 3, 10, 0, tzinfo=ZONE))
    caller = make_user("caller-1", "specialist")
    lapsed(name="Chen Jing")
    started(manager, steps=[CALL_STEP], offer_discount_percent=Decimal("7.50"))
    # given the nightly run planned the call in Chinese
    with translation.override("zh-hans"):
        services.campaigns_run_due(on_date=START + dt.timedelta(days=2))
    assert "优惠" not in M.objects.get(kind=M.Kind.CAMPAIGN).body
    client.force_login(caller)
    # when an English-speaking specialist opens their calls, then the offer is in English
    page = client.get(reverse("notifications:call_tasks"), headers={"Accept-Language": "en"}).content.decode()
    assert "Offer: returning-customer discount of 7.5 % on a new policy." in page
    assert "优惠" not in page
    # and a Chinese-speaking one reads it in Chinese
    page = client.get(reverse("notifications:call_tasks"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "优惠：新保单可享老客户回归折扣 7.5 %。" in page
    assert "Offer:" not in page


def test_a_specialist_sees_and_completes_their_campaign_calls_only(client, manager, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 3, 10, 0, tzinfo=ZONE))
    caller = make_user("caller-1", "specialist")
    other = make_user("caller-2", "specialist")
    customer = lapsed(name="Chen Jing")
    started(manager, steps=[CALL_STEP], offer_discount_percent=Decimal("5"))
    services.campaigns_run_due(on_date=START + dt.timedelta(days=2))
    task = M.objects.get(kind=M.Kind.CAMPAIGN)
    owner, stranger = (caller, other) if task.assignee_id == caller.pk else (other, caller)
    # the owner's queue panel lists the campaign call with the customer and the offer
    client.force_login(owner)
    page = client.get(reverse("notifications:call_tasks")).content.decode()
    assert "Campaign calls due" in page and "Chen Jing" in page and "returning-customer discount of 5 %" in page
    assert reverse("renewals:customer", args=[customer.pk]) in page
    # another specialist neither sees it nor can mark it done
    client.force_login(stranger)
    assert "Chen Jing" not in client.get(reverse("notifications:call_tasks")).content.decode()
    response = client.post(reverse("notifications:call_task_done", args=[task.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == M.Status.SCHEDULED
    # the owner marks it done: it counts as sent
    client.force_login(owner)
    client.post(reverse("notifications:call_task_done", args=[task.pk]))
    task.refresh_from_db()
    assert (task.status, task.done_by_id) == (M.Status.SENT, owner.pk)


def test_campaign_page_shows_the_counts_per_step_with_a_fixed_number_of_queries(
    client, manager, django_assert_max_num_queries
):
    for _index in range(3):
        lapsed(consent_sms=False)
    lapsed(consent_email=False)
    campaign = started(manager, steps=[EMAIL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    notifications.messages_dispatch_due(now=MORNING)
    client.force_login(manager)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("campaigns:campaign", args=[campaign.pk]))
    page = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert 'data-count="planned">4<' in page
    assert 'data-count="sent">3<' in page
    assert 'data-count="skipped">1<' in page


def test_a_step_text_the_sandbox_would_refuse_is_refused_when_the_campaign_is_saved(manager):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        services.campaign_create(
            name="Bad",
            actor=manager,
            starts_on=START,
            ends_on=END,
            steps=[{"offset_days": 0, "channel": "email", "body": "{% load static %}hi"}],
        )
    assert refused.value.field == "steps"


def test_a_campaign_sms_whose_worker_died_is_sent_again_with_the_same_key(manager, sms_gateway):  # noqa: F811
    # given a campaign SMS claimed by a worker that died before recording the send
    lapsed()
    started(manager, steps=[SMS_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    row = M.objects.get(kind=M.Kind.CAMPAIGN)
    assert notifications.messages_claim(lease_token=uuid.uuid4(), now=MORNING) == [row.pk]
    # when dispatch runs before the lease expires, nothing is sent; after it expired, once
    assert notifications.messages_dispatch_due(now=MORNING + dt.timedelta(seconds=60)) == {}
    assert notifications.messages_dispatch_due(now=MORNING + dt.timedelta(seconds=301)) == {"sent": 1}
    assert [request["headers"]["Idempotency-Key"] for request in sms_gateway.requests] == [str(row.pk)]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (M.Status.SENT, 2)


def test_the_customer_log_and_the_managers_message_list_show_campaign_messages(client, manager, support):
    customer = lapsed(consent_sms=False)
    started(manager, steps=[EMAIL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    notifications.messages_dispatch_due(now=MORNING)
    # the customer page's message log (support can open it) lists the campaign message without a case
    client.force_login(support)
    log = client.get(reverse("notifications:customer_messages", args=[customer.pk]))
    assert log.status_code == 200 and "Campaign" in log.content.decode()
    # the manager's outbox list renders the row (no case link to break)
    client.force_login(manager)
    listing = client.get(reverse("notifications:messages"))
    assert listing.status_code == 200 and customer.name in listing.content.decode()
    # and the messages API answers it with a null case
    api = client.get("/api/v1/messages/", {"channel": "email"}).json()["results"]
    assert [(row["case"], row["status"]) for row in api] == [(None, "sent")]


def test_call_tasks_follow_the_specialists_line_skills(manager):
    # given a health specialist and an auto specialist, and lapsed customers of each line
    from renewals.models import SpecialistProfile

    health_caller = make_user("health-caller", "specialist")
    auto_caller = make_user("auto-caller", "specialist")
    SpecialistProfile.objects.create(user=health_caller).lines.set([line("health")])
    SpecialistProfile.objects.create(user=auto_caller).lines.set([line("auto")])
    health = [lapsed() for _index in range(3)]
    auto = []
    for _index in range(2):
        customer = CustomerFactory(lifecycle_stage=Customer.LifecycleStage.LAPSED, time_zone=settings.TIME_ZONE)
        PolicyFactory(
            customer=customer, line=line("auto"), start_date=dt.date(2025, 4, 1), end_date=dt.date(2026, 3, 31)
        )
        auto.append(customer)
    for customer in health:
        customer.policies.update(line=line("health"))
    started(manager, steps=[CALL_STEP])
    # when the call step comes due
    services.campaigns_run_due(on_date=START + dt.timedelta(days=2), now=NIGHT + dt.timedelta(days=2))
    # then each specialist calls the customers of their own line
    assignee = dict(M.objects.filter(kind=M.Kind.CAMPAIGN).values_list("customer_id", "assignee_id"))
    assert {assignee[customer.pk] for customer in health} == {health_caller.pk}
    assert {assignee[customer.pk] for customer in auto} == {auto_caller.pk}


def test_the_customer_panel_shows_their_running_campaign_and_its_offer_in_their_language(client, manager, specialist):
    customer = lapsed(name="Zhou Min")
    started(manager, steps=[CALL_STEP], offer_discount_percent=Decimal("7.50"))
    client.force_login(specialist)
    url = reverse("campaigns:customer_lifecycle", args=[customer.pk])
    panel = client.get(url).content.decode()
    assert "Come back" in panel
    assert "Offer: returning-customer discount of 7.5 % on a new policy." in panel
    chinese = client.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert "优惠：新保单可享老客户回归折扣 7.5 %。" in chinese


def test_the_campaign_messages_link_stops_marketing_but_not_renewal_reminders(client, manager):
    # given a customer who got a campaign e-mail, with a second campaign message and a reminder planned
    customer = lapsed(consent_sms=True)
    started(manager, steps=[EMAIL_STEP, {**SMS_STEP, "offset_days": 3}])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    assert notifications.messages_dispatch_due(now=MORNING) == {"sent": 1}
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer, end_date=dt.date(2026, 7, 1)))
    later = MORNING + dt.timedelta(days=3)
    reminder = OutboundMessageFactory(
        case=case, step=step("auto", -30, "sms"), scheduled_for=later, next_attempt_at=later
    )
    services.campaigns_run_due(on_date=START + dt.timedelta(days=3), now=NIGHT + dt.timedelta(days=3))
    # when they open the unsubscribe link of the e-mail and confirm, twice (replayed)
    link = re.search(r"https?://\S+/unsubscribe/\S+/", mail.outbox[0].body).group(0)
    path = link[link.index("/unsubscribe/") :]
    assert "Stop offers from us?" in client.get(path).content.decode()
    client.post(path)
    assert "You are unsubscribed" in client.post(path).content.decode()
    # then they opted out of marketing (audited once), the planned campaign SMS is skipped, and
    # channel consent and the renewal reminder stay
    customer.refresh_from_db()
    assert customer.marketing_opt_out and customer.consent_email and customer.consent_sms
    assert ConsentChange.objects.filter(customer_id=customer.pk, channel="marketing").count() == 1
    campaign_sms = M.objects.get(kind=M.Kind.CAMPAIGN, channel="sms")
    assert (campaign_sms.status, campaign_sms.skip_reason) == (M.Status.SKIPPED, M.SkipReason.OPTED_OUT)
    reminder.refresh_from_db()
    assert reminder.status == M.Status.SCHEDULED


def test_the_campaign_api_gives_the_counts_per_step(client, manager, support):
    for _index in range(2):
        lapsed(consent_sms=False)
    lapsed(consent_email=False)
    campaign = started(manager, steps=[EMAIL_STEP, CALL_STEP])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    notifications.messages_dispatch_due(now=MORNING)
    client.force_login(support)
    rows = client.get(f"/api/v1/campaigns/{campaign.pk}/messages/").json()
    assert rows == [
        {"offset_days": 0, "channel": "email", "planned": 3, "sent": 2, "skipped": 1, "failed": 0, "waiting": 0},
        {"offset_days": 2, "channel": "call", "planned": 0, "sent": 0, "skipped": 0, "failed": 0, "waiting": 0},
    ]
    assert client.get("/api/v1/campaigns/999999/messages/").status_code == 404
    assert client.get("/api/v1/campaigns/99999999999999999999/messages/").status_code == 404
    assert client.post(f"/api/v1/campaigns/{campaign.pk}/messages/").status_code in (403, 405)


def test_step_counts_come_from_the_outbox_in_one_grouped_query(manager, django_assert_num_queries):
    # given 5 customers and a campaign with an e-mail on day 0 and an SMS on day 3, both handed over
    customers = [lapsed() for _ in range(5)]
    sms = {"offset_days": 3, "channel": "sms", "body": "Still thinking of you, {{ customer_name }}."}
    campaign = started(manager, steps=[EMAIL_STEP, sms])
    services.campaigns_run_due(on_date=START + dt.timedelta(days=3), now=NIGHT)
    email_step, sms_step = campaign.steps.order_by("offset_days")
    rows = {
        (row.customer_id, row.channel): row for row in M.objects.filter(kind=M.Kind.CAMPAIGN).order_by("customer_id")
    }
    assert len(rows) == 10
    # and, by hand: e-mail 2 sent, 1 failed, 1 skipped, 1 still scheduled; SMS 1 sent, 4 scheduled
    by_channel = {"email": [M.Status.SENT, M.Status.SENT, M.Status.FAILED, M.Status.SKIPPED], "sms": [M.Status.SENT]}
    for channel, statuses in by_channel.items():
        for customer, status in zip(customers, statuses, strict=False):
            reason = M.SkipReason.OPTED_OUT if status == M.Status.SKIPPED else ""
            M.objects.filter(pk=rows[(customer.pk, channel)].pk).update(status=status, skip_reason=reason)
    # and one SMS whose outbox row is found through the outbox's campaign_message_id alone
    CampaignMessage.objects.filter(outbox_message_id=rows[(customers[0].pk, "sms")].pk).update(outbox_message_id=None)
    # and a planned SMS message not handed over yet (waiting)
    extra = lapsed()
    member = CampaignMember.objects.create(campaign=campaign, customer=extra, region=extra.region, enrolled_on=START)
    CampaignMessage.objects.create(member=member, step=sms_step, due_date=START + dt.timedelta(days=3))
    # when the page's counts are read: the steps and one grouped count, whatever the size
    with django_assert_num_queries(2) as captured:
        email_counts, sms_counts = selectors.campaign_step_counts(campaign=campaign)
    # (no lookup per message: the outbox appears once, joined, not in a per-row subquery)
    assert captured.captured_queries[-1]["sql"].upper().count("SELECT") == 1
    # then
    figures = ("planned", "sent", "skipped", "failed", "waiting")
    assert email_counts["step"] == email_step and sms_counts["step"] == sms_step
    assert tuple(email_counts[key] for key in figures) == (5, 2, 1, 1, 1)
    assert tuple(sms_counts[key] for key in figures) == (6, 1, 0, 0, 5)


@pytest.mark.parametrize(
    "body",
    [
        "Dear {{ customer_name }}, come back. {# no unsubscribe_link here #}",
        "Dear {{ customer_name }}, come back.{% if unsubscribe_link %}{% endif %}",
        "Dear {{ customer_name }}, come back.{% comment %}{{ unsubscribe_link }}{% endcomment %}",
    ],
)
def test_a_text_naming_the_link_without_showing_it_still_gets_the_opt_out_link(manager, body, time_machine):
    time_machine.move_to(MORNING, tick=False)  # a link's signature carries the second it was signed
    # given a campaign e-mail whose text names unsubscribe_link but does not show it
    customer = lapsed(consent_sms=False)
    started(manager, steps=[{"offset_days": 0, "channel": "email", "body": body}])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    # when it is sent
    assert notifications.messages_dispatch_due(now=MORNING) == {"sent": 1}
    # then the e-mail ends with the opt-out link all the same
    link = unsubscribe_url(customer.pk, MARKETING)
    (email,) = mail.outbox
    assert email.body.rstrip().endswith(f"No more offers: {link}")


def test_a_text_showing_the_link_gets_it_once(manager, time_machine):
    time_machine.move_to(MORNING, tick=False)  # a link's signature carries the second it was signed
    customer = lapsed(consent_sms=False)
    body = "Dear {{ customer_name }}, to stop these: {{ unsubscribe_link }}"
    started(manager, steps=[{"offset_days": 0, "channel": "email", "body": body}])
    services.campaigns_run_due(on_date=START, now=NIGHT)
    notifications.messages_dispatch_due(now=MORNING)
    (email,) = mail.outbox
    assert email.body.count(unsubscribe_url(customer.pk, MARKETING)) == 1
    assert "No more offers" not in email.body


@pytest.mark.parametrize(
    "body", ["Renew here: {{ renewal_link }}", "{% if policy_number %}Your policy{% endif %} {{ customer_name }}"]
)
def test_a_variable_a_campaign_message_has_not_is_refused_when_saved(manager, body):
    from django.utils import translation

    with pytest.raises(ApplicationError) as refused:
        services.campaign_create(
            name="Come back",
            actor=manager,
            starts_on=START,
            ends_on=END,
            stages=[Customer.LifecycleStage.LAPSED],
            steps=[{"offset_days": 0, "channel": "email", "body": body}],
        )
    assert refused.value.field == "steps"
    name = "renewal_link" if "renewal_link" in body else "policy_number"
    assert name in str(refused.value.message) and "customer_name, unsubscribe_link" in str(refused.value.message)
    # and in Chinese for a Chinese-speaking manager
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as refused_zh:
        services.campaign_create(
            name="Come back",
            actor=manager,
            starts_on=START,
            ends_on=END,
            stages=[Customer.LifecycleStage.LAPSED],
            steps=[{"offset_days": 0, "channel": "email", "body": body}],
        )
    assert "可以使用" in str(refused_zh.value.message) and name in str(refused_zh.value.message)


def test_two_marketing_opt_outs_write_one_consent_change(manager):
    customer = lapsed()
    assert notifications.customer_marketing_opt_out(customer_id=customer.pk) is True
    assert notifications.customer_marketing_opt_out(customer_id=customer.pk) is False
    assert ConsentChange.objects.filter(customer=customer, channel=MARKETING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_marketing_opt_out_writes_one_consent_change():
    import threading
    import time

    from django.db import connection
    from django.db.models.signals import post_save

    # given a customer, and a first request held after its write, before it commits
    customer = lapsed()
    written, release, results = threading.Event(), threading.Event(), {}

    def hold_first(sender, instance, **kwargs):
        if threading.current_thread().name == "first":
            written.set()
            release.wait(10)

    def opt_out(name):
        try:
            results[name] = notifications.customer_marketing_opt_out(customer_id=customer.pk)
        finally:
            connection.close()

    post_save.connect(hold_first, sender=ConsentChange)
    try:
        first = threading.Thread(target=opt_out, args=("first",), name="first")
        first.start()
        assert written.wait(10)
        # when the same form is posted again meanwhile (it reads and waits on the first)
        second = threading.Thread(target=opt_out, args=("second",), name="second")
        second.start()
        time.sleep(0.5)
        release.set()
        first.join(10)
        second.join(10)
    finally:
        release.set()
        post_save.disconnect(hold_first, sender=ConsentChange)
    # then one of them changed it, and there is one audit row and one customer change
    assert sorted(results.values()) == [False, True]
    assert ConsentChange.objects.filter(customer=customer, channel=MARKETING).count() == 1
    assert Customer.objects.get(pk=customer.pk).marketing_opt_out is True
    assert customer.changes.filter(field="marketing_opt_out").count() == 1
