from django.contrib import admin

from core.admin import LargeTableAdmin
from renewals.models import (
    CaseEvent,
    ClaimsFactor,
    DiscountAuthority,
    ImportAttribute,
    LineOfInsurance,
    LostReason,
    LoyaltyFactor,
    Playbook,
    Policy,
    PricingRule,
    Quote,
    Referral,
    RenewalCase,
    SettingsChange,
    SpecialistProfile,
)


class ClaimsFactorInline(admin.TabularInline):
    model = ClaimsFactor
    extra = 0


class LoyaltyFactorInline(admin.TabularInline):
    model = LoyaltyFactor
    extra = 0


@admin.register(LineOfInsurance)
class LineOfInsuranceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "renewal_window_days", "grace_days", "notice_lead_days", "term_months", "active")
    inlines = [ClaimsFactorInline, LoyaltyFactorInline]


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


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    list_display = ("line", "base_rate_change_percent", "updated_at")


@admin.register(DiscountAuthority)
class DiscountAuthorityAdmin(admin.ModelAdmin):
    list_display = ("user", "line", "max_discount_percent")
    list_filter = ("line",)
    raw_id_fields = ("user",)


@admin.register(SpecialistProfile)
class SpecialistProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "away", "regions")
    list_filter = ("away",)
    raw_id_fields = ("user",)


@admin.register(Referral)
class ReferralAdmin(LargeTableAdmin):
    list_display = ("id", "case", "to", "created_at", "resolved_at")
    list_filter = ("to",)
    raw_id_fields = ("case", "created_by", "resolved_by")


@admin.register(SettingsChange)
class SettingsChangeAdmin(admin.ModelAdmin):
    """The audit log is read-only, also in the admin."""

    list_display = ("created_at", "actor", "area", "object_repr")
    list_filter = ("area",)
    readonly_fields = ("actor", "area", "object_repr", "changes", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportAttribute)
class ImportAttributeAdmin(admin.ModelAdmin):
    """Managers review the attributes the import inferred: their type, label and use by the churn model."""

    list_display = ["name", "label", "kind", "inferred", "active", "created_at"]
    list_filter = ["kind", "inferred", "active"]
    list_editable = ["label", "kind", "active"]
    search_fields = ["name", "label"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    """Read-only here: playbooks change through Settings → Playbooks (a new version each, audited)."""

    list_display = ("code", "name", "line", "position", "is_default", "status", "current_version")
    list_filter = ("status", "is_default", "line")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
