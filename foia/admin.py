"""Django admin for every model: the editor's back office (law rows, closed days, agencies, ...)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import models


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_staff")
    list_filter = ("role", "is_staff", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Newsroom", {"fields": ("role", "digest_enabled")}))


class ClosedDayInline(admin.TabularInline):
    model = models.ClosedDay
    extra = 1


@admin.register(models.Law)
class LawAdmin(admin.ModelAdmin):
    list_display = ("jurisdiction", "law_name", "response_days", "day_type", "requester_limit", "verified_on")
    list_filter = ("day_type", "requester_limit")
    search_fields = ("jurisdiction", "jurisdiction_name", "law_name", "citation")
    inlines = [ClosedDayInline]


@admin.register(models.ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("law", "date", "closed", "reason")
    list_filter = ("closed", "law")


@admin.register(models.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "city", "kind", "email", "portal_name")
    list_filter = ("state", "kind")
    search_fields = ("name", "city", "county", "email")


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "tracking_prefix", "owner", "created_at")
    search_fields = ("title",)
    filter_horizontal = ("agencies",)
    prepopulated_fields = {"slug": ("title",)}


class RequestEventInline(admin.TabularInline):
    model = models.RequestEvent
    extra = 0
    readonly_fields = (
        "kind",
        "from_status",
        "to_status",
        "due_before",
        "due_after",
        "message",
        "actor",
        "created_at",
    )
    can_delete = False


@admin.register(models.RecordsRequest)
class RecordsRequestAdmin(admin.ModelAdmin):
    list_display = ("tracking_number", "agency", "campaign", "status", "due_on", "owner")
    list_filter = ("status", "campaign", "agency__state")
    search_fields = ("tracking_number", "agency__name")
    raw_id_fields = ("agency", "campaign", "owner")
    inlines = [RequestEventInline]


@admin.register(models.RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    list_display = ("request", "kind", "from_status", "to_status", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("request", "actor")


@admin.register(models.Communication)
class CommunicationAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "direction", "channel", "subject", "request", "delivery_state")
    list_filter = ("direction", "channel", "delivery_state")
    search_fields = ("subject", "from_address", "message_id")
    raw_id_fields = ("request", "created_by")


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "mime_type", "size", "extraction_status", "created_at")
    list_filter = ("kind", "extraction_status", "mime_type")
    search_fields = ("original_name", "sha256")


@admin.register(models.RequestDocument)
class RequestDocumentAdmin(admin.ModelAdmin):
    list_display = ("filename", "request", "document", "added_at")
    raw_id_fields = ("request", "document", "communication", "added_by")


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "for_date", "state", "attempts", "sent_at")
    list_filter = ("kind", "state")
    raw_id_fields = ("request", "user")
