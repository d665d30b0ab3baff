"""Reading the matrix: flat records for the command, CSV and JSON exports and the API, and the page's rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from ..models import CampaignQuestion, FindingCell, Pick
from ..search.answers import YES

COLUMNS = [
    "agency",
    "state",
    "question",
    "answer",
    "reason",
    "human_answer",
    "note",
    "document",
    "page",
    "amount",
]
EXTRA = ["needs_review", "passage", "decided_by", "decided_at", "value_passage"]


def cell_value(cell: FindingCell) -> str:
    """The amount (plain decimal) or date (ISO) picked up for the cell, or ""."""
    if cell.amount is not None:
        return str(cell.amount)
    return cell.found_date.isoformat() if cell.found_date else ""


def cell_record(cell: FindingCell, *, extra: bool = False) -> dict:
    """One cell as a flat record with the command's columns (and, for exports, the evidence)."""
    record = {
        "agency": cell.agency.name,
        "state": cell.agency.state,
        "question": cell.question.slug,
        "answer": cell.answer,
        "reason": cell.reason,
        "human_answer": cell.human_answer,
        "note": cell.note,
        "document": cell.filename,
        "page": cell.page if cell.page is not None else "",
        "amount": cell_value(cell),
    }
    if extra:
        record.update(
            needs_review=cell.needs_review,
            passage=cell.passage,
            decided_by=cell.decided_by.username if cell.decided_by else "",
            decided_at=cell.decided_at.isoformat() if cell.decided_at else "",
            value_passage=cell.value_passage,
        )
    return record


def matrix_cells(campaign):
    """Every cell of the campaign, sorted by state, agency, question slug."""
    return (
        FindingCell.objects.filter(question__campaign=campaign)
        .select_related("agency", "question", "decided_by")
        .order_by("agency__state", "agency__name", "agency_id", "question__slug")
    )


def matrix_records(campaign, *, extra: bool = False) -> list[dict]:
    return [cell_record(cell, extra=extra) for cell in matrix_cells(campaign).iterator(chunk_size=2000)]


@dataclass
class AmountTotal:
    """One question's amounts: their sum, how many agencies, and each agency's cell (largest first)."""

    question: CampaignQuestion
    total: Decimal
    cells: list[FindingCell]

    @property
    def count(self) -> int:
        return len(self.cells)


def amount_totals(campaign) -> list[AmountTotal]:
    """For each question that picks up an amount: the amounts of the agencies whose answer stands at Yes
    (the machine's, unless a person answered otherwise), summed, each cell with its passage. Two queries."""
    questions = list(CampaignQuestion.objects.filter(campaign=campaign, pick=Pick.AMOUNT))
    if not questions:
        return []
    cells = (
        FindingCell.objects.filter(question__in=questions, answer=YES, amount__isnull=False)
        .filter(Q(human_answer="") | Q(human_answer=YES))
        .select_related("agency")
        .order_by("-amount", "agency__state", "agency__name")
    )
    by_question: dict[int, list[FindingCell]] = {q.pk: [] for q in questions}
    for cell in cells:
        by_question[cell.question_id].append(cell)
    return [
        AmountTotal(q, sum((c.amount for c in by_question[q.pk]), Decimal(0)), by_question[q.pk])
        for q in questions
    ]
