"""Renewal documents (offer, statutory notice, confirmation), their templates and acceptances.

Documents, template versions and acceptance records are append-only: a PostgreSQL trigger refuses
UPDATE and DELETE on all three (migration 0001), like the notice proof. Re-issuing a document
makes a new version; editing a template saves a new version.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
LANGUAGES = (("en", "English"), ("zh-hans", "简体中文"))


class DocumentKind(models.TextChoices):
    OFFER = "offer", _("Renewal offer")
    NOTICE = "notice", _("Statutory renewal notice")
    CONFIRMATION = "confirmation", _("Renewal confirmation")


class AppendOnly(models.Model):
    """Rows written once (the database trigger refuses changes; this refuses them earlier)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"A {self._meta.verbose_name} is immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"A {self._meta.verbose_name} is immutable.")


class DocumentTemplate(AppendOnly):
    """The text a manager edits for one kind of document, per language, optionally per line
    (the statutory notice's legally required content differs by line). The newest version of
    (kind, line, language) is the one in use; a line without its own falls back to line=None."""

    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices)
    line = models.ForeignKey(
        "renewals.LineOfInsurance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("line"),
    )
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [
            # One version number per text: the line's own texts, and the texts for every line.
            models.UniqueConstraint(
                fields=["kind", "line", "language", "version"],
                condition=Q(line__isnull=False),
                name="doc_template_line_version_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "language", "version"],
                condition=Q(line__isnull=True),
                name="doc_template_all_lines_version_unique",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="doc_template_version_positive"),
        ]


class Document(AppendOnly):
    """One issued PDF: what it is, for which case, its bytes and their SHA-256."""

    case = models.ForeignKey(
        "renewals.RenewalCase", on_delete=models.PROTECT, related_name="documents", verbose_name=_("case")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="documents", verbose_name=_("customer")
    )
    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices)
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content = models.BinaryField(_("PDF"))
    template = models.ForeignKey(DocumentTemplate, on_delete=models.PROTECT, related_name="+")
    template_version = models.PositiveIntegerField(_("template version"))
    # The offer's quote and the confirmation's successor policy: what the document states.
    quote = models.ForeignKey("renewals.Quote", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "version"], name="document_case_kind_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="document_version_positive"),
        ]
        indexes = [models.Index(fields=["customer", "-issued_at"], name="document_customer_idx")]


class AcceptanceChannel(models.TextChoices):
    ONLINE = "online", _("Online (offer link)")
    PHONE = "phone", _("Phone")
    BRANCH = "branch", _("In a branch")
    EMAIL = "email", _("E-mail")


ACCEPTANCE_STATEMENT = _("I accept the renewal on these terms.")


class AcceptanceRecord(AppendOnly):
    """What the customer accepted: the offer document (hash, version), the terms text version, the
    statement shown, when, and how (the link's hash, the hashed IP address and the user agent
    online; the channel, who confirmed and the specialist who recorded it otherwise)."""

    case = models.ForeignKey(
        "renewals.RenewalCase", on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("case")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=AcceptanceChannel.choices)
    offer_document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    offer_sha256 = models.CharField(_("offer SHA-256"), max_length=64, blank=True)
    offer_version = models.PositiveIntegerField(_("offer version"), null=True, blank=True)
    terms_version = models.PositiveIntegerField(_("terms version"), null=True, blank=True)
    quote = models.ForeignKey("renewals.Quote", on_delete=models.PROTECT, related_name="+")
    premium = models.DecimalField(_("premium"), **MONEY)
    statement = models.TextField(_("statement shown"))
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    link_sha256 = models.CharField(_("link (SHA-256)"), max_length=64, blank=True)
    ip_sha256 = models.CharField(_("IP address (hashed)"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    confirmed_by = models.CharField(_("who confirmed"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("acceptance record")
        verbose_name_plural = _("acceptance records")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="online") | ~Q(confirmed_by="") & Q(recorded_by__isnull=False),
                name="acceptance_offline_says_who",
                violation_error_message=_("Who confirmed: required unless the customer accepted online."),
            )
        ]
        indexes = [models.Index(fields=["case", "-accepted_at"], name="acceptance_case_idx")]
