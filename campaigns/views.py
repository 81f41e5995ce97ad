"""Pages of the campaigns app: the customer's lifecycle panel, the stage list, the campaign builder
with its preview, campaign pages, and experiments with their live figures."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns import selectors, services
from campaigns.forms import CampaignForm, DormantMonthsForm, ExperimentForm, WinnerForm
from campaigns.models import Campaign, Experiment
from campaigns.services.lifecycle import months_before
from core.errors import ApplicationError
from core.roles import STAFF_ROLES, Role, role_required
from customers.models import Customer

MANAGER = Role.MANAGER
# The flows chart looks back this many months.
FLOW_MONTHS = 12


def _id_param(value: str | None) -> int | None:
    """A positive id from the query string, else None (bad input is ignored, not an error page)."""
    if value and value.isdigit() and len(value) < 19:
        return int(value)
    return None


@require_GET
@role_required(*STAFF_ROLES)
def customer_lifecycle(request, customer_id: int):
    try:
        context = selectors.customer_lifecycle(customer_id=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
    return render(request, "campaigns/_customer_lifecycle.html", context)


def _flows_chart() -> dict:
    flows = selectors.lifecycle_flows(since=months_before(timezone.localdate().replace(day=1), FLOW_MONTHS - 1))
    return {"labels": [month.strftime("%Y-%m") for month in flows["months"]], "datasets": flows["flows"][:8]}


@require_GET
@role_required(MANAGER)
def lifecycle_flows_panel(request):
    """The dashboard's lifecycle flows chart (an htmx fragment: analytics links to it)."""
    return render(request, "campaigns/_flows_panel.html", {"chart": _flows_chart()})


@require_GET
@role_required(MANAGER)
def lifecycle(request):
    stage = request.GET.get("stage", "")
    if stage not in Customer.LifecycleStage.values:
        stage = ""
    customers, next_id = [], None
    if stage:
        customers, next_id = selectors.customers_in_stage(stage=stage, before_id=_id_param(request.GET.get("before")))
    chart = _flows_chart()
    return render(
        request,
        "campaigns/lifecycle.html",
        {
            "counts": selectors.stage_counts(),
            "stage": stage,
            "stage_label": Customer.LifecycleStage(stage).label if stage else "",
            "customers": customers,
            "next_id": next_id,
            "chart": chart,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(MANAGER)
def lifecycle_settings(request):
    """Managers set each line's "dormant after" months (audited; the nightly refresh applies it)."""
    if request.method == "POST":
        line_id = _id_param(request.POST.get("line_id"))
        form = DormantMonthsForm(request.POST)
        if line_id is None or not form.is_valid():
            messages.error(request, _("Dormant after (months): between 1 and 120."))
            return redirect("campaigns:lifecycle_settings")
        try:
            services.lifecycle_setting_set(
                line_id=line_id, dormant_after_months=form.cleaned_data["dormant_after_months"], actor=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Lifecycle setting saved."))
        return redirect("campaigns:lifecycle_settings")
    return render(request, "campaigns/settings_lifecycle.html", {"rows": selectors.lifecycle_settings()})


# --- campaigns ------------------------------------------------------------------------------


def _campaign_from_form(form: CampaignForm) -> tuple[Campaign, dict]:
    data = form.cleaned_data
    campaign = Campaign(
        name=data["name"],
        stages=data["stages"],
        regions=data["regions"],
        segments=data["segments"],
        min_last_premium=data["min_last_premium"],
        max_last_premium=data["max_last_premium"],
        min_months_since=data["min_months_since"],
        max_months_since=data["max_months_since"],
        reachable_only=data["reachable_only"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
    )
    many = {
        "line_ids": [line.pk for line in data["lines"]],
        "reason_ids": [reason.pk for reason in data["lost_reasons"]],
    }
    return campaign, many


@require_GET
@role_required(MANAGER)
def campaign_list(request):
    return render(request, "campaigns/campaign_list.html", {"campaigns": selectors.campaign_list()[:100]})


@require_http_methods(["GET", "POST"])
@role_required(MANAGER)
def campaign_new(request):
    form = CampaignForm(request.POST or None, prefix="campaign")
    preview = None
    if request.method == "POST" and form.is_valid():
        campaign, many = _campaign_from_form(form)
        if "preview" in request.POST:
            preview = services.campaign_preview(campaign, **many)
        else:
            data = form.cleaned_data
            try:
                saved = services.campaign_create(
                    name=data["name"],
                    actor=request.user,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    stages=data["stages"],
                    line_ids=many["line_ids"],
                    regions=data["regions"],
                    segments=data["segments"],
                    lost_reason_ids=many["reason_ids"],
                    min_last_premium=data["min_last_premium"],
                    max_last_premium=data["max_last_premium"],
                    min_months_since=data["min_months_since"],
                    max_months_since=data["max_months_since"],
                    reachable_only=data["reachable_only"],
                    offer_discount_percent=data["offer_discount_percent"],
                    steps=form.steps(),
                    with_holdout=data["as_experiment"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Campaign saved as a draft. Check the preview, then start it."))
                return redirect("campaigns:campaign", pk=saved.pk)
    if request.htmx and "preview" in request.POST:
        # The preview slot: the counts, or what is wrong with the filters.
        return render(request, "campaigns/_preview.html", {"preview": preview, "form": form})
    return render(request, "campaigns/campaign_new.html", {"form": form, "preview": preview})


@require_GET
@role_required(MANAGER)
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.prefetch_related("lines", "lost_reasons", "steps"), pk=pk)
    labels = dict(Customer.LifecycleStage.choices)
    context = {
        "campaign": campaign,
        "outcomes": selectors.campaign_outcomes(campaign=campaign),
        "step_counts": selectors.campaign_step_counts(campaign=campaign),
        "stage_labels": [labels.get(stage, stage) for stage in campaign.stages],
    }
    if campaign.status == Campaign.Status.DRAFT:
        context["preview"] = services.campaign_preview(campaign)
    context["experiment"] = Experiment.objects.filter(campaign=campaign).first()
    return render(request, "campaigns/campaign_detail.html", context)


@require_POST
@role_required(MANAGER)
def campaign_start(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        count = services.campaign_start(campaign_id=campaign.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Campaign started with %(count)s customers.") % {"count": f"{count:,}"})
    return redirect("campaigns:campaign", pk=campaign.pk)


# --- experiments ----------------------------------------------------------------------------


@require_GET
@role_required(MANAGER)
def experiment_list(request):
    return render(request, "campaigns/experiment_list.html", {"experiments": selectors.experiment_list()[:100]})


@require_http_methods(["GET", "POST"])
@role_required(MANAGER)
def experiment_new(request):
    form = ExperimentForm(request.POST or None, prefix="experiment")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            experiment = services.experiment_create(
                name=data["name"],
                actor=request.user,
                line_id=data["line"].pk,
                holdout_percent=data["holdout_percent"],
                min_sample_per_arm=data["min_sample_per_arm"],
                baseline_rate_percent=data["baseline_rate_percent"],
                min_effect_points=data["min_effect_points"],
                arms=[
                    {"code": "current", "name": _("Today's cadence"), "step_ids": None},
                    {
                        "code": "variant",
                        "name": data["variant_name"],
                        "step_ids": None if data["variant_all_steps"] else [step.pk for step in data["variant_steps"]],
                        "reminder_subject": data["variant_subject"],
                        "reminder_body": data["variant_body"],
                        "call_days_before": data["variant_call_days"],
                    },
                ],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("campaigns:experiment", pk=experiment.pk)
    return render(request, "campaigns/experiment_new.html", {"form": form})


@require_GET
@role_required(MANAGER)
def experiment_detail(request, pk: int):
    experiment = get_object_or_404(Experiment.objects.select_related("line", "campaign", "winner"), pk=pk)
    results = selectors.experiment_results(experiment=experiment)
    series = selectors.experiment_series(experiment=experiment)
    chart = {
        "series": [
            {
                "label": item["arm"],
                "points": [
                    {
                        "x": point["period"],
                        "y": round(100 * point["rate"], 1),
                        "low": round(100 * point["low"], 1),
                        "high": round(100 * point["high"], 1),
                    }
                    for point in item["points"]
                ],
            }
            for item in series
        ],
        "yLabel": _("Rate (%)"),
    }
    return render(
        request,
        "campaigns/experiment_detail.html",
        {
            "experiment": experiment,
            "results": results,
            "chart": chart,
            "events": experiment.events.select_related("actor")[:20],
            "arms": experiment.arms.select_related("call_step").prefetch_related("steps"),
            "uplift": selectors.experiment_uplift(experiment=experiment) if results.enough else None,
        },
    )


@require_POST
@role_required(MANAGER)
def experiment_action(request, pk: int, action: str):
    experiment = get_object_or_404(Experiment, pk=pk)
    try:
        if action == "start":
            services.experiment_start(experiment_id=experiment.pk, actor=request.user)
        elif action == "stop":
            services.experiment_stop(experiment_id=experiment.pk, actor=request.user)
        elif action == "winner":
            form = WinnerForm(request.POST)
            if not form.is_valid():
                raise ApplicationError(_("Choose the winning arm."), field="arm")
            services.experiment_declare_winner(
                experiment_id=experiment.pk, arm_id=form.cleaned_data["arm"], actor=request.user
            )
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:experiment", pk=experiment.pk)
