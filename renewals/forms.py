"""HTML forms of the renewals app: they parse input; the services decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from renewals.models import OPEN_STAGES, LineOfInsurance, LostReason, Referral
from renewals.services import CONTACT_CHANNELS

CONTACT_CHANNEL_LABELS = {
    "phone": _("Phone call"),
    "email": _("Email"),
    "visit": _("Visit"),
    "message": _("Message"),
}


class DateInput(forms.DateInput):
    input_type = "date"


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QueueFilterForm(forms.Form):
    DUE_CHOICES = [("", _("Any time")), ("7", _("Within 7 days")), ("30", _("Within 30 days"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    line = forms.ChoiceField(label=_("Line"), required=False)
    due = forms.ChoiceField(label=_("Expires"), required=False, choices=DUE_CHOICES)
    overdue = forms.BooleanField(label=_("Next action overdue"), required=False)
    high_value = forms.BooleanField(label=_("High value / VIP"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args, lines=(), specialists=(), is_manager=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", _("All open stages"))] + [(s.value, s.label) for s in OPEN_STAGES]
        self.fields["line"].choices = [("", _("All lines"))] + [(line.code, line.display_name) for line in lines]
        if is_manager:
            self.fields["assignee"].choices = [("", _("Everyone")), ("none", _("Unassigned"))] + [
                (str(u.pk), u.get_full_name() or u.username) for u in specialists
            ]
        else:
            del self.fields["assignee"]
        for name, field in self.fields.items():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-select form-select-sm"
            if name == "q":
                css = "form-control form-control-sm"
                field.widget.attrs["placeholder"] = _("Policy number or customer name")
                field.widget.input_type = "search"
            field.widget.attrs["class"] = css


class ContactForm(VersionForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=[(c, CONTACT_CHANNEL_LABELS[c]) for c in CONTACT_CHANNELS])
    reached = forms.BooleanField(label=_("Reached the customer"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_action_date = forms.DateField(label=_("Next action on"), required=False, widget=DateInput)


class QuoteForm(VersionForm):
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        initial=Decimal("0"),
    )


class ReasonForm(VersionForm):
    reason_code = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, kind=LostReason.Kind.LOST, reasons=None, **kwargs):
        super().__init__(*args, **kwargs)
        reasons = reasons if reasons is not None else LostReason.objects.filter(active=True)
        self.fields["reason_code"].choices = [("", _("Choose…"))] + [
            (r.code, r.display_name) for r in reasons if r.kind == kind
        ]


class ReferForm(forms.Form):
    to = forms.ChoiceField(label=_("Refer to"), choices=Referral.To.choices)
    note = forms.CharField(label=_("What do you need?"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveReferralForm(forms.Form):
    resolution = forms.CharField(label=_("Answer"), required=False, max_length=2000)


class AssignForm(VersionForm):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, specialists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(str(u.pk), u.get_full_name() or u.username) for u in specialists]


class BulkReassignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Reassign selected to"))
    case_ids = forms.CharField(required=False)

    def __init__(self, *args, specialists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(str(u.pk), u.get_full_name() or u.username) for u in specialists]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class LineForm(forms.ModelForm):
    class Meta:
        model = LineOfInsurance
        fields = [
            "name",
            "name_zh_hans",
            "renewal_window_days",
            "grace_days",
            "notice_lead_days",
            "term_months",
            "active",
        ]


class NewLineForm(LineForm):
    class Meta(LineForm.Meta):
        fields = ["code", *LineForm.Meta.fields]


class LostReasonForm(forms.ModelForm):
    class Meta:
        model = LostReason
        fields = ["name", "name_zh_hans", "kind", "active", "sort_order"]


class NewLostReasonForm(LostReasonForm):
    class Meta(LostReasonForm.Meta):
        fields = ["code", *LostReasonForm.Meta.fields]


def style_form(form):
    """Bootstrap classes on every widget (no inline styles: the CSP forbids them)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control")
    return form
