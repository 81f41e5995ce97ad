from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Customer lifecycle stages, win-back campaigns and randomised experiments."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
