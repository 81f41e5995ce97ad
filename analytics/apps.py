from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from renewals import estimates, panels

        from .estimates import churn_estimator, curve_estimator

        # "My performance" for a specialist, the overflow ahead for a manager (analytics/team).
        panels.register_queue_panel("performance", "analytics:team-panel", order=20, title=_("Performance"))
        # The renewal probability a quoted premium buys, in the case page's quote preview.
        estimates.register_estimator("curve", curve_estimator, order=10)
        estimates.register_estimator("churn_model", churn_estimator, order=20)
