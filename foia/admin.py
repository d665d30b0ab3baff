"""Django admin for every model: the editor's back office (law rows, closed days, agencies, ...)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import models
from .forms_requests import FeeAmountField
from .lifecycle import LifecycleError, allowed_transitions, check_transition, request_transition

LIFECYCLE_FORM_FIELDS = ("new_status", "new_fee_amount", "new_exemptions", "status_note")


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


class RecordsRequestAdminForm(forms.ModelForm):
    """The request's own fields, plus a status change that goes through foia.lifecycle like every door."""

    # Lifecycle field name -> this form's field, so a refusal shows next to what was typed.
    LIFECYCLE_FIELDS = {
        "to_status": "new_status",
        "fee_amount": "new_fee_amount",
        "exemptions": "new_exemptions",
        "note": "status_note",
    }
    new_status = forms.ChoiceField(label="Change status to", required=False)
    new_fee_amount = FeeAmountField(label="Fee amount asked (fee_amount)", help_text="For payment required")
    new_exemptions = forms.CharField(label="Exemptions cited (exemptions)", required=False)
    status_note = forms.CharField(label="Note for the timeline", required=False, widget=forms.Textarea)

    class Meta:
        model = models.RecordsRequest
        fields = ["campaign", "agency", "tracking_number", "reply_token", "owner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every status is offered so a disallowed one gets the lifecycle's reason, not "not a valid choice".
        current = self.instance.status if self.instance.pk else models.Status.DRAFT
        self.fields["new_status"].choices = [("", "(no change)"), *models.Status.choices]
        allowed = ", ".join(models.Status(s).label.lower() for s in allowed_transitions(current))
        self.fields["new_status"].help_text = f"Allowed from {current}: {allowed or 'nothing'}."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_status") and self.instance.pk:
            try:
                check_transition(
                    from_status=self.instance.status,
                    to_status=cleaned["new_status"],
                    fee_amount=cleaned.get("new_fee_amount"),
                    exemptions=cleaned.get("new_exemptions", ""),
                    note=cleaned.get("status_note", ""),
                )
            except LifecycleError as error:
                for name, messages in error.by_field(default="to_status").items():
                    self.add_error(self.LIFECYCLE_FIELDS.get(name), messages)
        return cleaned


@admin.register(models.RecordsRequest)
class RecordsRequestAdmin(admin.ModelAdmin):
    """Status, dates and the clock are read-only here: they change only through foia.lifecycle."""

    form = RecordsRequestAdminForm
    list_display = ("tracking_number", "agency", "campaign", "status", "due_on", "owner")
    list_filter = ("status", "campaign", "agency__state")
    search_fields = ("tracking_number", "agency__name")
    raw_id_fields = ("agency", "campaign", "owner")
    readonly_fields = (
        "status", "sent_at", "send_method", "received_on", "ack_due_on", "due_on", "due_rule",
        "due_is_statutory", "paused_on", "paused_days_left", "fee_amount", "exemptions_cited",
        "first_response_at", "closed_at", "followups_sent", "next_followup_on", "letter_state",
        "letter_frozen_at",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("campaign", "agency", "tracking_number", "reply_token", "owner")}),
        ("Change the status (through the lifecycle)", {"fields": LIFECYCLE_FORM_FIELDS}),
        ("State (read-only)", {"fields": readonly_fields}),
    )
    inlines = [RequestEventInline]

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.fieldsets[:1]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        to_status = form.cleaned_data.get("new_status") if change else ""
        if to_status:
            request_transition(
                records_request=obj,
                to_status=to_status,
                actor=request.user,
                note=form.cleaned_data.get("status_note", ""),
                fee_amount=form.cleaned_data.get("new_fee_amount"),
                exemptions=form.cleaned_data.get("new_exemptions", ""),
            )


@admin.register(models.RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    """The timeline is written by foia.lifecycle only; here it is read."""

    list_display = ("request", "kind", "from_status", "to_status", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("request", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


from .findings import admin as findings_admin  # noqa: E402, F401 - registers the findings models
