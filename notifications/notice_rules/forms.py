"""The notice rules page's forms: a new version (prefix "rule") and end-dating one (prefix "end")."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.regions import REGION_LABELS
from notifications.models import NOTICE_CHANNELS
from notifications.notice_rules.models import ALL_REGIONS, NoticeType
from notifications.notice_rules.services import MAX_DAYS_LIMIT
from renewals.models import LineOfInsurance

RULE_PREFIX = "rule"
END_PREFIX = "end"


def _days(label, *, required=True):
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_DAYS_LIMIT,
        required=required,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


def _date(label, *, required=True):
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"class": "form-control", "type": "date"})
    )


class NoticeRuleForm(forms.Form):
    line = forms.ModelChoiceField(
        label=_("Line"),
        queryset=LineOfInsurance.objects.order_by("sort_order", "code"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        choices=[(ALL_REGIONS, _("All regions"))] + list(REGION_LABELS.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    notice_type = forms.ChoiceField(
        label=_("Notice type"), choices=NoticeType.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    min_days = _days(_("At least (days before expiry)"))
    max_days = _days(_("At most (days before expiry)"), required=False)
    rate_rise_percent = forms.DecimalField(
        label=_("Adverse change: premium rise above (%)"),
        required=False,
        min_value=0,
        max_value=1000,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    proof_channels = forms.MultipleChoiceField(
        label=_("Channels accepted as proof"),
        choices=[(channel.value, channel.label) for channel in NOTICE_CHANNELS],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    effective_from = _date(_("For expiries from"))
    effective_to = _date(_("For expiries until (empty: no end)"), required=False)

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values["line_id"] = values.pop("line").pk
        return values


class NoticeRuleEndForm(forms.Form):
    effective_to = _date(_("Last expiry date in force"))
