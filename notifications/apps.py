from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from documents import hooks as document_hooks
        from notifications import receivers
        from notifications.links import offer_url
        from notifications.notice_rules.selectors import case_notice_deadline, case_notice_kind
        from notifications.rendering import TemplateRenderError, render_text
        from renewals import notice_deadline, panels, signals

        # Documents render managers' texts in the message templates' sandbox and print the offer link.
        document_hooks.provide(renderer=render_text, error_class=TemplateRenderError, offer_link=offer_url)

        # A case's notice deadline follows the notice rule in force for it.
        notice_deadline.provide(case_notice_deadline)
        document_hooks.provide_notice_kind(case_notice_kind)
        signals.case_closed.connect(receivers.on_case_closed, dispatch_uid="notifications.case_closed")
        signals.case_reopened.connect(receivers.on_case_reopened, dispatch_uid="notifications.case_reopened")
        signals.line_saved.connect(receivers.on_line_saved, dispatch_uid="notifications.line_saved")
        # The reminder log and the call to-dos on the renewals pages (htmx fragments served here).
        panels.register_case_panel("messages", "notifications:case_messages", order=10)
        panels.register_customer_panel("messages", "notifications:customer_messages", order=20)
        panels.register_queue_panel("calls", "notifications:call_tasks", title=_("Calls to make"))
