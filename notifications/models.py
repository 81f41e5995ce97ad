"""Reminder schedule, message templates, the outbox and the statutory notice proofs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    CALL = "call", _("Call task")
    LETTER = "letter", _("Printed letter")


# The channels the outbox sends itself; a call step is a to-do for the specialist.
MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS)
# What a reminder step can use; a printed letter is only a way to give the statutory notice.
STEP_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.CALL)
# The ways a statutory notice can be given, in a line's order (see NoticeChannel).
NOTICE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.LETTER)
# Per channel: (consent column, address column) on customers_customer.
CUSTOMER_CHANNEL_COLUMNS = {
    "email": ("consent_email", "email"),
    "sms": ("consent_sms", "phone"),
    "call": ("consent_phone", "phone"),
}


class Language(models.TextChoices):
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")


class ReminderStep(models.Model):
    """One step of a line's reminder schedule, e.g. "auto: 45 days before expiry, email, notice"."""

    line = models.ForeignKey(
        "renewals.LineOfInsurance", on_delete=models.CASCADE, related_name="reminder_steps", verbose_name=_("line")
    )
    offset_days = models.SmallIntegerField(
        _("offset (days from expiry)"), help_text=_("Negative: before expiry; positive: after expiry (grace).")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    is_notice = models.BooleanField(
        _("statutory renewal notice"), default=False, help_text=_("The notice that must go out before the deadline.")
    )
    active = models.BooleanField(_("active"), default=True)
    # A removed step leaves the schedule (and the settings page) but keeps its outbox history; adding
    # the same offset and channel again brings it back.
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    # Planning plans this step only for step dates from this day on (set when its channel changes,
    # so customers who already got the old channel's message are not sent the new one too).
    plan_from = models.DateField(_("planned from"), null=True, blank=True)

    class Meta:
        ordering = ["line__sort_order", "offset_days", "channel"]
        verbose_name = _("reminder step")
        verbose_name_plural = _("reminder steps")
        constraints = [
            models.UniqueConstraint(fields=["line", "offset_days", "channel"], name="reminder_step_unique"),
            models.UniqueConstraint(fields=["line"], condition=Q(is_notice=True), name="reminder_step_one_notice"),
            models.CheckConstraint(
                condition=Q(is_notice=False) | Q(channel="email") | Q(channel="sms"), name="reminder_notice_is_message"
            ),
            models.CheckConstraint(condition=Q(channel__in=["email", "sms", "call"]), name="reminder_step_channel"),
        ]

    def __str__(self):
        days = abs(self.offset_days)
        sign = "T−" if self.offset_days < 0 else "T+"
        return f"{self.line.code} {sign}{days} {self.channel}"

    @property
    def label(self) -> str:
        sign = "T−" if self.offset_days < 0 else "T+"
        return f"{sign}{abs(self.offset_days)}"


class NoticeChannel(models.Model):
    """One entry of a line's ordered list of statutory notice channels (e.g. email, then SMS, then a
    printed letter): the notice goes by the first one the customer can receive."""

    line = models.ForeignKey(
        "renewals.LineOfInsurance", on_delete=models.CASCADE, related_name="notice_channels", verbose_name=_("line")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)

    class Meta:
        ordering = ["line_id", "position"]
        verbose_name = _("notice channel")
        verbose_name_plural = _("notice channels")
        constraints = [
            models.UniqueConstraint(fields=["line", "position"], name="notice_channel_position_unique"),
            models.UniqueConstraint(fields=["line", "channel"], name="notice_channel_unique"),
            models.CheckConstraint(condition=Q(channel__in=["email", "sms", "letter"]), name="notice_channel_kind"),
        ]

    def __str__(self):
        return f"{self.line_id} {self.position} {self.channel}"


class MessageTemplate(models.Model):
    """Subject and body of one step (or the survey invitation) in one channel and language.

    Rendered with Django's template engine in a sandbox: only plain strings in the context,
    no template loading, no tag libraries (see notifications.rendering).
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        SURVEY = "survey", _("Survey invitation")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REMINDER)
    step = models.ForeignKey(
        ReminderStep, on_delete=models.CASCADE, null=True, blank=True, related_name="templates", verbose_name=_("step")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["step", "channel", "language"], condition=Q(step__isnull=False), name="template_step_unique"
            ),
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], condition=Q(step__isnull=True), name="template_kind_unique"
            ),
            models.CheckConstraint(condition=Q(kind="survey") | Q(step__isnull=False), name="template_reminder_step"),
        ]

    def __str__(self):
        return f"{self.step or self.kind} {self.channel} {self.language}"


class OutboundMessage(models.Model):
    """The outbox: one row per (case, step, channel), planned once, sent at most once per key.

    ``next_attempt_at`` is the time dispatch picks the row up (planning time, deferrals and
    retry backoff all move it); the row id is the provider's idempotency key.

    A campaign message (kind ``campaign``) is a marketing message to a customer who often has no open
    case: it has no case, line or step, but a ``campaign_message_id`` (the campaigns app's row, by id:
    notifications does not know campaigns), unique, so handing it over twice adds nothing. Its
    ``subject``/``body`` hold the campaign's text until it is sent, then what was sent. A campaign
    call task (channel ``call``) is a to-do of its ``assignee``.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        SURVEY = "survey", _("Survey invitation")
        CAMPAIGN = "campaign", _("Campaign message")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class SkipReason(models.TextChoices):
        OPTED_OUT = "opted_out", _("Customer opted out")
        NO_ADDRESS = "no_address", _("No address")
        CASE_CLOSED = "case_closed", _("Case closed")
        STEP_REMOVED = "step_removed", _("Step removed")
        OUTCOME_KNOWN = "outcome_known", _("Campaign outcome known")

    class DeferReason(models.TextChoices):
        QUIET_HOURS = "quiet_hours", _("Quiet hours")
        DAILY_CAP = "daily_cap", _("One message per day")
        NOTICE_DAY = "notice_day", _("Statutory notice that day")

    class Delivery(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    UNSENT_STATUSES = (Status.SCHEDULED, Status.SENDING)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REMINDER)
    # Indexed by the (case, step, channel) unique index, whose leading column serves case lookups.
    case = models.ForeignKey(
        "renewals.RenewalCase",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_messages",
        verbose_name=_("case"),
        db_index=False,
    )
    # Denormalised from the case for the daily cap, the customer log and the manager filters.
    # No database constraint or index on these copies: planning inserts millions of rows and the
    # case's own foreign keys already guarantee them (each check and index would add to every insert).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    line = models.ForeignKey(
        "renewals.LineOfInsurance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    step = models.ForeignKey(
        ReminderStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("step"),
        db_constraint=False,
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    is_notice = models.BooleanField(_("statutory notice"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(_("skip reason"), max_length=16, choices=SkipReason.choices, blank=True)
    defer_reason = models.CharField(_("deferred because"), max_length=16, choices=DeferReason.choices, blank=True)
    due_date = models.DateField(_("step date"))
    scheduled_for = models.DateTimeField(_("scheduled for"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a fresh token per claim. Every write after the claim (renewing the lease
    # before the send, recording the outcome) is conditional on it, so a worker whose lease expired
    # and was taken over cannot send or record the row.
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # Survey invitation link (signed, no personal data); reminders build their links at send time.
    link = models.CharField(max_length=500, blank=True)
    survey_invitation_id = models.BigIntegerField(null=True, blank=True)
    # The campaigns app's CampaignMessage this row sends (campaign rows only; unique).
    campaign_message_id = models.BigIntegerField(null=True, blank=True)
    # A campaign call task's offer (the returning-customer discount, %), shown in the viewer's language.
    offer_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Who makes a campaign call task (a reminder call belongs to its case's assignee).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    delivery_status = models.CharField(max_length=10, choices=Delivery.choices, blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        constraints = [
            # Not partial, so it also serves every "messages of this case" read; survey rows have no
            # step (NULLs are distinct) and are kept unique by outbox_one_survey.
            models.UniqueConstraint(fields=["case", "step", "channel"], name="outbox_case_step_channel"),
            models.UniqueConstraint(fields=["case", "kind"], condition=Q(kind="survey"), name="outbox_one_survey"),
            # One notice per case whatever channel it ends up using (dispatch may move it from email
            # to SMS or a letter); planning's ON CONFLICT DO NOTHING honours it too.
            models.UniqueConstraint(fields=["case"], condition=Q(is_notice=True), name="outbox_one_notice"),
            models.CheckConstraint(
                condition=Q(kind__in=["survey", "campaign"]) | Q(step__isnull=False), name="outbox_reminder_has_step"
            ),
            # Only a campaign message may have no case; it is handed over once per campaign message.
            models.CheckConstraint(
                condition=Q(kind="campaign") | Q(case__isnull=False), name="outbox_case_unless_campaign"
            ),
            models.UniqueConstraint(
                fields=["campaign_message_id"], condition=Q(kind="campaign"), name="outbox_one_per_campaign_message"
            ),
            models.CheckConstraint(
                condition=~Q(status="skipped") | ~Q(skip_reason=""), name="outbox_skipped_has_reason"
            ),
        ]
        indexes = [
            # Dispatch: unsent messages by due time (partial: history and call tasks are not scanned).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["scheduled", "sending"], channel__in=["email", "sms"]),
                name="outbox_due_idx",
            ),
            # Call to-dos of an assignee's cases and the compliance watchlist's unsent notices.
            models.Index(fields=["case"], condition=Q(status="scheduled", channel="call"), name="outbox_call_todo_idx"),
            # Campaign call tasks by assignee, and the customer log's campaign rows (few of the outbox).
            models.Index(
                fields=["assignee", "due_date"],
                condition=Q(kind="campaign", status="scheduled", channel="call"),
                name="outbox_campaign_call_idx",
            ),
            models.Index(fields=["customer", "-id"], condition=Q(kind="campaign"), name="outbox_campaign_customer_idx"),
            # The case and customer logs read by case through the unique (case, step, channel) index.
            # Partial indexes keep planning's inserts cheap: the daily cap reads what was sent by
            # customer; the manager's status filter needs an index only for the rarer outcomes
            # (scheduled and sent rows are found quickly paging back by id).
            models.Index(
                fields=["customer", "sent_at"], condition=Q(sent_at__isnull=False), name="outbox_customer_sent_idx"
            ),
            models.Index(
                fields=["status", "-id"],
                condition=Q(status__in=["sending", "failed", "skipped"]),
                name="outbox_status_idx",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.channel} {self.status}"

    @property
    def idempotency_key(self) -> str:
        return str(self.pk)


class CustomerDayClaim(models.Model):
    """The one-message-a-day cap: a customer's local day, claimed by the message sent on it.

    Claimed in the transaction that renews the message's lease right before the provider call; the
    unique constraint makes the cap hold across any number of dispatch workers. Claims older than a
    few days are pruned by planning.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(_("day"))
    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer day claim")
        verbose_name_plural = _("customer day claims")
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="customer_day_claim_unique")]
        indexes = [models.Index(fields=["day"], name="customer_day_claim_day_idx")]


class NoticeProof(models.Model):
    """Immutable proof that a case's statutory renewal notice was sent.

    Written once by the dispatch service (email, SMS) or by a manager recording a posted letter
    (``recorded_by``, ``posted_on``, ``note``); a PostgreSQL trigger refuses UPDATE and DELETE.
    """

    case = models.OneToOneField(
        "renewals.RenewalCase", on_delete=models.PROTECT, related_name="notice_proof", verbose_name=_("case")
    )
    message = models.OneToOneField(OutboundMessage, on_delete=models.PROTECT, related_name="notice_proof")
    sent_at = models.DateTimeField(_("sent at"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    # The SHA-256 of the notice document (documents.Document) the notice carried or the letter printed.
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    deadline = models.DateField(_("deadline"))
    # A printed letter: who recorded it, the posting date and their note. PROTECT, not SET_NULL:
    # the trigger refuses the UPDATE that SET_NULL would make.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    posted_on = models.DateField(_("posted on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("notice proof")
        verbose_name_plural = _("notice proofs")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A notice proof is immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A notice proof is immutable.")

    @property
    def on_time(self) -> bool:
        return (self.posted_on or timezone.localdate(self.sent_at)) <= self.deadline


class ConsentChange(models.Model):
    """Audit record of a consent change made by the customer through an unsubscribe link."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    # A channel, or "marketing" (a campaign message's link).
    channel = models.CharField(max_length=16)
    allowed = models.BooleanField()
    source = models.CharField(max_length=32, default="unsubscribe_link")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        indexes = [models.Index(fields=["customer", "-created_at"], name="consent_change_customer_idx")]


# The notice rule table and the outbox archive (docs/retention.md) live in their own modules;
# importing them here registers them with the app.
from notifications.archive_models import ArchivedMessage  # noqa: E402,F401
from notifications.notice_rules.models import NoticeRule  # noqa: E402,F401
