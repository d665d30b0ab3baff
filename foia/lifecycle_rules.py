"""The rules a status change must pass, written once: every door (forms, API, admin) goes through these.

Pure: no database, no clock. foia.lifecycle calls check_transition() before it changes anything; the doors
call it (through foia.lifecycle) and show LifecycleError.describe() or LifecycleError.by_field(), so the same
bad input gets the same message wherever it comes in.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from .models import Status

S = Status
_AGENCY_ANSWERS = {S.PARTIAL, S.COMPLETED, S.REJECTED, S.NO_RECORDS, S.WITHDRAWN}
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SENT, S.WITHDRAWN}),
    S.SENT: frozenset({S.ACKNOWLEDGED, S.PROCESSING, S.FIX_REQUIRED, S.PAYMENT_REQUIRED} | _AGENCY_ANSWERS),
    S.ACKNOWLEDGED: frozenset({S.PROCESSING, S.FIX_REQUIRED, S.PAYMENT_REQUIRED} | _AGENCY_ANSWERS),
    S.PROCESSING: frozenset({S.FIX_REQUIRED, S.PAYMENT_REQUIRED} | _AGENCY_ANSWERS),
    S.FIX_REQUIRED: frozenset({S.ACKNOWLEDGED, S.PROCESSING, S.PAYMENT_REQUIRED} | _AGENCY_ANSWERS),
    S.PAYMENT_REQUIRED: frozenset({S.PROCESSING, S.FIX_REQUIRED} | _AGENCY_ANSWERS),
    S.PARTIAL: frozenset({S.PROCESSING, S.FIX_REQUIRED, S.PAYMENT_REQUIRED, S.APPEALED} | _AGENCY_ANSWERS)
    - {S.PARTIAL},
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset({S.APPEALED}),
    S.NO_RECORDS: frozenset({S.APPEALED}),
    S.APPEALED: frozenset({S.PROCESSING, S.FIX_REQUIRED, S.PAYMENT_REQUIRED} | _AGENCY_ANSWERS),
    S.WITHDRAWN: frozenset(),
}
# Silence past a statutory deadline is a deemed denial: from these statuses a request may be appealed, but
# only when the caller says the deadline passed (deemed_denial=True; foia.lifecycle decides from due_on).
DEEMED_DENIAL_FROM = frozenset({S.SENT, S.ACKNOWLEDGED, S.PROCESSING})
# RecordsRequest.fee_amount holds 9 digits with 2 decimals; a larger "amount" is a typo, not a fee.
MAX_FEE = Decimal("9999999.99")
MAX_TEXT = 5000  # note and exemptions, in characters

FEE_NEEDED = "Payment required needs the amount the agency asked for, e.g. 25.00."
EXEMPTIONS_NEEDED = "A rejection needs the exemptions cited, e.g. MCL 15.243(1)(b)."


class LifecycleError(ValidationError):
    """A change the lifecycle refuses; nothing was changed. Field-named when built from a dict."""

    def by_field(self, default: str = "__all__") -> dict[str, list[str]]:
        """The messages keyed by field name (messages without a field go under `default`)."""
        if hasattr(self, "error_dict"):
            return {name: list(ValidationError(errors).messages) for name, errors in self.error_dict.items()}
        return {default: list(self.messages)}

    def describe(self) -> str:
        """One line for a page: "fee_amount: …; exemptions: …" (messages without a field as they are)."""
        parts = []
        for name, messages in self.by_field().items():
            text = " ".join(messages)
            parts.append(text if name == "__all__" else f"{name}: {text}")
        return "; ".join(parts)


def allowed_transitions(status: str) -> list[str]:
    """Statuses reachable from `status` by request_transition (sending is request_mark_sent's job)."""
    return [s.value for s in Status if s in TRANSITIONS.get(status, ()) and s != S.SENT]


def parse_fee(value) -> Decimal | None:
    """A fee in dollars from a form, the API or code: None when empty; LifecycleError naming fee_amount."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LifecycleError({"fee_amount": ["Give the amount in dollars, e.g. 25.00."]}) from None
    if not amount.is_finite():
        raise LifecycleError({"fee_amount": ["Give the amount in dollars, e.g. 25.00."]})
    if amount < 0:
        raise LifecycleError({"fee_amount": ["The amount cannot be negative."]})
    if amount > MAX_FEE:
        raise LifecycleError({"fee_amount": [f"At most {MAX_FEE:,}; check the amount."]})
    if amount != amount.quantize(Decimal("0.01")):
        raise LifecycleError({"fee_amount": ["At most two decimal places (cents)."]})
    return amount.quantize(Decimal("0.01"))


def check_transition(
    *,
    from_status: str,
    to_status: str,
    fee_amount=None,
    exemptions: str = "",
    note: str = "",
    deemed_denial: bool = False,
) -> Decimal | None:
    """Raise LifecycleError (every problem, by field) unless the change is allowed; returns the fee."""
    if to_status not in Status.values:
        raise LifecycleError({"to_status": [f'"{to_status}" is not a status.']})
    if to_status == S.SENT:
        raise LifecycleError(
            {"to_status": ["A draft is sent with “Mark sent” (request_mark_sent), which needs the date."]}
        )
    deemed = deemed_denial and to_status == S.APPEALED and from_status in DEEMED_DENIAL_FROM
    if to_status not in TRANSITIONS[from_status] and not deemed:
        allowed = ", ".join(Status(s).label.lower() for s in allowed_transitions(from_status)) or "nothing"
        raise LifecycleError(
            {
                "to_status": [
                    f"This request cannot go from {Status(from_status).label.lower()} to "
                    f"{Status(to_status).label.lower()} (allowed: {allowed})."
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    fee = None
    try:
        fee = parse_fee(fee_amount)
    except LifecycleError as error:
        errors.update(error.by_field())
    if to_status == S.PAYMENT_REQUIRED and fee is None and "fee_amount" not in errors:
        errors["fee_amount"] = [FEE_NEEDED]
    exemptions = exemptions or ""
    if to_status == S.REJECTED and not exemptions.strip():
        errors["exemptions"] = [EXEMPTIONS_NEEDED]
    if len(exemptions) > MAX_TEXT:
        errors["exemptions"] = [f"At most {MAX_TEXT} characters."]
    if len(note or "") > MAX_TEXT:
        errors["note"] = [f"At most {MAX_TEXT} characters."]
    if errors:
        raise LifecycleError(errors)
    return fee
