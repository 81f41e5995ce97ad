from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Customer lifecycle stages, win-back campaigns and randomised experiments."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from campaigns.services import experiments
        from notifications import rendering
        from notifications.services import planning
        from renewals import panels

        # A case in a running schedule experiment is planned only its arm's steps, and new cases are
        # enrolled right before each planning run (so no case is planned before it has an arm).
        planning.register_step_filter(experiments._arm_step_filter)
        planning.register_schedule_override(experiments._in_running_experiment)
        planning.register_before_planning(experiments.experiments_enrol_due)
        # A case in a running template arm gets the arm's text in its reminders (not the notice).
        rendering.register_reminder_text(experiments._arm_reminder_text)
        panels.register_customer_panel("lifecycle", "campaigns:customer_lifecycle", order=30)
