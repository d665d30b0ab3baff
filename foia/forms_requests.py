"""Forms for a request's status, extension and notes; the rules themselves live in foia.lifecycle_rules."""

from django import forms

from .lifecycle_rules import LifecycleError
from .models import Status


class FeeAmountField(forms.CharField):
    """A fee as typed; parsed and checked by lifecycle_rules.parse_fee so every door says the same thing."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "25.00"}))
        super().__init__(**kwargs)


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label="New status", choices=Status.choices)
    note = forms.CharField(
        label="Note (what the agency said)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    fee_amount = FeeAmountField(label="Fee estimate ($)", help_text="For payment required, e.g. 25.00")
    exemptions = forms.CharField(
        label="Exemptions cited", required=False, help_text="For a rejection, e.g. MCL 15.243(1)(b)"
    )


class ExtensionForm(forms.Form):
    new_due_on = forms.DateField(label="New due date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Reason the agency gave", widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


def refusal_text(error: LifecycleError) -> str:
    """What a page says when the lifecycle refuses a change (the same words on every door)."""
    return f"Nothing changed. {error.describe()}"


def form_refusal_text(form: forms.Form) -> str:
    """The same shape for a form that did not parse: "Nothing changed. field: message; …"."""
    problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    return f"Nothing changed. {problems}"
