from django.contrib import admin

from core.admin import LargeTableAdmin
from customers.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintSla,
    Customer,
    CustomerVoiceSettings,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyResponse,
)


@admin.register(Customer)
class CustomerAdmin(LargeTableAdmin):
    list_display = ("external_ref", "name", "kind", "region", "segment", "preferred_channel")
    list_filter = ("segment", "kind", "preferred_channel")
    # Exact and prefix lookups only: both use the unique index at 500,000 customers.
    search_fields = ("=external_ref", "=phone_digits", "^name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_zh_hans", "active", "sort_order")
    list_editable = ("active", "sort_order")


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "actor", "from_status", "to_status", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(LargeTableAdmin):
    list_display = ("id", "customer", "category", "severity", "status", "received_at", "sla_due_at", "escalated_at")
    list_filter = ("status", "severity", "category", "received_via")
    raw_id_fields = ("customer", "policy", "case", "assignee", "created_by")
    search_fields = ("=id", "=customer__external_ref")
    date_hierarchy = None
    inlines = [ComplaintEventInline]


@admin.register(ComplaintSla)
class ComplaintSlaAdmin(admin.ModelAdmin):
    list_display = ("severity", "acknowledge_days", "resolve_days")


@admin.register(CustomerVoiceSettings)
class CustomerVoiceSettingsAdmin(admin.ModelAdmin):
    list_display = ("pk", "survey_delay_days", "sla_near_hours")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(LargeTableAdmin):
    list_display = ("id", "customer", "score", "channel", "responded_at")
    list_filter = ("channel",)
    raw_id_fields = ("customer", "case", "recorded_by")


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(LargeTableAdmin):
    list_display = ("id", "customer", "case", "send_after", "answered_at")
    raw_id_fields = ("customer", "case", "response")


@admin.register(SurveyFollowUp)
class SurveyFollowUpAdmin(LargeTableAdmin):
    list_display = ("id", "customer", "status", "created_at", "done_at")
    list_filter = ("status",)
    raw_id_fields = ("response", "customer", "assignee", "done_by")
