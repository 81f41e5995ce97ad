from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NOTICE_CHANNELS, STEP_CHANNELS, Channel, OutboundMessage
from notifications.rendering import MAX_TEMPLATE_LENGTH
from notifications.services.calls_and_notices import NOTE_MAX_LENGTH
from renewals.models import LineOfInsurance


def _offset_field():
    return forms.IntegerField(
        label=_("Offset (days from expiry)"),
        min_value=-366,
        max_value=366,
        help_text=_("Negative: before expiry; positive: after expiry."),
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


_STEP_CHANNEL_CHOICES = [(channel.value, channel.label) for channel in STEP_CHANNELS]
_NOTICE_CHANNEL_CHOICES = [("", "—")] + [(channel.value, channel.label) for channel in NOTICE_CHANNELS]
NOTICE_CHANNEL_FIELDS = ("notice_channel_1", "notice_channel_2", "notice_channel_3")


class ReminderStepForm(forms.Form):
    """A step's timing and channel; for the notice step, the line's notice channels in order (left
    empty, a field keeps what is saved)."""

    offset_days = _offset_field()
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", "—")] + _STEP_CHANNEL_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    notice_channel_1 = forms.ChoiceField(
        label=_("Notice channel, first choice"),
        required=False,
        choices=_NOTICE_CHANNEL_CHOICES,
        help_text=_(
            "The notice goes by the first channel the customer can receive: e-mail or SMS needs an "
            "address and consent for it; a printed letter is posted by hand and recorded on the watchlist."
        ),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    notice_channel_2 = forms.ChoiceField(
        label=_("then"),
        required=False,
        choices=_NOTICE_CHANNEL_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    notice_channel_3 = forms.ChoiceField(
        label=_("then"),
        required=False,
        choices=_NOTICE_CHANNEL_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, is_notice: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in NOTICE_CHANNEL_FIELDS if not is_notice else ("channel",):
            del self.fields[name]

    def clean(self):
        data = super().clean()
        if "notice_channel_1" not in self.fields:
            return data
        chosen = [data.get(name) or "" for name in NOTICE_CHANNEL_FIELDS]
        given = [channel for channel in chosen if channel]
        if given and (chosen[: len(given)] != given or len(set(given)) != len(given)):
            raise forms.ValidationError(_("List the notice channels in order, each channel once, without gaps."))
        data["notice_channels"] = given or None
        return data

    def service_values(self) -> dict:
        """The cleaned values as reminder_step_update takes them."""
        data = self.cleaned_data
        values = {"offset_days": data["offset_days"], "active": data["active"]}
        if "channel" in self.fields:
            values["channel"] = data.get("channel") or None
        else:
            values["notice_channels"] = data.get("notice_channels")
        return values


class NewReminderStepForm(forms.Form):
    offset_days = _offset_field()
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_STEP_CHANNEL_CHOICES, widget=forms.Select(attrs={"class": "form-select"})
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


class NoticeLetterForm(forms.Form):
    posted_on = forms.DateField(
        label=_("Posting date"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        help_text=_("The day the letter was handed to the post (on the postal receipt)."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("E.g. the registered-post receipt number and the address it went to."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
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
