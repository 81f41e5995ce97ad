from django.contrib import admin

from core.admin import LargeTableAdmin
from documents.models import AcceptanceRecord, Document, DocumentTemplate


class ReadOnly:
    """Append-only rows (the database refuses changes): the admin shows them, never edits them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly, LargeTableAdmin):
    list_display = ("id", "case_id", "kind", "version", "language", "sha256", "size", "issued_at")
    list_filter = ("kind", "language")
    exclude = ("content",)
    raw_id_fields = ("case", "customer", "quote", "issued_by", "template")


@admin.register(AcceptanceRecord)
class AcceptanceRecordAdmin(ReadOnly, LargeTableAdmin):
    list_display = ("id", "case_id", "channel", "premium", "offer_version", "accepted_at")
    list_filter = ("channel",)
    raw_id_fields = ("case", "offer_document", "quote", "recorded_by")


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("kind", "line", "language", "version", "created_at")
    list_filter = ("kind", "language")
