"""A manager builds a win-back campaign, previews it, starts it, and reads a running cadence
experiment, in English and in Chinese (screenshots in /tmp/shots/campaigns/ too)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, Enrolment
from customers.models import Customer
from renewals.models import RenewalCase, Stage
from tests.campaigns.test_campaigns import lapsed_customer
from tests.conftest import make_user
from tests.e2e.conftest import ARTIFACTS, E2E_DB, PASSWORD
from tests.notifications.factories import step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = [pytest.mark.e2e, E2E_DB]
# Screenshots for review: SHOTS_DIR (e.g. /tmp/shots/campaigns), else beside the other artifacts.
SHOTS = Path(os.environ.get("SHOTS_DIR") or ARTIFACTS / "campaigns")


def _running_experiment(manager):
    experiment = services.experiment_create(
        name="Auto cadence",
        actor=manager,
        line_id=line("auto").pk,
        arms=[{"code": "short", "name": "Shorter", "step_ids": [step("auto", -14, "sms").pk]}],
        min_sample_per_arm=20,
    )
    services.experiment_start(experiment_id=experiment.pk, actor=manager, now=timezone.now() - dt.timedelta(days=90))
    cases = [RenewalCaseFactory() for _ in range(60)]
    services.experiment_enrol_cases(experiment_id=experiment.pk, include_closed=True)
    for index, case in enumerate(cases):
        closed = timezone.now() - dt.timedelta(days=60 - index)
        if index % 4 == 0:
            RenewalCase.objects.filter(pk=case.pk).update(stage=Stage.LAPSED, closed_at=closed)
        else:
            successor = PolicyFactory(
                customer=case.customer, start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31)
            )
            RenewalCase.objects.filter(pk=case.pk).update(
                stage=Stage.RENEWED, successor_policy=successor, closed_at=closed
            )
    assert Enrolment.objects.filter(experiment=experiment).count() == 60
    return experiment


def test_manager_builds_previews_starts_a_campaign_and_reads_an_experiment(page, login, shot, browser, live_server):
    manager = make_user("boss", "manager")
    for region in ("Guangdong", "Guangdong", "Beijing"):
        lapsed_customer(region=region)
    lapsed_customer(marketing_opt_out=True)
    experiment = _running_experiment(manager)
    login("boss")

    SHOTS.mkdir(parents=True, exist_ok=True)
    # build: the target and a message, then the preview counts before anything is saved
    page.goto("/campaigns/new/")
    page.get_by_label("Name").fill("Winter win-back")
    page.get_by_label("Lapsed").check()
    page.get_by_label("First message: text").fill("We miss you: 5 % off your renewal")
    page.get_by_role("button", name="Preview").click()
    page.locator("[data-preview-total='4']").wait_for()
    assert page.locator("[data-preview-unreachable='1']").is_visible()
    assert not Campaign.objects.exists()
    shot("preview")
    page.screenshot(path=str(SHOTS / "builder-en.png"), full_page=True)

    # save and start
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_role("button", name="Start the campaign").click()
    page.get_by_text("Campaign started with 4 customers.").wait_for()
    assert page.locator("[data-outcome='unreachable']").inner_text() == "1"
    assert Campaign.objects.get().status == Campaign.Status.RUNNING
    page.screenshot(path=str(SHOTS / "campaign-en.png"), full_page=True)

    # read the experiment: arms, rates with intervals, the chart
    page.goto(f"/experiments/{experiment.pk}/")
    assert page.locator("#arms [data-arm='Shorter'] [data-rate]").inner_text().endswith("%")
    page.locator("#chart-arms").wait_for()
    shot("experiment")
    page.screenshot(path=str(SHOTS / "experiment-en.png"), full_page=True)

    # the dashboard loads the lifecycle flows chart from campaigns
    page.goto("/analytics/")
    page.locator("#chart-flows").wait_for()

    # the same pages in Chinese
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="zh-CN")
    chinese = context.new_page()
    chinese.goto("/accounts/login/")
    chinese.locator("#id_username").fill("boss")
    chinese.locator("#id_password").fill(PASSWORD)
    chinese.locator("form button[type=submit]").click()
    chinese.wait_for_load_state("networkidle")
    for path, name in (
        ("/campaigns/new/", "builder"),
        (f"/campaigns/{Campaign.objects.get().pk}/", "campaign"),
        (f"/experiments/{experiment.pk}/", "experiment"),
        ("/experiments/", "experiments"),
        ("/campaigns/lifecycle/?stage=lapsed", "lifecycle"),
        (f"/customers/{Customer.objects.first().pk}/", "customer"),
    ):
        chinese.goto(path)
        chinese.wait_for_load_state("networkidle")
        chinese.screenshot(path=str(SHOTS / f"{name}-zh.png"), full_page=True)
        if name == "experiment":
            assert "对照组" in chinese.content() and "Hold-out" not in chinese.content()
    context.close()
