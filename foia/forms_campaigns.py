"""Forms for campaigns, agency selection and recording a portal/mail/fax submission."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.text import slugify

from .letters import TEMPLATE_VARIABLES, LetterError, template_check
from .models import Campaign, SendMethod

TEMPLATE_HELP = "Variables: " + "; ".join(f"{name} ({fields})" for name, fields in TEMPLATE_VARIABLES.items())


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "title",
            "slug",
            "tracking_prefix",
            "description",
            "records_wanted",
            "date_from",
            "date_to",
            "requester_name",
            "requester_outlet",
            "requester_email",
            "requester_address",
            "requester_phone",
            "fee_waiver_text",
            "fee_cap",
            "preferred_format",
            "subject_template",
            "body_template",
            "followup_mode",
            "followup_every_days",
            "followup_max",
            "send_per_hour",
        ]
        widgets = {
            "date_from": forms.DateInput(attrs={"type": "date"}),
            "date_to": forms.DateInput(attrs={"type": "date"}),
            "records_wanted": forms.Textarea(attrs={"rows": 6}),
            "requester_address": forms.Textarea(attrs={"rows": 3}),
            "fee_waiver_text": forms.Textarea(attrs={"rows": 4}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "body_template": forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        }
        help_texts = {
            "slug": "Short name for URLs and file names; left empty, it is made from the title.",
            "subject_template": "Leave empty for the default. " + TEMPLATE_HELP,
            "body_template": "Leave empty for the default letter. The date, agency address, subject line and "
            "signature are added around it. " + TEMPLATE_HELP,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["requester_email"].required = True
        self.fields["requester_name"].required = True
        records = self.fields["records_wanted"]
        records.required = True
        records.error_messages["required"] = "List at least one kind of record, one per line."
        if self.instance.pk and self.instance.requests.exists():
            # Tracking numbers already issued must stay readable as this campaign's.
            self.fields["tracking_prefix"].disabled = True
            self.fields[
                "tracking_prefix"
            ].help_text = "Fixed once requests exist (tracking numbers are stable)."

    def clean_tracking_prefix(self):
        # Only normalised here; the rules are the model's (Campaign field validators and clean()).
        return self.cleaned_data["tracking_prefix"].strip().upper()

    def clean_records_wanted(self):
        text = self.cleaned_data["records_wanted"]
        if not Campaign(records_wanted=text).records_list:
            raise forms.ValidationError("List at least one kind of record, one per line.")
        return text

    def _clean_template(self, name: str, label: str) -> str:
        source = self.cleaned_data.get(name, "")
        if source.strip():
            try:
                template_check(source=source, field=label)
            except LetterError as error:
                where = f"Line {error.line}: " if error.line else ""
                raise forms.ValidationError(f"{where}{error.message}") from None
        return source

    def clean_subject_template(self):
        return self._clean_template("subject_template", "Subject template")

    def clean_body_template(self):
        return self._clean_template("body_template", "Body template")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("title"):
            cleaned["slug"] = slugify(cleaned["title"])[:60] or "campaign"
            if Campaign.objects.filter(slug=cleaned["slug"]).exclude(pk=self.instance.pk).exists():
                self.add_error("slug", f'"{cleaned["slug"]}" is taken; choose another.')
        return cleaned


MANUAL_CHOICES = [
    (m.value, m.label) for m in (SendMethod.PORTAL, SendMethod.MAIL, SendMethod.FAX, SendMethod.HAND)
]


def manual_choices_for(agency) -> list[tuple[str, str]]:
    """The hand-submission channels this agency has a contact for (portal URL, address, fax); hand always."""
    has = {SendMethod.PORTAL: agency.portal_url, SendMethod.MAIL: agency.address, SendMethod.FAX: agency.fax}
    return [(value, label) for value, label in MANUAL_CHOICES if has.get(value, True)]


class MarkSentForm(forms.Form):
    sent_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Date submitted")
    method = forms.ChoiceField(choices=MANUAL_CHOICES)

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agency is not None:
            self.fields["method"].choices = manual_choices_for(agency)

    reference = forms.CharField(
        required=False,
        max_length=120,
        help_text="Portal request number, certified-mail number, fax receipt.",
        widget=forms.TextInput(
            attrs={"placeholder": "Reference: portal number, certified mail, fax receipt"}
        ),
    )

    received_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Received by the agency",
        help_text="From the delivery receipt (mail, fax, hand). Left empty, mail is estimated and marked so.",
    )

    def clean_sent_on(self):
        value = self.cleaned_data["sent_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date submitted cannot be in the future.")
        return value

    def clean(self):
        data = super().clean()
        sent_on, received_on = data.get("sent_on"), data.get("received_on")
        if sent_on and received_on and received_on < sent_on:
            self.add_error("received_on", f"{received_on} is before the date submitted ({sent_on}).")
        if received_on and received_on > timezone.localdate():
            self.add_error("received_on", "The receipt date cannot be in the future.")
        return data

    def sent_at(self) -> datetime.datetime:
        """Now if submitted today; otherwise noon of that day (the deadline counts from the date)."""
        day = self.cleaned_data["sent_on"]
        if day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
