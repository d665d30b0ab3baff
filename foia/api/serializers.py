"""API serializers: explicit fields only, unknown fields refused."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    Agency,
    Campaign,
    Communication,
    RecordsRequest,
    RequestDocument,
    RequestEvent,
    SendMethod,
    Status,
)


class StrictSerializer(serializers.ModelSerializer):
    """Refuses fields it does not know (or may not write), so a typo never passes silently."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data.keys()) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown or read-only field; it cannot be set here."] for name in unknown}
                )
        return super().to_internal_value(data)


class AgencySerializer(StrictSerializer):
    class Meta:
        model = Agency
        fields = [
            "id", "name", "state", "city", "county", "kind", "email", "portal_url", "portal_name", "address",
            "phone", "fax", "notes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_state(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise serializers.ValidationError('Use a two-letter postal code, e.g. "MI", or "US" for federal.')
        return value

    def validate(self, attrs):
        from ..models.agency import normalize_agency_name

        name = attrs.get("name", getattr(self.instance, "name", ""))
        state = attrs.get("state", getattr(self.instance, "state", ""))
        if not normalize_agency_name(name):
            raise serializers.ValidationError({"name": ["The name needs at least one letter or digit."]})
        city = attrs.get("city", getattr(self.instance, "city", ""))
        clash = Agency.objects.namesakes(name=name, state=state, city=city)
        if self.instance:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            where = ", ".join(filter(None, [clash[0].city, state]))
            raise serializers.ValidationError(
                {"name": [f"An agency with this name already exists in {where}."]}
            )
        return attrs


class CampaignSerializer(StrictSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True, default=None)
    agency_count = serializers.IntegerField(read_only=True)
    request_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id", "title", "slug", "tracking_prefix", "description", "records_wanted", "date_from", "date_to",
            "requester_name", "requester_outlet", "requester_email", "requester_address", "requester_phone",
            "fee_waiver_text", "fee_cap", "preferred_format", "followup_mode", "followup_every_days",
            "followup_max", "send_per_hour", "owner", "agency_count", "request_count", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    def to_internal_value(self, data):
        prefix = data.get("tracking_prefix") if hasattr(data, "get") else None
        if isinstance(prefix, str):  # normalised as the form does; the rules are the model's
            data = data.dict() if hasattr(data, "dict") else dict(data)
            data["tracking_prefix"] = prefix.strip().upper()
        return super().to_internal_value(data)

    def validate(self, attrs):
        # The model's cross-field rules (date range, prefix fixed once requests exist), as the form runs them.
        candidate = copy.copy(self.instance) if self.instance else Campaign()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs


class CampaignAgenciesSerializer(serializers.Serializer):
    """Body of POST /api/campaigns/{id}/agencies/: agencies to add to the campaign."""

    agency_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=5000
    )

    def to_internal_value(self, data):
        if hasattr(data, "keys") and set(data.keys()) - {"agency_ids"}:
            unknown = sorted(set(data.keys()) - {"agency_ids"})
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate_agency_ids(self, value: list[int]) -> list[int]:
        wanted = set(value)
        found = set(Agency.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(wanted - found)
        if missing:
            raise serializers.ValidationError(f"No agency with id {', '.join(map(str, missing[:20]))}.")
        return sorted(wanted)


class RequestEventSerializer(serializers.ModelSerializer):
    from_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    to_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RequestEvent
        fields = ["id", "kind", "from_status", "to_status", "due_before", "due_after", "message", "actor",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class RecordsRequestSerializer(serializers.ModelSerializer):
    campaign = serializers.PrimaryKeyRelatedField(read_only=True)
    campaign_title = serializers.CharField(source="campaign.title", read_only=True)
    agency = serializers.PrimaryKeyRelatedField(read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    state = serializers.CharField(source="agency.state", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True, default=None)
    send_method = serializers.ChoiceField(choices=SendMethod.choices, allow_blank=True, read_only=True)

    class Meta:
        model = RecordsRequest
        fields = [
            "id", "tracking_number", "campaign", "campaign_title", "agency", "agency_name", "state", "owner",
            "status", "send_method", "sent_at", "sent_reference", "received_on", "receipt_estimated",
            "receipt_reason", "ack_due_on", "acknowledged_on", "due_on", "due_is_statutory", "due_rule",
            "promised_on", "paused_on", "fee_amount", "exemptions_cited",
            "first_response_at", "closed_at", "followups_sent", "letter_subject", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class RecordsRequestDetailSerializer(RecordsRequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)

    class Meta(RecordsRequestSerializer.Meta):
        fields = [*RecordsRequestSerializer.Meta.fields, "letter_body", "events"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d{0,7}(?:\.\d{0,2})?$"})
class FeeAmountField(serializers.CharField):
    """A fee as sent (string or number); foia.lifecycle_rules.parse_fee parses and checks it."""


class TransitionSerializer(serializers.Serializer):
    """Body of POST /api/requests/{id}/transition/: record a response (a status change)."""

    to_status = serializers.ChoiceField(choices=Status.choices)
    # Amount, exemptions and lengths are checked by foia.lifecycle_rules (the same words as the web forms).
    note = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    fee_amount = FeeAmountField(required=False, allow_null=True, allow_blank=True, default=None)
    exemptions = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)

    def to_internal_value(self, data):
        if hasattr(data, "keys") and set(data.keys()) - set(self.fields):
            unknown = sorted(set(data.keys()) - set(self.fields))
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class CommunicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Communication
        fields = ["id", "request", "direction", "channel", "subject", "body", "from_address", "to_address",
                  "delivery_state", "occurred_at", "created_at"]  # fmt: skip
        read_only_fields = fields


class DocumentLinkSerializer(serializers.ModelSerializer):
    """A document as it arrived on one request."""

    document = serializers.IntegerField(source="document_id", read_only=True)
    request = serializers.IntegerField(source="request_id", read_only=True)
    tracking_number = serializers.CharField(source="request.tracking_number", read_only=True)
    agency = serializers.CharField(source="request.agency.name", read_only=True)
    kind = serializers.CharField(source="document.kind", read_only=True)
    mime_type = serializers.CharField(source="document.mime_type", read_only=True)
    size = serializers.IntegerField(source="document.size", read_only=True)
    sha256 = serializers.CharField(source="document.sha256", read_only=True)
    page_count = serializers.IntegerField(source="document.page_count", read_only=True, allow_null=True)
    extraction_status = serializers.CharField(source="document.extraction_status", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RequestDocument
        fields = ["id", "document", "request", "tracking_number", "agency", "filename", "kind",
                  "mime_type", "size", "sha256", "page_count", "extraction_status", "added_at",
                  "download_url"]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, link) -> str:
        return f"/api/documents/{link.pk}/download/"
