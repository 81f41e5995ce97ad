"""The audit log of the settings pages: who changed what, from which value to which."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SettingsChange(models.Model):
    """Audit log of every change managers make on the settings pages."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    area = models.CharField(_("area"), max_length=32)
    object_repr = models.CharField(_("object"), max_length=200)
    # {field: [old, new]} as strings.
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")
