from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Renewal documents: the offer, the statutory notice and the confirmation as PDFs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
