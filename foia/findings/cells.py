"""The matrix's cells: recomputed for some questions and/or some agencies (never more than asked), a
person's answer kept apart and flagged for review when the machine's answer moves under it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Campaign, CampaignQuestion, Document, FindingCell, Pick
from ..search.answers import NO, UNKNOWN, YES
from ..search.rules import NEAR, Rule, mode_parse
from .evidence import evidence_answers
from .store import cells_store
from .values import amount_near, date_near

ANSWERS = (YES, NO, UNKNOWN)
# What the machine writes (the admin shows them read-only).
MACHINE_FIELDS = [
    "answer", "reason", "document", "link", "filename", "page", "passage", "amount", "found_date",
    "value_passage", "needs_review", "computed_at",
]  # fmt: skip
# The same, by column (document_id, not document: comparing must not load the related rows).
COMPARED = [
    "answer", "reason", "document_id", "link_id", "filename", "page", "passage", "amount", "found_date",
    "value_passage",
]  # fmt: skip


def question_rule(question: CampaignQuestion) -> Rule:
    mode, distance = mode_parse(question.mode)
    return Rule(tuple(question.phrase_list), mode, distance if mode == NEAR else 0, tuple(question.kind_list))


def cells_compute(*, campaign: Campaign, question_ids=None, agency_ids=None) -> int:
    """Recompute the machine answers of these questions (default all) for these agencies (default all);
    returns how many cells changed. Cells are compared and written as plain rows (foia.findings.store)."""
    questions = CampaignQuestion.objects.filter(campaign=campaign)
    if question_ids is not None:
        questions = questions.filter(pk__in=question_ids)
    questions = list(questions)
    if not questions:
        return 0
    answers = evidence_answers(campaign, {q.pk: question_rule(q) for q in questions}, agency_ids=agency_ids)
    existing_cells = FindingCell.objects.filter(question__in=questions)
    if agency_ids is not None:
        existing_cells = existing_cells.filter(agency_id__in=agency_ids)
    existing = {
        (row[1], row[2]): row
        for row in existing_cells.values_list(
            "id", "question_id", "agency_id", *COMPARED, "human_answer", "decided_over", "needs_review"
        ).iterator(chunk_size=5000)
    }
    now = timezone.now()
    rows = []
    for question in questions:
        for agency_id, found in answers[question.pk].items():
            machine = machine_values(found, question.pick)
            cell = existing.pop((question.pk, agency_id), None)
            if cell is None:
                rows.append((None, question.pk, agency_id, *machine, False, now))
                continue
            human_answer, decided_over, needs_review = cell[-3:]
            flagged = needs_review or bool(human_answer and machine[0] != decided_over)
            if machine != cell[3:-3] or flagged != needs_review:
                rows.append((cell[0], question.pk, agency_id, *machine, flagged, now))
    with transaction.atomic():
        cells_store(rows)
        # An agency that left the campaign has no row any more; one a person answered stays, for review.
        stale = [row[0] for row in existing.values() if not row[-3]]
        kept = [row[0] for row in existing.values() if row[-3] and not row[-1]]
        for start in range(0, len(stale), 1000):
            FindingCell.objects.filter(pk__in=stale[start : start + 1000]).delete()
        for start in range(0, len(kept), 1000):
            FindingCell.objects.filter(pk__in=kept[start : start + 1000]).update(needs_review=True)
    return len(rows) + len(kept)


def machine_values(found, pick: str) -> tuple:
    """The machine's columns (COMPARED's order) for one answer: evidence, and the amount or date."""
    amount = found_date = None
    value_passage = ""
    if found.answer == YES and pick == Pick.AMOUNT:
        amount, value_passage = amount_near(found.raw_snippet)
    elif found.answer == YES and pick == Pick.DATE:
        found_date, value_passage = date_near(found.raw_snippet)
    return (
        found.answer, found.reason[:300], found.document_id, found.link_id, found.filename[:255], found.page,
        found.passage, amount, found_date, value_passage,
    )  # fmt: skip


def cell_decide(*, cell: FindingCell, answer: str, note: str, user) -> FindingCell:
    """A person confirms or overrides a cell (answer "" clears it); the machine's answer stays as it was."""
    if answer not in (*ANSWERS, ""):
        raise ValueError(f'Answer "{answer}": use yes, no, unknown or nothing (to clear).')
    cell.human_answer, cell.note = answer, note.strip() if answer else ""
    cell.decided_by, cell.decided_at = (user, timezone.now()) if answer else (None, None)
    cell.decided_over = cell.answer if answer else ""
    cell.needs_review = False
    fields = ["human_answer", "note", "decided_by", "decided_at", "decided_over", "needs_review"]
    cell.save(update_fields=fields)
    return cell


def findings_for_document(document_id: int) -> int:
    """Recompute the rows of every agency the document arrived from, in each campaign it belongs to."""
    from ..models import RequestDocument

    links = RequestDocument.objects.filter(document_id=document_id).values_list(
        "request__campaign_id", "request__agency_id"
    )
    by_campaign: dict[int, set[int]] = {}
    for campaign_id, agency_id in links:
        if campaign_id:
            by_campaign.setdefault(campaign_id, set()).add(agency_id)
    from .compare import comparisons_for_document
    from .duplicates import groups_wanted

    changed = comparisons_for_document(document_id)
    kind = Document.objects.filter(pk=document_id).values_list("kind", flat=True).first()
    groups_wanted(campaign_ids=by_campaign, kinds=[kind] if kind else [], document_id=document_id)
    for campaign in Campaign.objects.filter(pk__in=by_campaign, questions__isnull=False).distinct():
        changed += cells_compute(campaign=campaign, agency_ids=sorted(by_campaign[campaign.pk]))
    return changed


def findings_for_agencies(campaign_id: int, agency_ids: list[int]) -> int:
    """Recompute these agencies' rows of the campaign (nothing when it has no questions or is gone)."""
    campaign = Campaign.objects.filter(pk=campaign_id, questions__isnull=False).distinct().first()
    if campaign is None:
        return 0
    return cells_compute(campaign=campaign, agency_ids=sorted(set(agency_ids)))


def findings_for_question(question_id: int) -> int:
    """Recompute one question's column (nothing when it was deleted meanwhile)."""
    question = CampaignQuestion.objects.select_related("campaign").filter(pk=question_id).first()
    if question is None:
        return 0
    return cells_compute(campaign=question.campaign, question_ids=[question.pk])
