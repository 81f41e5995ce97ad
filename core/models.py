"""Abstract building blocks for the apps' models (no tables of its own)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LocalizedNameMixin(models.Model):
    """Reference data with an English and a Simplified Chinese name, edited by managers."""

    name = models.CharField(_("name (English)"), max_length=100)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    def name_in(self, language: str | None) -> str:
        """The name in ``language`` (a Django language code), English when there is no translation."""
        if (language or "").lower().startswith("zh") and self.name_zh_hans:
            return self.name_zh_hans
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the language of the current request."""
        return self.name_in(get_language())
