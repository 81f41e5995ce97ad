"""Pages and API of campaigns and experiments: what each role may do, what the builder really
posts (form prefixes), bounded query counts, and bad ids."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, Experiment, LifecycleChange
from customers.models import Customer
from tests.campaigns.test_campaigns import lapsed_customer
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import step
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db
Stage = Customer.LifecycleStage


def builder_post(**overrides):
    data = {
        "campaign-name": "Winter win-back",
        "campaign-stages": ["lapsed"],
        "campaign-offer_discount_percent": "5",
        "campaign-starts_on": "2026-12-01",
        "campaign-ends_on": "2026-12-31",
        "campaign-step1_offset": "0",
        "campaign-step1_channel": "sms",
        "campaign-step1_body": "Come back for 5 % off",
    }
    data.update(overrides)
    return data


def test_the_builder_previews_then_saves_a_draft(client_for, manager):
    lapsed_customer()
    lapsed_customer(marketing_opt_out=True)
    client = client_for(manager)
    # the preview button answers the counts without saving anything
    preview = client.post(reverse("campaigns:campaign_new"), {**builder_post(), "preview": "1"}, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200
    assert b'data-preview-total="2"' in preview.content and b'data-preview-unreachable="1"' in preview.content
    assert not Campaign.objects.exists()
    # saving makes a draft and shows its page with the preview and the start button
    saved = client.post(reverse("campaigns:campaign_new"), builder_post())
    campaign = Campaign.objects.get()
    assert saved.status_code == 302 and saved.url == reverse("campaigns:campaign", args=[campaign.pk])
    assert campaign.stages == ["lapsed"] and campaign.steps.get().body == "Come back for 5 % off"
    page = client.get(saved.url)
    assert b'data-preview-total="2"' in page.content
    # starting it from the page
    client.post(reverse("campaigns:campaign_start", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING


def test_the_builder_names_the_bad_field(client_for, manager):
    response = client_for(manager).post(
        reverse("campaigns:campaign_new"),
        builder_post(**{"campaign-min_last_premium": "500", "campaign-max_last_premium": "100"}),
    )
    assert response.status_code == 200
    assert "max_last_premium" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_only_managers_use_the_campaign_and_experiment_pages(client_for, specialist, support):
    for user in (specialist, support):
        client = client_for(user)
        for name in (
            "campaigns:campaigns",
            "campaigns:campaign_new",
            "campaigns:experiments",
            "campaigns:lifecycle",
            "campaigns:panel-flows",
        ):
            assert client.get(reverse(name)).status_code == 403, (user, name)


def test_bad_ids_answer_404(client_for, manager):
    client = client_for(manager)
    assert client.get("/campaigns/999999/").status_code == 404
    assert client.get("/experiments/999999/").status_code == 404
    assert client.post("/experiments/999999/stop/").status_code == 404
    assert client.get("/campaigns/customers/999999/lifecycle/").status_code == 404


def test_the_customer_page_panel_shows_the_stage_and_its_history(client_for, specialist, django_assert_max_num_queries):
    customer = CustomerFactory(lifecycle_stage=Stage.LAPSED)
    LifecycleChange.objects.create(
        customer=customer, from_stage="active", to_stage="lapsed", changed_on=dt.date(2026, 4, 1)
    )
    client = client_for(specialist)
    client.get(reverse("campaigns:customer_lifecycle", args=[customer.pk]))  # the session's first request
    with django_assert_max_num_queries(6):  # session, user, roles, customer, history, campaigns
        response = client.get(reverse("campaigns:customer_lifecycle", args=[customer.pk]))
    assert response.status_code == 200
    assert b'data-lifecycle-stage="lapsed"' in response.content
    # the customer page loads the panel
    page = client.get(reverse("renewals:customer", args=[customer.pk]))
    assert reverse("campaigns:customer_lifecycle", args=[customer.pk]).encode() in page.content


def test_the_flows_panel_counts_moves_per_month(client_for, manager):
    customer = CustomerFactory()
    today = timezone.localdate()
    LifecycleChange.objects.create(customer=customer, from_stage="", to_stage="active", changed_on=today)
    LifecycleChange.objects.create(customer=customer, from_stage="active", to_stage="lapsed", changed_on=today)
    response = client_for(manager).get(reverse("campaigns:panel-flows"))
    chart = response.context["chart"]
    # the first derivation (from "") is not a move; active → lapsed is
    assert chart["labels"] == [today.strftime("%Y-%m")]
    assert [(item["label"], item["data"]) for item in chart["datasets"]] == [("Active → Lapsed", [1])]


def test_lifecycle_page_lists_a_stage_with_bounded_queries(client_for, manager, django_assert_max_num_queries):
    for _ in range(3):
        CustomerFactory(lifecycle_stage=Stage.DORMANT)
    client = client_for(manager)
    client.get(reverse("campaigns:lifecycle"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("campaigns:lifecycle"), {"stage": "dormant"})
    assert len(response.context["customers"]) == 3
    assert {row["stage"]: row["count"] for row in response.context["counts"]}["dormant"] == 3


def test_experiment_page_shows_not_enough_data_then_stop_and_winner(client_for, manager, django_assert_max_num_queries):
    experiment = services.experiment_create(
        name="Cadence",
        actor=manager,
        line_id=line("auto").pk,
        arms=[{"code": "short", "name": "Shorter", "step_ids": [step("auto", -14, "sms").pk]}],
    )
    client = client_for(manager)
    client.post(reverse("campaigns:experiment_start", args=[experiment.pk]))
    client.get(reverse("campaigns:experiment", args=[experiment.pk]))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("campaigns:experiment", args=[experiment.pk]))
    assert b"data-not-enough" in page.content
    client.post(reverse("campaigns:experiment_stop", args=[experiment.pk]))
    winner = experiment.arms.get(code="short")
    client.post(reverse("campaigns:experiment_winner", args=[experiment.pk]), {"arm": winner.pk})
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DECIDED and experiment.winner == winner


def test_the_experiment_form_makes_two_arms_and_a_holdout(client_for, manager):
    response = client_for(manager).post(
        reverse("campaigns:experiment_new"),
        {
            "experiment-name": "Auto cadence",
            "experiment-line": line("auto").pk,
            "experiment-holdout_percent": "10",
            "experiment-min_sample_per_arm": "200",
            "experiment-baseline_rate_percent": "80",
            "experiment-min_effect_points": "3",
            "experiment-variant_name": "Shorter",
            "experiment-variant_steps": [step("auto", -14, "sms").pk],
        },
    )
    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert sorted(experiment.arms.values_list("code", flat=True)) == ["current", "holdout", "variant"]
    assert experiment.planned_sample_per_arm > 2600  # a 10 % hold-out needs more than equal arms


# --- API ---------------------------------------------------------------------------------


def api(client_for, user):
    return client_for(user)


def test_customers_api_filters_by_lifecycle_stage(client_for, support):
    lapsed = CustomerFactory(lifecycle_stage=Stage.LAPSED)
    CustomerFactory(lifecycle_stage=Stage.ACTIVE)
    response = client_for(support).get("/api/v1/customers/", {"lifecycle_stage": "lapsed"})
    assert [row["id"] for row in response.json()["results"]] == [lapsed.pk]
    assert response.json()["results"][0]["lifecycle_stage"] == "lapsed"
    assert client_for(support).get("/api/v1/customers/", {"lifecycle_stage": "sleepy"}).status_code == 400


def test_campaign_api_managers_write_others_read(client_for, manager, specialist):
    lapsed_customer()
    body = {
        "name": "API win-back",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "stages": ["lapsed"],
        "steps": [{"offset_days": 0, "channel": "sms", "body": "Hello again"}],
    }
    assert client_for(specialist).post("/api/v1/campaigns/", body, content_type="application/json").status_code == 403
    created = client_for(manager).post("/api/v1/campaigns/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    preview = client_for(specialist).get(f"/api/v1/campaigns/{campaign_id}/preview/")
    assert preview.json()["total"] == 1
    assert client_for(specialist).post(f"/api/v1/campaigns/{campaign_id}/start/").status_code == 403
    started = client_for(manager).post(f"/api/v1/campaigns/{campaign_id}/start/")
    assert started.json() == {"members": 1}
    # starting twice: 409
    assert client_for(manager).post(f"/api/v1/campaigns/{campaign_id}/start/").status_code == 409
    bad = client_for(manager).post(
        "/api/v1/campaigns/", {**body, "ends_on": "2026-11-01"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "ends_on" in bad.json()["errors"]
    nul = client_for(manager).post("/api/v1/campaigns/", {**body, "name": "a\x00b"}, content_type="application/json")
    assert nul.status_code == 400


def test_experiment_api_creates_and_reports_results(client_for, manager, support):
    body = {
        "name": "API cadence",
        "line": line("auto").pk,
        "arms": [{"code": "short", "name": "Shorter", "step_ids": [step("auto", -14, "sms").pk]}],
    }
    created = client_for(manager).post("/api/v1/experiments/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    experiment_id = created.json()["id"]
    assert [arm["code"] for arm in created.json()["arms"]] == ["short", "holdout"]
    results = client_for(support).get(f"/api/v1/experiments/{experiment_id}/results/").json()
    assert results["enough"] is False and len(results["arms"]) == 2
    assert client_for(support).post(f"/api/v1/experiments/{experiment_id}/start/").status_code == 403
    assert client_for(manager).post(f"/api/v1/experiments/{experiment_id}/start/").json()["status"] == "running"
    unknown_line = client_for(manager).post(
        "/api/v1/experiments/", {**body, "line": 999999}, content_type="application/json"
    )
    assert unknown_line.status_code == 400 and "line" in unknown_line.json()["errors"]
    wrong_arm = client_for(manager).post(
        f"/api/v1/experiments/{experiment_id}/winner/", {"arm": 999999}, content_type="application/json"
    )
    assert wrong_arm.status_code == 400


def test_experiment_page_with_enough_data_shows_differences_and_uplift(
    client_for, manager, django_assert_max_num_queries
):
    from renewals.models import RenewalCase, Stage
    from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

    experiment = services.experiment_create(
        name="Half hold-out",
        actor=manager,
        line_id=line("auto").pk,
        holdout_percent=50,
        min_sample_per_arm=20,
        arms=[{"code": "all", "name": "All steps", "step_ids": None}],
    )
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    cases = [RenewalCaseFactory() for _ in range(120)]
    services.experiment_enrol_cases(experiment_id=experiment.pk)
    for index, case in enumerate(cases):
        if index % 3:
            successor = PolicyFactory(
                customer=case.customer, start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31)
            )
            RenewalCase.objects.filter(pk=case.pk).update(
                stage=Stage.RENEWED, successor_policy=successor, closed_at=timezone.now()
            )
        else:
            RenewalCase.objects.filter(pk=case.pk).update(stage=Stage.LAPSED, closed_at=timezone.now())
    client = client_for(manager)
    client.get(reverse("campaigns:experiment", args=[experiment.pk]))
    with django_assert_max_num_queries(13):
        page = client.get(reverse("campaigns:experiment", args=[experiment.pk]))
    assert b"data-not-enough" not in page.content
    assert b"data-difference" in page.content and b"data-p-value" in page.content
    assert b"data-uplift=" in page.content


def test_the_preview_names_what_is_wrong_with_the_filters(client_for, manager):
    response = client_for(manager).post(
        reverse("campaigns:campaign_new"),
        {**builder_post(**{"campaign-min_months_since": "12", "campaign-max_months_since": "3"}), "preview": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"upper bound is below the lower bound" in response.content
    assert b"<html" not in response.content
