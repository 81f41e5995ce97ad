from django.contrib import admin

from campaigns.models import Campaign, Experiment, LineLifecycleSetting


@admin.register(LineLifecycleSetting)
class LineLifecycleSettingAdmin(admin.ModelAdmin):
    list_display = ("line", "dormant_after_months", "updated_at")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "starts_on", "ends_on")
    list_filter = ("status",)
    readonly_fields = ("status", "started_at", "finished_at", "created_by")


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "line", "status", "holdout_percent")
    list_filter = ("status", "kind")
    readonly_fields = ("status", "seed", "started_at", "stopped_at", "winner", "created_by")
