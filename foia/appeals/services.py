"""Drafting appeals: which decision a request can appeal, the window, the letter (editable template).

A request can be appealed when the agency rejected it, found no records, granted it in part, or let its
statutory deadline pass (a deemed denial). Never two appeals of one decision (a unique constraint). Court-only
states get a demand letter and a litigation checklist instead. Filing, sending and the body's clock are in
foia.appeals.lifecycle.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import deadlines
from ..deadlines import BusinessCalendar
from ..letters import LetterError, _compile, _render, law_for_agency, letter_context, letter_html
from ..lifecycle_rules import LifecycleError
from ..models import Law, RecordsRequest, RequestEvent, RequestEventKind, Status
from ..statuses import OPEN_STATUSES
from .models import Appeal, AppealBasis, AppealKind, AppealStatus
from .rules import AGENCY, STATE_BODY, AppealRule, appeal_window, shipped_appeal_rules

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "letters"
APPEAL_TEMPLATE = "appeal.txt"
DEMAND_TEMPLATE = "appeal_demand.txt"
_DECIDED = {Status.REJECTED: AppealBasis.REJECTED, Status.NO_RECORDS: AppealBasis.NO_RECORDS}
_DECIDED[Status.PARTIAL] = AppealBasis.PARTIAL
LITIGATION_CHECKLIST = [
    "Keep the request, every reply and proof of each date (sent, received, denied).",
    "Send the demand letter and give the agency a short, stated time to answer.",
    "Find the court and the filing deadline in the rule above (some states set one, e.g. 180 days).",
    "Check notice-of-intent rules before suing (Colorado requires 14 days' written notice).",
    "Ask the newsroom's counsel or a press-freedom clinic (RCFP's legal hotline) about fees and costs.",
]


class AppealError(LifecycleError):
    """This appeal cannot be drafted or changed; the message says why (keyed by field when built from a dict,
    so the API answers 400 {field: [message]} like a request's transition)."""


@dataclass(frozen=True)
class Appealable:
    """What a request can appeal now: the basis and the decision's date."""

    basis: str
    decided_on: datetime.date


def calendar_for_state(state: str) -> BusinessCalendar:
    """The state's business-day calendar with the closed days entered in the admin."""
    law = Law.objects.filter(jurisdiction=state).prefetch_related("closed_days").first()
    overrides = deadlines.overrides_from(law.closed_days.all()) if law else ()
    return deadlines.calendar_for(state, overrides)


def appeal_rule_for(records_request: RecordsRequest) -> AppealRule:
    state = records_request.agency.state
    rule = shipped_appeal_rules().get(state)
    if rule is None:
        raise AppealError(f"No appeal rule for {state} in foia/data/appeals.csv.")
    return rule


def _status_date(records_request: RecordsRequest) -> datetime.date:
    """The day the request entered its current status (the decision's date unless a person gives one)."""
    event = (
        RequestEvent.objects.filter(
            request=records_request, kind=RequestEventKind.STATUS, to_status=records_request.status
        )
        .order_by("-created_at", "-id")
        .first()
    )
    moment = event.created_at if event else (records_request.closed_at or timezone.now())
    return timezone.localtime(moment).date()


def appealable(records_request: RecordsRequest, *, today: datetime.date) -> Appealable:
    """The decision this request can appeal, or AppealError saying why not (never denied, not late...)."""
    rr = records_request
    if rr.status in _DECIDED:
        return Appealable(_DECIDED[rr.status], _status_date(rr))
    if rr.status in OPEN_STATUSES and rr.status != Status.APPEALED and rr.due_on and rr.due_on < today:
        if not rr.due_is_statutory:
            raise AppealError(
                f"{rr.tracking_number}: the law sets no number of days, so missing our follow-up target "
                f"({rr.due_on}) is not a denial; follow up instead."
            )
        return Appealable(AppealBasis.DEEMED, rr.due_on)
    if rr.status == Status.DRAFT:
        raise AppealError(f"{rr.tracking_number} has not been sent: there is nothing to appeal.")
    if rr.status == Status.APPEALED:
        raise AppealError(f"{rr.tracking_number} is already under appeal.")
    due = f"due {rr.due_on}" if rr.due_on else "no due date"
    raise AppealError(
        f"{rr.tracking_number} was never denied and is not past its deadline "
        f"({rr.get_status_display().lower()}, {due}): nothing to appeal yet."
    )


def _requested_on(rr: RecordsRequest) -> datetime.date | None:
    if rr.sent_at:
        return timezone.localtime(rr.sent_at).date()
    return rr.received_on


def _default_source(kind: str) -> str:
    return (TEMPLATES / (DEMAND_TEMPLATE if kind == AppealKind.DEMAND else APPEAL_TEMPLATE)).read_text()


def appeal_context(appeal: Appeal, *, today: datetime.date) -> dict:
    """The letter context of the request plus `appeal`, `exemptions` and `outstanding` (plain values)."""
    rr = appeal.request
    law = law_for_agency(rr.agency)
    context = letter_context(
        campaign=rr.campaign,
        agency=rr.agency,
        law=law,
        tracking_number=rr.tracking_number,
        reply_address=rr.reply_address,
        today=today,
    )
    exemptions = appeal.exemption_list
    rule = appeal_rule_for(rr)
    context.update(
        {
            "appeal": {
                "body": appeal.body,
                "route": appeal.route,
                "file_how": appeal.file_how,
                "citation": appeal.citation,
                "decided_on": appeal.decided_on,
                "basis": appeal.get_basis_display(),
                "deemed": appeal.basis == AppealBasis.DEEMED,
                "partial": appeal.basis == AppealBasis.PARTIAL,
                "no_records": appeal.basis == AppealBasis.NO_RECORDS,
                "window_closes_on": appeal.window_closes_on,
                "late": appeal.is_late,
                "needs_exemptions": appeal.basis == AppealBasis.REJECTED and not exemptions,
                "contents": rule.contents,
                "body_address": rule.contact("body_address") if rule.route == STATE_BODY else "",
                "body_portal": rule.contact("body_portal") if rule.route == STATE_BODY else "",
                "sent_on": _requested_on(rr),
                "received_on": rr.received_on,
                "due_on": rr.due_on,
                "due_rule": rr.due_rule,
            },
            "exemptions": exemptions,
            # We do not track records one by one: everything asked for is outstanding until a person edits it.
            "outstanding": rr.campaign.records_list,
        }
    )
    return context


def appeal_compose(
    appeal: Appeal, *, source: str | None = None, today: datetime.date | None = None
) -> tuple[str, str]:
    """Subject and text of the appeal from its template; LetterError names the line of a template error."""
    source = source if source is not None else (appeal.template_source or _default_source(appeal.kind))
    field = "Appeal template" if appeal.template_source or source is not None else "default appeal"
    context = appeal_context(appeal, today=today or timezone.localdate())
    text = _render(_compile(source, field), context, field=field, source=source).strip() + "\n"
    rr = appeal.request
    what = "Demand" if appeal.kind == AppealKind.DEMAND else "Appeal"
    subject = (
        f"{what}: public records request {rr.tracking_number} to {rr.agency.name} [{rr.tracking_number}]"
    )
    return subject[:400], text


def appeal_draft(
    *,
    records_request: RecordsRequest,
    actor=None,
    today: datetime.date | None = None,
    decided_on: datetime.date | None = None,
) -> Appeal:
    """Draft the appeal of the request's current decision; late ones are drafted and flagged."""
    today = today or timezone.localdate()
    rr = RecordsRequest.objects.select_related("agency", "campaign").get(pk=records_request.pk)
    found = appealable(rr, today=today)
    decided_on = decided_on or found.decided_on
    if decided_on > today:
        raise AppealError({"decided_on": [f"{decided_on} is in the future."]})
    rule = appeal_rule_for(rr)
    window = appeal_window(
        rule=rule,
        calendar=calendar_for_state(rr.agency.state),
        decided_on=decided_on,
        deemed=found.basis == AppealBasis.DEEMED,
        requested_on=_requested_on(rr),
    )
    appeal = Appeal(
        request=rr,
        kind=AppealKind.DEMAND if rule.court_only else AppealKind.APPEAL,
        basis=found.basis,
        decided_on=decided_on,
        jurisdiction=rule.jurisdiction,
        route=rule.route,
        body=rule.body[:300],
        file_how=rule.file_how,
        citation=rule.citation[:400],
        window_closes_on=window.closes_on,
        window_rule=window.rule[:600],
        is_late=bool(window.closes_on and today > window.closes_on),
        exemptions="\n".join(
            part.strip() for part in rr.exemptions_cited.replace(";", "\n").splitlines() if part.strip()
        ),
        # The agency's email for an appeal to its head (or a demand); the state body's where a source has it.
        to_address=rr.agency.email if rule.route == AGENCY or rule.court_only else rule.contact("body_email"),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    appeal.subject, appeal.letter = appeal_compose(appeal, today=today)
    try:
        with transaction.atomic():
            appeal.save()
            RequestEvent.objects.create(
                request=rr,
                kind=RequestEventKind.APPEAL,
                actor=appeal.created_by,
                message=appeal_summary(appeal),
            )
    except IntegrityError:
        raise AppealError(
            f"{rr.tracking_number}: the decision of {decided_on} already has an appeal; edit that one."
        ) from None
    return appeal


def appeal_summary(appeal: Appeal) -> str:
    """One line for the timeline: what was drafted, to whom, and the window."""
    what = (
        "Demand letter drafted (court only: no administrative appeal)"
        if appeal.kind == AppealKind.DEMAND
        else (f"Appeal drafted to {appeal.body}")
    )
    text = f"{what}; {appeal.get_basis_display().lower()} of {appeal.decided_on}."
    if appeal.window_closes_on:
        text += f" Appeal window closes {appeal.window_closes_on} ({appeal.window_rule})."
    if appeal.is_late:
        text += f" LATE: the window closed on {appeal.window_closes_on}."
    return text


def appeal_edit(
    *, appeal: Appeal, template_source: str, exemptions: str, to_address: str, actor=None
) -> Appeal:
    """Save an edited template (checked and rendered) and exemptions; a reviewed draft needs review again."""
    if appeal.status != AppealStatus.DRAFTED:
        raise AppealError({"status": ["Only a draft can be edited; this appeal was filed."]})
    appeal.exemptions = exemptions.strip()
    appeal.to_address = to_address.strip()
    source = template_source.replace("\r\n", "\n")
    if source.strip() == _default_source(appeal.kind).strip():
        source = ""
    appeal.template_source = source
    appeal.subject, appeal.letter = appeal_compose(appeal)  # LetterError before anything is saved
    appeal.reviewed_at = appeal.reviewed_by = None
    appeal.save()
    return appeal


def appeal_mark_reviewed(*, appeal: Appeal, actor) -> Appeal:
    """A person read the draft and approves it for sending ("send the N reviewed" sends only these)."""
    if appeal.status != AppealStatus.DRAFTED:
        raise AppealError({"status": ["Only a draft is reviewed."]})
    if appeal.kind == AppealKind.APPEAL and "[Enter the exemptions" in appeal.letter:
        raise AppealError(
            {
                "exemptions": [
                    "Enter the exemptions the agency cited (or remove the placeholder) before review."
                ]
            }
        )
    Appeal.objects.filter(pk=appeal.pk).update(reviewed_at=timezone.now(), reviewed_by=actor)
    appeal.refresh_from_db()
    return appeal


def appeal_pdf(appeal: Appeal) -> bytes:
    """The appeal as a printable PDF (the letters' renderer: no network, no local files)."""
    from ..letters import pdf_from_html

    return pdf_from_html(letter_html(subject=appeal.subject, text=appeal.letter))


def appeal_source(appeal: Appeal) -> str:
    """The template text shown in the editor: the appeal's own, else the default for its kind."""
    return appeal.template_source or _default_source(appeal.kind)


__all__ = ["AppealError", "LetterError", "LITIGATION_CHECKLIST"]


@dataclass(frozen=True)
class WindowNote:
    """A request's appeal window for pages and digests: the last day and a sentence."""

    closes_on: datetime.date | None
    text: str
    days_left: int | None


def request_appeal_window(
    records_request: RecordsRequest, *, today: datetime.date, calendars: dict | None = None
) -> WindowNote | None:
    """The requester's last day to appeal the request's current decision (None when nothing to appeal)."""
    rr = records_request
    try:
        found = appealable(rr, today=today)
        rule = appeal_rule_for(rr)
    except AppealError:
        return None
    state = rr.agency.state
    if calendars is not None and state not in calendars:
        calendars[state] = calendar_for_state(state)
    calendar = calendars[state] if calendars is not None else calendar_for_state(state)
    window = appeal_window(
        rule=rule,
        calendar=calendar,
        decided_on=found.decided_on,
        deemed=found.basis == AppealBasis.DEEMED,
        requested_on=_requested_on(rr),
    )
    if window.closes_on is None:
        text = "court only: no administrative appeal" if rule.court_only else "appeal: no deadline"
        return WindowNote(None, text, None)
    left = (window.closes_on - today).days
    if left < 0:
        text = f"appeal window closed {window.closes_on}"
    elif left == 0:
        text = "appeal window closes today"
    else:
        text = f"appeal window closes in {left} day{'s' if left != 1 else ''} ({window.closes_on})"
    return WindowNote(window.closes_on, text, left)


def annotate_appeal_windows(rows, *, today: datetime.date) -> None:
    """Set rr.appeal_window on each row; one query for the closed days of every state on the page."""
    from ..models import ClosedDay

    rows = list(rows)
    states = {rr.agency.state for rr in rows}
    closed: dict[str, list] = {state: [] for state in states}
    for day in ClosedDay.objects.filter(law__jurisdiction__in=states).select_related("law"):
        closed[day.law.jurisdiction].append(day)
    calendars = {
        state: deadlines.calendar_for(state, deadlines.overrides_from(closed[state])) for state in states
    }
    for rr in rows:
        rr.appeal_window = request_appeal_window(rr, today=today, calendars=calendars)


def appeal_windows_closing(rows, *, today: datetime.date, within: int) -> list:
    """Rows (rr.appeal_window set) whose appeal window closes within `within` days, soonest first."""
    annotate_appeal_windows(rows, today=today)
    closing = [
        rr
        for rr in rows
        if rr.appeal_window
        and rr.appeal_window.days_left is not None
        and 0 <= rr.appeal_window.days_left <= within
    ]
    return sorted(closing, key=lambda rr: (rr.appeal_window.closes_on, rr.tracking_number))


def appeals_panel(records_request: RecordsRequest, *, today: datetime.date) -> dict:
    """For the request page (loaded by the view): the appeal window and the request's appeals."""
    return {
        "window": request_appeal_window(records_request, today=today),
        "appeals": list(records_request.appeals.all()),
    }
