from django.contrib import admin

from customers.admin_utils import LargeTableAdmin
from customers.models import Complaint, ComplaintCategory, Customer, SurveyResponse


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


@admin.register(Complaint)
class ComplaintAdmin(LargeTableAdmin):
    list_display = ("id", "customer", "category", "severity", "status", "received_at", "sla_due_at")
    list_filter = ("status", "severity", "category", "received_via")
    raw_id_fields = ("customer", "policy", "case", "assignee", "created_by")
    search_fields = ("=id", "=customer__external_ref")
    date_hierarchy = None


@admin.register(SurveyResponse)
class SurveyResponseAdmin(LargeTableAdmin):
    list_display = ("id", "customer", "score", "channel", "responded_at")
    list_filter = ("channel",)
    raw_id_fields = ("customer", "case", "recorded_by")
