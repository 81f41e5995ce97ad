from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, OutboundMessage
from notifications.rendering import MAX_TEMPLATE_LENGTH
from renewals.models import LineOfInsurance


class ReminderStepForm(forms.Form):
    offset_days = forms.IntegerField(
        label=_("Offset (days from expiry)"),
        min_value=-366,
        max_value=366,
        help_text=_("Negative: before expiry; positive: after expiry."),
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=MAX_TEMPLATE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace"}),
    )


def _line_choices():
    return [("", _("All lines"))] + [(line.code, line.display_name) for line in LineOfInsurance.objects.all()]


_SELECT = {"class": "form-select form-select-sm js-autosubmit"}


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        widget=forms.Select(attrs=_SELECT),
        choices=[("", _("All statuses"))] + OutboundMessage.Status.choices,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        widget=forms.Select(attrs=_SELECT),
        choices=[("", _("All channels"))] + Channel.choices,
    )
    line = forms.ChoiceField(label=_("Line"), required=False, widget=forms.Select(attrs=_SELECT), choices=_line_choices)
    reason = forms.ChoiceField(
        label=_("Failure reason"),
        required=False,
        widget=forms.Select(attrs=_SELECT),
        choices=[("", _("Any reason"))]
        + OutboundMessage.SkipReason.choices
        + OutboundMessage.DeferReason.choices
        + [("error", _("Send failed")), ("undelivered", _("Not delivered"))],
    )
