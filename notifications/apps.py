from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from notifications import receivers
        from renewals import signals

        signals.case_closed.connect(receivers.on_case_closed, dispatch_uid="notifications.case_closed")
        signals.case_reopened.connect(receivers.on_case_reopened, dispatch_uid="notifications.case_reopened")
