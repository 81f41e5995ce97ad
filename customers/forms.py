"""Forms parse input only; the rules live in customers.services."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import EARLIEST_ENTERED
from customers import regions
from customers.limits import (
    COMPLAINT_DESCRIPTION_MAX_LENGTH,
    COMPLAINT_NOTE_MAX_LENGTH,
    COMPLAINT_RESOLUTION_MAX_LENGTH,
    COMPLAINT_ROOT_CAUSE_MAX_LENGTH,
    FOLLOW_UP_OUTCOME_MAX_LENGTH,
    SURVEY_COMMENT_MAX_LENGTH,
)
from customers.models import Complaint, ComplaintCategory, ComplaintSla, Customer, SurveyResponse
from customers.workflow import COMPLAINT_EDITORS

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class BootstrapMixin:
    """Bootstrap classes on every widget (no inline styles: the CSP forbids them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_application_error(self, error) -> None:
        """Show a service's ApplicationError on the field it names (or the whole form)."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class DateTimeLocalInput(forms.DateTimeInput):
    """A time something happened: the browser offers nothing before EARLIEST_ENTERED (the service
    refuses it whatever the browser sends)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)
        self.attrs.setdefault("min", timezone.localtime(EARLIEST_ENTERED).strftime(DATETIME_LOCAL))


def staff_choices():
    """Support staff and managers, who may own complaints."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=COMPLAINT_EDITORS)
        .distinct()
        .order_by("username")
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class ComplaintLogForm(BootstrapMixin, forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    policy = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Policy (optional)"), empty_label=_("No particular policy")
    )
    case = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Renewal case (optional)"), empty_label=_("No particular case")
    )
    received_via = forms.ChoiceField(
        label=_("Received via"), choices=Complaint.ReceivedVia.choices, initial=Complaint.ReceivedVia.PHONE
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=DateTimeLocalInput(),
        help_text=_("Now, or earlier if it came in before (never in the future)."),
    )
    category = forms.ModelChoiceField(
        queryset=ComplaintCategory.objects.none(), label=_("Category"), empty_label=_("Choose a category")
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Complaint.Severity.choices, initial=Complaint.Severity.NORMAL
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=COMPLAINT_DESCRIPTION_MAX_LENGTH
    )

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is None:
            # Policies and cases are offered only once the customer is known (through the
            # customer's own relations: customers never imports renewals).
            del self.fields["policy"], self.fields["case"]
        else:
            self.fields["policy"].queryset = customer.policies.order_by("-end_date")
            self.fields["policy"].label_from_instance = lambda policy: f"{policy.number} · {policy.end_date}"
            self.fields["case"].queryset = customer.renewal_cases.select_related("policy").order_by("-due_date")
            self.fields["case"].label_from_instance = lambda case: f"{case.policy.number} · {case.get_stage_display()}"
        self.fields["category"].queryset = ComplaintCategory.objects.filter(active=True)
        now_local = timezone.localtime().strftime(DATETIME_LOCAL)
        self.fields["received_at"].initial = now_local
        self.fields["received_at"].widget.attrs["max"] = now_local
        if customer:
            self.fields["customer"].initial = customer.pk


class ResolveForm(BootstrapMixin, forms.Form):
    resolution = forms.CharField(
        label=_("Resolution given to the customer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMPLAINT_RESOLUTION_MAX_LENGTH,
    )
    upheld = forms.TypedChoiceField(
        label=_("Upheld?"),
        choices=[("yes", _("Yes, the customer was right")), ("no", _("No, not upheld"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    root_cause = forms.CharField(label=_("Root cause"), max_length=COMPLAINT_ROOT_CAUSE_MAX_LENGTH)


class NoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=COMPLAINT_NOTE_MAX_LENGTH)


class AssignForm(BootstrapMixin, forms.Form):
    assignee = StaffChoiceField(queryset=None, required=False, label=_("Assignee"), empty_label=_("Unassigned"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_choices()


class QueueFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), *Complaint.Status.choices, ("all", _("All"))],
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *Complaint.Severity.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=ComplaintCategory.objects.all(), empty_label=_("Any category")
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Unassigned")),
            *[(str(user.pk), user.get_full_name() or user.get_username()) for user in staff_choices()],
        ]


class CategoryToggleForm(forms.Form):
    """The active/inactive button of a category row (its id in ``category_id``)."""

    category_id = forms.ModelChoiceField(queryset=ComplaintCategory.objects.all(), label=_("Category"))


class SlaForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ComplaintSla
        fields = ["acknowledge_days", "resolve_days"]


class VoiceSettingsForm(BootstrapMixin, forms.Form):
    survey_delay_days = forms.IntegerField(
        label=_("Send the NPS survey this many days after a case is decided"), min_value=0, max_value=90
    )
    sla_near_hours = forms.IntegerField(
        label=_("Show a complaint in amber when less than this many hours are left"), min_value=0, max_value=720
    )


class CategoryForm(BootstrapMixin, forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name (English)"), max_length=100)
    name_zh_hans = forms.CharField(label=_("Name (Simplified Chinese)"), max_length=100, required=False)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32000, initial=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


SCORE_CHOICES = [(str(n), str(n)) for n in range(11)]


class PhoneAnswerForm(BootstrapMixin, forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.TypedChoiceField(
        label=_("Score (0 = not at all likely, 10 = extremely likely)"), choices=SCORE_CHOICES, coerce=int
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=SURVEY_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    responded_at = forms.DateTimeField(label=_("Answer given at"), widget=DateTimeLocalInput())
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(SurveyResponse.Channel.PHONE, _("Phone")), (SurveyResponse.Channel.EMAIL, _("Email"))],
        initial=SurveyResponse.Channel.PHONE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responded_at"].initial = timezone.localtime().strftime(DATETIME_LOCAL)


class FollowUpDoneForm(BootstrapMixin, forms.Form):
    outcome = forms.CharField(
        label=_("Outcome of the call"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=FOLLOW_UP_OUTCOME_MAX_LENGTH,
    )


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=SURVEY_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ContactForm(BootstrapMixin, forms.Form):
    """A customer's contact details and consent, as staff change them on the customer page."""

    phone = forms.CharField(label=_("Phone"), required=False, max_length=Customer._meta.get_field("phone").max_length)
    email = forms.EmailField(label=_("Email"), required=False)
    consent_phone = forms.BooleanField(label=_("Calls allowed"), required=False)
    consent_sms = forms.BooleanField(label=_("SMS allowed"), required=False)
    consent_email = forms.BooleanField(label=_("Email allowed"), required=False)
    marketing_opt_out = forms.BooleanField(label=_("Opted out of marketing"), required=False)
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=Customer.Channel.choices)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Customer.Language.choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), help_text=_("Quiet hours for text messages follow the customer's time zone.")
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "phone": customer.phone,
                "email": customer.email,
                "consent_phone": customer.consent_phone,
                "consent_sms": customer.consent_sms,
                "consent_email": customer.consent_email,
                "marketing_opt_out": customer.marketing_opt_out,
                "preferred_channel": customer.preferred_channel,
                "preferred_language": customer.preferred_language,
                # An empty zone is the region's (where known) or the site's: show which one that is.
                "time_zone": customer.time_zone or regions.default_time_zone(customer.region) or settings.TIME_ZONE,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in sorted(regions.time_zone_names())]
