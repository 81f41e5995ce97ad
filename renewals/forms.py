"""HTML forms of the renewals app: they parse input; the services decide."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from renewals.addons.models import AddOn
from renewals.limits import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH
from renewals.models import OPEN_STAGES, ContactChannel, LineOfInsurance, LostReason, Referral

# The largest id PostgreSQL's bigint holds.
MAX_ID = 2**63 - 1


class DateInput(forms.DateInput):
    input_type = "date"


class VersionForm(forms.Form):
    version = forms.IntegerField(label=_("Version"), widget=forms.HiddenInput, required=False)


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
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    reached = forms.BooleanField(label=_("Reached the customer"), required=False, initial=True)
    refused_calls = forms.BooleanField(label=_("The customer refused further calls"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_action_date = forms.DateField(label=_("Next action on"), required=False, widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("refused_calls") and cleaned.get("channel") not in (None, ContactChannel.PHONE):
            # The service refuses it too (the API's 400 on "refused_calls").
            self.add_error("refused_calls", _("Only a phone call can record that the customer refused further calls."))
        return cleaned


class QuoteForm(VersionForm):
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        initial=Decimal("0"),
    )


class RenewForm(VersionForm):
    """Renewing from the case page: the accepted quote's premium unless a manager types another."""

    premium = forms.DecimalField(
        label=_("Premium"), required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2
    )


class ReasonForm(VersionForm):
    reason_code = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, kind=LostReason.Kind.LOST, reasons=None, **kwargs):
        super().__init__(*args, **kwargs)
        reasons = reasons if reasons is not None else LostReason.objects.filter(active=True)
        self.fields["reason_code"].choices = [("", _("Choose…"))] + [
            (r.code, r.display_name) for r in reasons if r.kind == kind
        ]


class LoseForm(ReasonForm):
    """Mark lost; with the competitor reason, the competitor (a code of the list) and their premium."""

    competitor = forms.CharField(label=_("Competitor"), required=False, max_length=32)
    competitor_premium = forms.DecimalField(
        label=_("Competitor's premium"), required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )


class CompetitorQuoteForm(forms.Form):
    competitor = forms.CharField(label=_("Competitor"), max_length=32)
    premium = forms.DecimalField(
        label=_("Competitor's premium"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    cover_notes = forms.CharField(label=_("Cover notes"), required=False, max_length=500)


class ReferForm(forms.Form):
    to = forms.ChoiceField(label=_("Refer to"), choices=Referral.To.choices)
    note = forms.CharField(
        label=_("What do you need?"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(VersionForm):
    decision_date = forms.DateField(label=_("Decide by"), widget=DateInput)


class ResolveReferralForm(forms.Form):
    resolution = forms.CharField(label=_("Answer"), required=False, max_length=COMMENT_MAX_LENGTH)


class AssignForm(VersionForm):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, specialists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(str(u.pk), u.get_full_name() or u.username) for u in specialists]


class BulkReassignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Reassign selected to"))
    case_ids = forms.CharField(label=_("Cases"), required=False)

    def __init__(self, *args, specialists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(str(u.pk), u.get_full_name() or u.username) for u in specialists]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX_LENGTH)


class StepTableWidget(forms.Widget):
    """A factor table posted as two parallel lists, ``<name>_threshold`` and ``<name>_factor``."""

    def value_from_datadict(self, data, files, name):
        return list(zip(data.getlist(f"{name}_threshold"), data.getlist(f"{name}_factor"), strict=False))

    def value_omitted_from_data(self, data, files, name):
        return False


class StepTableField(forms.Field):
    """(threshold, factor) steps of a pricing table; a row with both cells empty is no row."""

    widget = StepTableWidget
    default_error_messages = {"invalid": _("Each step needs a whole-number threshold and a decimal factor.")}

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> list[tuple[int, Decimal]]:
        rows = []
        for threshold, factor in value or []:
            if not threshold.strip() and not factor.strip():
                continue
            try:
                row = (int(threshold), Decimal(factor))
            except (ValueError, InvalidOperation):
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if not row[1].is_finite():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            rows.append(row)
        return rows


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
            "rate_shock_percent",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty (the "add a line" form shows no values): the line keeps its threshold, a new
        # line gets the default.
        self.fields["rate_shock_percent"].required = False

    def clean_rate_shock_percent(self):
        value = self.cleaned_data.get("rate_shock_percent")
        if value is None:
            return self.instance.rate_shock_percent
        return value


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


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("name (English)"), max_length=100)
    name_zh_hans = forms.CharField(label=_("name (Simplified Chinese)"), max_length=100, required=False)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("sort order"), required=False, min_value=0, max_value=32767, initial=0)


class NewCompetitorForm(CompetitorForm):
    code = forms.SlugField(label=_("code"), max_length=32)
    field_order = ["code", "name", "name_zh_hans", "active", "sort_order"]


class PricingForm(forms.Form):
    """One line's pricing card: the base rate change and the two step tables."""

    line_id = forms.ModelChoiceField(label=_("Line"), queryset=LineOfInsurance.objects.all())
    base_rate_change_percent = forms.DecimalField(label=_("Base rate change (%)"), required=False)
    claims = StepTableField(label=_("Claims factors"))
    loyalty = StepTableField(label=_("Loyalty factors"))

    def clean_base_rate_change_percent(self):
        value = self.cleaned_data["base_rate_change_percent"]
        return Decimal("0") if value is None else value


class DiscountAuthorityForm(forms.Form):
    """The discount authority grid: one cell ``a_<user id>_<line id>`` per specialist and line.
    An empty cell leaves that authority as it is; the service checks each value."""

    def __init__(self, *args, specialists=(), lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cells: dict[str, tuple[int, int]] = {}
        for user in specialists:
            for line in lines:
                name = f"a_{user.pk}_{line.pk}"
                self.fields[name] = forms.CharField(required=False)
                self.cells[name] = (user.pk, line.pk)

    def rows(self) -> list[dict]:
        """The filled cells, as ``discount_authorities_set`` takes them."""
        return [
            {"user_id": user_id, "line_id": line_id, "max_discount_percent": self.cleaned_data[name]}
            for name, (user_id, line_id) in self.cells.items()
            if self.cleaned_data[name]
        ]


class IdChoicesField(forms.ModelMultipleChoiceField):
    """Rows chosen by id; a value that is not a whole number within bigint is refused before any query."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
                message = self.error_messages["invalid_pk_value"]
                raise ValidationError(message, code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


class SpecialistProfileForm(forms.Form):
    """One specialist's skills and availability on the specialists page."""

    user_id = forms.IntegerField(label=_("Specialist"), min_value=1, max_value=MAX_ID)
    lines = IdChoicesField(label=_("Lines"), queryset=LineOfInsurance.objects.all(), required=False)
    regions = forms.CharField(label=_("Regions"), required=False)
    skills = forms.CharField(label=_("Skills"), required=False, max_length=400)
    away = forms.BooleanField(label=_("Away"), required=False)

    def clean_regions(self) -> list[str]:
        return self.cleaned_data["regions"].split(",")

    def clean_skills(self) -> list[str]:
        return self.cleaned_data["skills"].split(",")


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


class AddOnForm(forms.ModelForm):
    """One add-on of the catalogue (the code and line are fixed once created)."""

    segments = forms.MultipleChoiceField(
        label=_("Only for segments (none ticked: all)"),
        choices=Customer.Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    class Meta:
        model = AddOn
        fields = [
            "name",
            "name_zh_hans",
            "kind",
            "pricing",
            "amount",
            "description",
            "description_zh_hans",
            "segments",
            "attribute_name",
            "attribute_max",
            "provider",
            "capacity_note",
            "active_from",
            "active_to",
        ]
        widgets = {"active_from": DateInput, "active_to": DateInput}


class NewAddOnForm(AddOnForm):
    class Meta(AddOnForm.Meta):
        fields = ["code", "line", *AddOnForm.Meta.fields]
