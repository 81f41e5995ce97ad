from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignStep
from customers.models import Customer
from customers.regions import REGION_LABELS
from notifications.models import ReminderStep
from renewals.models import LineOfInsurance, LostReason

CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
MONEY_LIMIT = Decimal("100000000")


def _number(label, **kwargs):
    return forms.IntegerField(label=label, widget=forms.NumberInput(attrs={"class": "form-control"}), **kwargs)


def _decimal(label, **kwargs):
    return forms.DecimalField(
        label=label,
        decimal_places=2,
        max_digits=14,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        **kwargs,
    )


class CampaignForm(forms.Form):
    """The campaign builder: the target, up to two message steps, the offer and the window."""

    name = forms.CharField(label=_("Name"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
    stages = forms.MultipleChoiceField(
        label=_("Lifecycle stages"), required=False, choices=Customer.LifecycleStage.choices, widget=CHECKS
    )
    lines = forms.ModelMultipleChoiceField(
        label=_("Lines"), required=False, queryset=LineOfInsurance.objects.filter(active=True), widget=CHECKS
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments"), required=False, choices=Customer.Segment.choices, widget=CHECKS
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions"),
        required=False,
        choices=list(REGION_LABELS.items()),
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 6}),
        help_text=_("None chosen: every region."),
    )
    lost_reasons = forms.ModelMultipleChoiceField(
        label=_("Reason the last case was lost"),
        required=False,
        queryset=LostReason.objects.filter(active=True, kind=LostReason.Kind.LOST),
        widget=CHECKS,
    )
    min_last_premium = _decimal(_("Last premium at least"), required=False, min_value=0, max_value=MONEY_LIMIT)
    max_last_premium = _decimal(_("Last premium at most"), required=False, min_value=0, max_value=MONEY_LIMIT)
    min_months_since = _number(
        _("Months since the last policy ended, at least"), required=False, min_value=0, max_value=600
    )
    max_months_since = _number(
        _("Months since the last policy ended, at most"), required=False, min_value=0, max_value=600
    )
    reachable_only = forms.BooleanField(
        label=_("Only customers we may contact"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    offer_discount_percent = _decimal(
        _("Returning-customer discount (%)"), initial=Decimal("0"), min_value=0, max_value=50
    )
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"class": "form-control", "type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends on"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"class": "form-control", "type": "date"})
    )
    step1_offset = _number(_("First message: days after the start"), initial=0, min_value=0, max_value=365)
    step1_channel = forms.ChoiceField(
        label=_("First message: channel"),
        choices=CampaignStep.Channel.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    step1_body = forms.CharField(
        label=_("First message: text"),
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    step2_offset = _number(_("Second message: days after the start"), required=False, min_value=0, max_value=365)
    step2_channel = forms.ChoiceField(
        label=_("Second message: channel"),
        required=False,
        choices=[("", "—")] + CampaignStep.Channel.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    step2_body = forms.CharField(
        label=_("Second message: text"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    as_experiment = forms.BooleanField(
        label=_("Run as an experiment with a 10 % hold-out"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("A random tenth of the target gets no campaign message, so the campaign's effect can be measured."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today.replace(day=1).replace(
            month=today.month % 12 + 1, year=today.year + (today.month == 12)
        )

    def clean(self):
        data = super().clean()
        for low, high in (("min_last_premium", "max_last_premium"), ("min_months_since", "max_months_since")):
            if data.get(low) is not None and data.get(high) is not None and data[high] < data[low]:
                self.add_error(high, _("The upper bound is below the lower bound."))
        return data

    def steps(self) -> list[dict]:
        data = self.cleaned_data
        steps = [{"offset_days": data["step1_offset"], "channel": data["step1_channel"], "body": data["step1_body"]}]
        if data.get("step2_channel") and data.get("step2_body") and data.get("step2_offset") is not None:
            steps.append(
                {"offset_days": data["step2_offset"], "channel": data["step2_channel"], "body": data["step2_body"]}
            )
        return steps


class ExperimentForm(forms.Form):
    """A reminder schedule experiment: today's cadence against a shorter one, with a hold-out."""

    name = forms.CharField(label=_("Name"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
    line = forms.ModelChoiceField(
        label=_("Line"),
        queryset=LineOfInsurance.objects.filter(active=True),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    holdout_percent = _number(_("Hold-out (%)"), initial=10, min_value=1, max_value=50)
    min_sample_per_arm = _number(_("Minimum decided per arm"), initial=200, min_value=20, max_value=1_000_000)
    baseline_rate_percent = forms.FloatField(
        label=_("Expected renewal rate today (%)"),
        initial=80,
        min_value=1,
        max_value=99,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1"}),
    )
    min_effect_points = forms.FloatField(
        label=_("Smallest difference worth finding (points)"),
        initial=3,
        min_value=0.5,
        max_value=50,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1"}),
    )
    variant_name = forms.CharField(
        label=_("Name of the new cadence"),
        max_length=80,
        initial=_("Shorter cadence"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    variant_steps = forms.ModelMultipleChoiceField(
        label=_("Reminder steps the new cadence sends"),
        queryset=ReminderStep.objects.filter(removed_at__isnull=True, is_notice=False).select_related("line"),
        widget=CHECKS,
        required=False,
        help_text=_("The statutory notice goes out in every arm; the hold-out gets nothing else."),
    )
    variant_all_steps = forms.BooleanField(
        label=_("The new arm sends every step of the line"),
        required=False,
        help_text=_(
            "Tick it to test a different text or an earlier call on today's cadence (the steps above are then ignored)."
        ),
    )
    variant_subject = forms.CharField(
        label=_("Different reminder subject (e-mail)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    variant_body = forms.CharField(
        label=_("Different reminder text"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text=_(
            "A template arm: this text replaces the steps' texts in the new arm's reminders (not the statutory "
            "notice). Same variables as the templates, e.g. {{ customer_name }}, {{ renewal_link }}."
        ),
    )
    variant_call_days = forms.IntegerField(
        label=_("Earlier call task (days before expiry)"),
        min_value=1,
        max_value=365,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text=_("An earlier-call arm: the new arm's cases also get a call task this many days before expiry."),
    )

    def clean(self):
        data = super().clean()
        line = data.get("line")
        steps = data.get("variant_steps") or []
        if line is not None and any(step.line_id != line.pk for step in steps):
            self.add_error("variant_steps", _("Choose steps of the chosen line only."))
        return data


class WinnerForm(forms.Form):
    arm = forms.IntegerField(min_value=1, max_value=2**62)


class DormantMonthsForm(forms.Form):
    """One line's row on the lifecycle settings page (the line comes from the posted ``line_id``)."""

    dormant_after_months = forms.IntegerField(
        label=_("Dormant after (months)"),
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
