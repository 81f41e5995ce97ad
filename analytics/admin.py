from django.contrib import admin

from .models import ChurnModelRun, KpiTarget, RollupState


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ("kpi", "value", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")


@admin.register(ChurnModelRun)
class ChurnModelRunAdmin(admin.ModelAdmin):
    list_display = ("fitted_at", "status", "decided_cases", "auc", "scored_cases")
    readonly_fields = [f.name for f in ChurnModelRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ("name", "refreshed_at", "rebuilt_at", "months_refreshed")
    readonly_fields = ("name", "refreshed_at", "rebuilt_at", "last_survey_id", "months_refreshed")

    def has_add_permission(self, request):
        return False
