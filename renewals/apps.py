from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals")

    def ready(self):
        from customers import signals as customer_signals
        from renewals import receivers

        customer_signals.complaint_logged.connect(
            receivers.on_complaint_logged, dispatch_uid="renewals.complaint_logged"
        )
        customer_signals.complaint_status_changed.connect(
            receivers.on_complaint_status_changed, dispatch_uid="renewals.complaint_status_changed"
        )
        customer_signals.survey_answered.connect(receivers.on_survey_answered, dispatch_uid="renewals.survey_answered")
