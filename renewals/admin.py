from django.contrib import admin

from customers.admin_utils import LargeTableAdmin
from renewals.models import CaseEvent, LineOfInsurance, LostReason, Policy, Quote, RenewalCase


@admin.register(LineOfInsurance)
class LineOfInsuranceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "renewal_window_days", "grace_days", "notice_lead_days", "term_months", "active")


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "active", "sort_order")
    list_filter = ("kind", "active")


@admin.register(Policy)
class PolicyAdmin(LargeTableAdmin):
    list_display = ("number", "customer", "line", "start_date", "end_date", "premium", "channel", "status")
    list_filter = ("line", "status", "channel")
    search_fields = ("=number", "=customer__external_ref")
    raw_id_fields = ("customer", "previous_policy")
    list_select_related = ("customer", "line")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    raw_id_fields = ("actor",)
    readonly_fields = ("kind", "actor", "payload", "created_at")
    can_delete = False


@admin.register(RenewalCase)
class RenewalCaseAdmin(LargeTableAdmin):
    list_display = ("id", "policy", "line", "stage", "assignee", "due_date", "priority")
    list_filter = ("stage", "line")
    search_fields = ("=id", "=policy__number")
    raw_id_fields = ("policy", "customer", "assignee", "current_quote", "successor_policy", "closed_by", "updated_by")
    list_select_related = ("policy", "line", "assignee")
    inlines = [CaseEventInline]


@admin.register(Quote)
class QuoteAdmin(LargeTableAdmin):
    list_display = ("id", "case", "premium", "discount_percent", "approval_status", "created_at")
    list_filter = ("approval_status",)
    raw_id_fields = ("case", "created_by", "decided_by")
