"""The policy import's extra columns (``Policy.attributes``), as the churn model reads them."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportAttribute(models.Model):
    """An extra column of the policy import, kept in ``Policy.attributes``: its type is inferred
    from the first file that carries it (``inferred``) and reviewed by a manager in the admin;
    only ``active`` attributes feed the churn model."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("Number")
        CATEGORY = "category", _("Category")
        BOOLEAN = "boolean", _("True/false")
        DATE = "date", _("Date")

    name = models.SlugField(_("column"), max_length=64, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=100, blank=True)
    inferred = models.BooleanField(_("inferred"), default=True, help_text=_("Typed by the import, not yet reviewed."))
    active = models.BooleanField(_("used by the churn model"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import attribute")
        verbose_name_plural = _("import attributes")

    def __str__(self):
        return self.label or self.name
