"""An appeal's life and clocks: drafted -> filed -> acknowledged -> granted / partly granted / denied
(-> litigation considered), or withdrawn; every allowed move is in TRANSITIONS below.

Filing (by email through foia.outbound, or recorded by hand for portal, mail and fax) fixes the day the body
received the appeal with the deadline engine's receipt rules (business hours and channel rules of the
agency's state) and counts the body's decision deadline on the state's business-day calendar. The request
moves to "appealed" when it had a decision (rejected, no records, partial); its own follow-ups to the agency
stop, and follow-ups go to the appeal body instead (foia.appeals.followups).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from .. import deadlines
from ..clocks import LifecycleError, agency_zone, business_hours_end
from ..lifecycle import request_transition
from ..lifecycle_rules import DEEMED_DENIAL_FROM
from ..models import Law, RecordsRequest, RequestEvent, RequestEventKind, SendMethod, Status
from ..models.communication import DeliveryState
from ..outbound import (
    OutboundKind,
    outbound_enqueue_on_commit,
    outbound_key,
    outbound_kind_register,
    outbound_new,
)
from .models import Appeal, AppealBasis, AppealKind, AppealStatus
from .rules import decision_due, shipped_appeal_rules
from .services import AppealError, appeal_pdf, calendar_for_state

A = AppealStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    A.DRAFTED: frozenset({A.FILED, A.WITHDRAWN}),
    A.FILED: frozenset({A.ACKNOWLEDGED, A.GRANTED, A.PARTLY_GRANTED, A.DENIED, A.WITHDRAWN}),
    A.ACKNOWLEDGED: frozenset({A.GRANTED, A.PARTLY_GRANTED, A.DENIED, A.WITHDRAWN}),
    A.PARTLY_GRANTED: frozenset({A.LITIGATION}),
    A.DENIED: frozenset({A.LITIGATION}),
    A.GRANTED: frozenset(),
    A.LITIGATION: frozenset(),
    A.WITHDRAWN: frozenset(),
}
PENDING = frozenset({A.FILED, A.ACKNOWLEDGED})
# What the request becomes when the body decides (only while the request is "appealed").
_REQUEST_AFTER = {A.GRANTED: Status.PROCESSING, A.PARTLY_GRANTED: Status.PARTIAL, A.DENIED: Status.REJECTED}
MANUAL_VIA = (SendMethod.PORTAL, SendMethod.MAIL, SendMethod.FAX, SendMethod.HAND)


def allowed(appeal: Appeal) -> list[str]:
    """Statuses a person may move the appeal to from the page (filing has its own form)."""
    return [s.value for s in AppealStatus if s in TRANSITIONS[appeal.status] and s != A.FILED]


def _event(rr_id: int, message: str, actor=None, **fields) -> None:
    actor = actor if getattr(actor, "pk", None) else None
    RequestEvent.objects.create(
        request_id=rr_id, kind=RequestEventKind.APPEAL, actor=actor, message=message, **fields
    )


def _received(appeal: Appeal, law, filed_at, via: str, received_on) -> deadlines.Receipt:
    rr = appeal.request
    calendar = calendar_for_state(rr.agency.state)
    if law is None:  # no law row: receipt is the filing day (the next business day after hours)
        return deadlines.Receipt(
            calendar.next_business_day(timezone.localtime(filed_at).date(), include_today=True),
            False,
            "filed",
        )
    return deadlines.receipt(
        filed_at,
        terms=deadlines.terms_for(law),
        calendar=calendar,
        tz=agency_zone(rr.agency),
        business_hours_end=business_hours_end(),
        via=via,
        received_on=received_on,
    )


def _request_appealed(rr: RecordsRequest, appeal: Appeal, actor) -> None:
    """The request moves to "appealed" through the lifecycle: after a denial, and after a deemed denial
    (silence past the statutory deadline) as long as the request still waits on the agency."""
    decided = rr.status in (Status.REJECTED, Status.NO_RECORDS, Status.PARTIAL)
    deemed = appeal.basis == AppealBasis.DEEMED and rr.status in DEEMED_DENIAL_FROM
    if not (decided or deemed):
        return
    try:
        request_transition(records_request=rr, to_status=Status.APPEALED, actor=actor, note="Appeal filed.")
    except LifecycleError as error:  # e.g. the agency extended its deadline since: the filing still counts
        _event(rr.pk, f"The request stays {rr.get_status_display().lower()}: {error.describe()}", actor)
    rr.refresh_from_db()


def appeal_record_filed(
    *,
    appeal: Appeal,
    filed_at: datetime.datetime,
    via: str,
    reference: str = "",
    received_on: datetime.date | None = None,
    actor=None,
    probably: bool = False,
) -> Appeal:
    """Drafted -> filed: the body's receipt and decision deadline, the request appealed, follow-ups moved."""
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update()
            .select_related("request__agency", "request__campaign")
            .get(pk=appeal.pk)
        )
        if appeal.status != A.DRAFTED:
            raise AppealError({"status": [f"This appeal is already {appeal.get_status_display().lower()}."]})
        if appeal.kind == AppealKind.DEMAND:
            raise AppealError(
                {
                    "kind": [
                        "A demand letter is sent to the agency, not filed as an appeal: record it as a note."
                    ]
                }
            )
        rr = appeal.request
        law = Law.objects.filter(jurisdiction=rr.agency.state).first()
        try:
            receipt = _received(appeal, law, filed_at, via, received_on)
        except (deadlines.DeadlineError, LifecycleError) as error:
            text = " ".join(error.messages) if isinstance(error, LifecycleError) else str(error)
            raise AppealError({"received_on": [text]}) from None
        rule = shipped_appeal_rules()[appeal.jurisdiction]
        due, text = decision_due(
            rule=rule, calendar=calendar_for_state(rr.agency.state), received_on=receipt.received_on
        )
        appeal.status, appeal.filed_at, appeal.filed_via = A.FILED, filed_at, via
        appeal.filed_reference, appeal.received_on = reference[:120], receipt.received_on
        appeal.decision_due_on, appeal.decision_rule = due, text[:600]
        appeal.next_followup_on = due + datetime.timedelta(days=1) if due else None
        appeal.save()
        how = SendMethod(via).label.lower() if via in SendMethod.values else via
        note = " — the mail server did not confirm it: please confirm" if probably else ""
        _event(
            rr.pk,
            f"Appeal filed with {appeal.body} by {how}{f' (ref. {reference})' if reference else ''}{note}; "
            f"received {receipt.received_on}; decision due {due or 'no statutory date'} ({text}).",
            actor,
        )
        _request_appealed(rr, appeal, actor)
        # The request now waits on the body: its date is the body's deadline; follow-ups go to the body.
        fields = {"next_followup_on": None}
        if due:
            fields.update(due_on=due, due_rule=f"appeal decision due: {text}"[:400], due_is_statutory=True)
        before = rr.due_on
        RecordsRequest.objects.filter(pk=rr.pk).update(**fields)
        if due and before != due:
            _event(
                rr.pk,
                f"Due date is now the appeal body's decision deadline: {text}.",
                actor,
                due_before=before,
                due_after=due,
            )
    return appeal


def appeal_transition(
    *, appeal: Appeal, to_status: str, actor=None, on: datetime.date | None = None, note: str = ""
) -> Appeal:
    """Move a filed appeal on (acknowledged, the body's decision, litigation) or withdraw it; guarded."""
    if to_status not in AppealStatus.values:
        raise AppealError({"to_status": [f'"{to_status}" is not an appeal status.']})
    if to_status == A.FILED:
        raise AppealError({"to_status": ["An appeal is filed by sending it or recording how it was filed."]})
    on = on or timezone.localdate()
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("request").get(pk=appeal.pk)
        if to_status not in TRANSITIONS[appeal.status]:
            names = ", ".join(AppealStatus(s).label.lower() for s in allowed(appeal)) or "nothing"
            raise AppealError(
                {
                    "to_status": [
                        f"Cannot go from {appeal.get_status_display().lower()} to "
                        f"{AppealStatus(to_status).label.lower()} (allowed: {names})."
                    ]
                }
            )
        before = appeal.status
        appeal.status = to_status
        if to_status not in PENDING:
            appeal.next_followup_on = None
        if to_status in _REQUEST_AFTER:
            appeal.outcome_on = on
        appeal.save()
        message = (
            f"Appeal: {AppealStatus(before).label.lower()} → {AppealStatus(to_status).label.lower()} on {on}."
        )
        _event(appeal.request_id, f"{message} {note}".strip(), actor)
        rr = appeal.request
        if to_status in _REQUEST_AFTER and rr.status == Status.APPEALED:
            # A denial upheld keeps the exemptions the agency relied on (a rejection must name them).
            exemptions = rr.exemptions_cited or appeal.exemptions or f"upheld on appeal by {appeal.body}"
            try:
                request_transition(
                    records_request=rr,
                    to_status=_REQUEST_AFTER[to_status],
                    actor=actor,
                    note=f"Appeal {AppealStatus(to_status).label.lower()}.",
                    exemptions=exemptions if _REQUEST_AFTER[to_status] == Status.REJECTED else "",
                )
            except LifecycleError as error:
                raise AppealError(error.messages) from None
    return appeal


# --- Sending by email through the one outbound pipeline (key appeal:<request>:<appeal>) -----------------


def appeal_key(appeal: Appeal) -> str:
    return outbound_key("appeal", appeal.request_id, appeal.pk)


def appeal_send_problem(appeal: Appeal) -> str:
    """Why this appeal cannot be emailed now, or ''."""
    if appeal.status != A.DRAFTED:
        return f"the appeal is already {appeal.get_status_display().lower()}"
    if not appeal.is_reviewed:
        return "not reviewed yet"
    if not appeal.to_address:
        how = appeal.file_how or "portal or mail"
        return f"no email address for {appeal.body}: file it by {how} (checklist)"
    return ""


def appeal_queue_email(*, appeal: Appeal, actor=None) -> int:
    """Write the pending outgoing email (keyed, so never twice) and send it after commit; its id."""
    from ..models import Communication

    problem = appeal_send_problem(appeal)
    if problem:
        raise AppealError(f"{appeal.request.tracking_number}: {problem}.")
    rr = appeal.request
    letter = Communication.objects.filter(idempotency_key=f"send:{rr.pk}").values_list(
        "message_id", flat=True
    )
    with transaction.atomic():
        if Communication.objects.filter(idempotency_key=appeal_key(appeal)).exists():
            raise AppealError(f"{rr.tracking_number}: this appeal was already queued for sending.")
        comm = outbound_new(
            records_request=rr,
            key=appeal_key(appeal),
            subject=appeal.subject,
            body=appeal.letter,
            in_reply_to=letter.first() or "",
            actor=actor,
        )
        comm.to_address = appeal.to_address
        comm.save()
        outbound_enqueue_on_commit(comm.pk)
    return comm.pk


def _appeal_of(communication) -> Appeal:
    return Appeal.objects.select_related("request__agency").get(
        pk=int(communication.idempotency_key.split(":")[2])
    )


def _appeal_attachments(communication) -> list[tuple[str, bytes, str]]:
    appeal = _appeal_of(communication)
    name = f"{appeal.request.tracking_number}-appeal.pdf"
    return [(name, appeal_pdf(appeal), "application/pdf")]


def _appeal_sent(communication, probably: bool) -> None:
    appeal = _appeal_of(communication)
    if appeal.status != A.DRAFTED:
        return
    if appeal.kind == AppealKind.DEMAND:
        _event(appeal.request_id, f"Demand letter emailed to {communication.to_address}.")
        return
    appeal_record_filed(
        appeal=appeal,
        filed_at=communication.occurred_at,
        via=SendMethod.EMAIL,
        reference=communication.message_id or "",
        probably=probably,
    )


def _appeal_failed(communication) -> None:
    _event(communication.request_id, f"The appeal could not be emailed: {communication.delivery_error}")


def _appeal_unwanted(communication) -> str:
    appeal = _appeal_of(communication)
    return "" if appeal.status == A.DRAFTED else f"the appeal is {appeal.get_status_display().lower()}"


outbound_kind_register(
    OutboundKind(
        prefix="appeal",
        on_sent=_appeal_sent,
        on_failed=_appeal_failed,
        attachments=_appeal_attachments,
        unwanted=_appeal_unwanted,
    )
)


def appeals_send_reviewed(*, appeals, actor=None) -> tuple[int, list[str]]:
    """ "Send the N reviewed": email every reviewed draft with an address; the others are listed with why."""
    sent, skipped = 0, []
    for appeal in appeals.select_related("request__agency"):
        problem = appeal_send_problem(appeal)
        if problem:
            skipped.append(f"{appeal.request.tracking_number}: {problem}")
            continue
        try:
            appeal_queue_email(appeal=appeal, actor=actor)
        except AppealError as error:
            skipped.append(" ".join(error.messages))
        else:
            sent += 1
    return sent, skipped


__all__ = ["DeliveryState", "MANUAL_VIA"]
