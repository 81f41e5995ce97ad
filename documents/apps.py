from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _case_customer(case) -> tuple:
    return (case.customer_id,)


class DocumentsConfig(AppConfig):
    """Renewal documents: the offer, the statutory notice and the confirmation as PDFs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from django.core import checks as django_checks
        from django.db.models.signals import post_migrate

        from documents import checks, receivers
        from renewals import panels, signals

        django_checks.register(checks.cjk_font_check)
        post_migrate.connect(checks.prepare_font_after_migrate, sender=self, dispatch_uid="documents.prepare_font")

        signals.case_closed.connect(receivers.on_case_closed, dispatch_uid="documents.case_closed")
        # The documents card on the case page (with the rate-shock flag and "what changed") and the
        # customer's documents on the customer page (htmx fragments served here).
        panels.register_case_panel("documents", "documents:case_documents", order=5)
        panels.register_customer_panel("documents", "documents:customer_documents", order=15)
