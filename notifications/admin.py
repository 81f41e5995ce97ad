"""Admin for the reminder tables. The outbox and the proofs are read-only here: every write goes
through notifications.services (and PostgreSQL refuses changes to notice proofs)."""

from django.contrib import admin

from core.admin import LargeTableAdmin
from notifications.models import (
    ConsentChange,
    MessageTemplate,
    NoticeChannel,
    NoticeProof,
    OutboundMessage,
    ReminderStep,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderStep)
class ReminderStepAdmin(admin.ModelAdmin):
    list_display = ["line", "offset_days", "channel", "is_notice", "active", "removed_at"]
    list_filter = ["line", "channel", "is_notice", "active"]


@admin.register(NoticeChannel)
class NoticeChannelAdmin(admin.ModelAdmin):
    list_display = ["line", "position", "channel"]
    list_filter = ["line"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "channel", "language", "updated_at"]
    list_filter = ["kind", "channel", "language"]
    readonly_fields = ["updated_at", "updated_by"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyMixin, LargeTableAdmin):
    list_display = ["id", "kind", "case_id", "channel", "status", "skip_reason", "due_date", "attempts", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    raw_id_fields = ["case", "customer", "step", "done_by"]
    search_fields = ["=id", "=case__id", "=provider_message_id"]


@admin.register(NoticeProof)
class NoticeProofAdmin(ReadOnlyMixin, LargeTableAdmin):
    list_display = ["case_id", "sent_at", "deadline", "channel", "posted_on", "content_hash"]
    raw_id_fields = ["case", "message", "recorded_by"]
    search_fields = ["=case__id"]


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyMixin, LargeTableAdmin):
    list_display = ["customer_id", "channel", "allowed", "source", "created_at"]
    raw_id_fields = ["customer"]
