from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from renewals import panels

        # "My performance" for a specialist, the overflow ahead for a manager (analytics/team).
        panels.register_queue_panel("performance", "analytics:team-panel", order=20, title=_("Performance"))
