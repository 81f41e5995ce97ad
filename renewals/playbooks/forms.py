"""The playbook form of the settings page (one form for a new playbook and an edit)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from customers.models import Customer
from renewals.models import LineOfInsurance, Policy
from renewals.playbooks.models import MAX_WINDOW_DAYS
from renewals.playbooks.services import MAX_POSITION, known_regions


def _days(label, help_text=""):
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=MAX_WINDOW_DAYS, help_text=help_text)


def _boxes(label, choices):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )


class PlaybookForm(forms.Form):
    """Code, line and default-ness are chosen once, when the playbook is created."""

    code = forms.SlugField(label=_("Code"), max_length=32)
    line = forms.ModelChoiceField(
        label=_("Line"), queryset=LineOfInsurance.objects.all(), required=False, empty_label=_("Every line")
    )
    name = forms.CharField(label=_("Name (English)"), max_length=100)
    name_zh_hans = forms.CharField(label=_("Name (Simplified Chinese)"), max_length=100, required=False)
    position = forms.IntegerField(
        label=_("Order"), min_value=0, max_value=MAX_POSITION, initial=100, help_text=_("Lower is tried first.")
    )
    segments = _boxes(_("Segments (none ticked: all)"), Customer.Segment.choices)
    regions = forms.CharField(label=_("Regions (comma-separated, empty: all)"), required=False, max_length=3300)
    channels = _boxes(_("Sales channels (none ticked: all)"), Policy.Channel.choices)
    lifecycle_stages = _boxes(_("Lifecycle stages (none ticked: all)"), Customer.LifecycleStage.choices)
    churn_risk_min = forms.IntegerField(label=_("Churn risk from"), required=False, min_value=0, max_value=100)
    churn_risk_max = forms.IntegerField(label=_("Churn risk up to"), required=False, min_value=0, max_value=100)
    premium_min = forms.DecimalField(
        label=_("Premium from"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    premium_max = forms.DecimalField(
        label=_("Premium up to"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    remind_by_email = forms.BooleanField(label=_("E-mail reminders"), required=False, initial=True)
    remind_by_sms = forms.BooleanField(label=_("SMS reminders"), required=False, initial=True)
    reminders_from_days = _days(_("Reminders start (days before expiry, empty: the whole schedule)"))
    call_tasks = forms.BooleanField(label=_("Call tasks"), required=False, initial=True)
    call_from_days = _days(_("Calls start (days before expiry, empty: every call step)"))
    assignment_skill = forms.SlugField(
        label=_("Assignment pool: specialists with the skill"), max_length=32, required=False
    )
    discount_authority_percent = forms.DecimalField(
        label=_("Discount authority override (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )
    first_contact_days = _days(_("First contact within (days)"))
    note = forms.CharField(label=_("Note on this version"), max_length=300, required=False)

    def __init__(self, *args, playbook=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.playbook = playbook
        if playbook is not None:
            del self.fields["code"]
            del self.fields["line"]

    def clean_regions(self) -> list[str]:
        regions = [r.strip() for r in self.cleaned_data["regions"].split(",") if r.strip()]
        try:
            return known_regions(regions)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None

    def version_data(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("code", "line", "name", "name_zh_hans", "position"):
            data.pop(key, None)
        return data


def initial_of(playbook) -> dict:
    version = playbook.current_version
    initial = {
        "name": playbook.name,
        "name_zh_hans": playbook.name_zh_hans,
        "position": playbook.position,
    }
    for field in PlaybookForm.base_fields:
        if hasattr(version, field):
            initial[field] = getattr(version, field)
    initial["regions"] = ", ".join(version.regions or [])
    return initial
