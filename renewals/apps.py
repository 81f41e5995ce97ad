from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _case_customer(case) -> tuple:
    return (case.customer_id,)


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals")

    def ready(self):
        from customers import signals as customer_signals
        from renewals import panels, receivers

        customer_signals.complaint_logged.connect(
            receivers.on_complaint_logged, dispatch_uid="renewals.complaint_logged"
        )
        customer_signals.complaint_status_changed.connect(
            receivers.on_complaint_status_changed, dispatch_uid="renewals.complaint_status_changed"
        )
        customer_signals.survey_answered.connect(receivers.on_survey_answered, dispatch_uid="renewals.survey_answered")
        # The customers app sits below renewals and may not import it, so its complaints panel is
        # registered here, where renewals already depends on customers.
        panels.register_case_panel("complaints", "customers:panel-customer", args=_case_customer, order=20)
        panels.register_customer_panel("contact", "customers:panel-contact", order=5)
        panels.register_customer_panel("complaints", "customers:panel-customer", order=10)
        # The NPS survey asks, optionally, how satisfied the customer was with each service used.
        from customers import survey_questions
        from renewals.addons.survey import service_questions

        survey_questions.register(service_questions)
