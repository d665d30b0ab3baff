"""Campaign questions: loaded from CSV (`slug,question,phrases[,mode]`) all or nothing, saved one at a time;
every change queues the recomputation of that question's column."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from ..models import CampaignQuestion
from ..search.rules import mode_parse
from .notify import question_changed

HEADER = ["slug", "question", "phrases"]
OPTIONAL = ["mode", "kinds", "pick"]


class QuestionsProblem(ValueError):
    """A questions file that cannot be loaded; `errors` lists each problem with its line number."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class QuestionRow:
    slug: str
    question: str
    phrases: list[str]
    mode: str
    kinds: str = ""
    pick: str = ""

    def as_question(self, *, campaign, position: int = 0) -> CampaignQuestion:
        phrases = "\n".join(self.phrases)
        return CampaignQuestion(
            campaign=campaign, slug=self.slug, question=self.question, phrases=phrases, mode=self.mode,
            kinds=self.kinds, pick=self.pick, position=position,
        )  # fmt: skip


def questions_parse(text: str) -> list[QuestionRow]:
    """Rows of a questions CSV; QuestionsProblem naming every bad line (nothing half-read)."""
    from ..models import DocumentKind, Pick

    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:3] != HEADER or any(h not in OPTIONAL for h in header[3:]):
        raise QuestionsProblem(
            [f"line 1: the header must be slug,question,phrases[,mode] (optional: kinds, pick); got {header}"]
        )
    rows, errors, seen = [], [], {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            errors.append(f"line {line}: {len(cells)} columns, the header has {len(header)}")
            continue
        record = dict(zip(header, [c.strip() for c in cells], strict=False))
        slug = record.get("slug", "")
        phrases = [p.strip() for p in record.get("phrases", "").split("|") if p.strip()]
        if not slug or slugify(slug) != slug:
            errors.append(f'line {line}: slug "{slug}" must be lower-case letters, digits and hyphens')
        elif slug in seen:
            errors.append(f'line {line}: slug "{slug}" is already on line {seen[slug]}')
        else:
            seen[slug] = line
        if not record.get("question"):
            errors.append(f"line {line}: the question is empty")
        if not phrases:
            errors.append(f"line {line}: no phrases (separate several with |)")
        try:
            mode, distance = mode_parse(record.get("mode", "") or "any")
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            mode, distance = "any", 0
        kinds = record.get("kinds", "")
        bad = [k for k in kinds.replace("|", ",").split(",") if k.strip() and k.strip() not in DocumentKind]
        if bad:
            errors.append(f"line {line}: unknown document kind {', '.join(bad)}")
        pick = record.get("pick", "").lower()
        if pick not in Pick.values:
            errors.append(f'line {line}: pick "{pick}" must be amount, date or empty')
        mode_text = f"near:{distance}" if mode == "near" else mode
        kinds_text = ",".join(k.strip() for k in kinds.replace("|", ",").split(",") if k.strip())
        rows.append(QuestionRow(slug, record.get("question", ""), phrases, mode_text, kinds_text, pick))
    if errors:
        raise QuestionsProblem(errors)
    return rows


def questions_load(*, campaign, text: str) -> tuple[int, int]:
    """Create or update the campaign's questions from CSV text, all or nothing: (created, updated)."""
    rows = questions_parse(text)
    created = updated = 0
    with transaction.atomic():
        existing = {q.slug: q for q in CampaignQuestion.objects.filter(campaign=campaign)}
        position = max((q.position for q in existing.values()), default=0)
        for row in rows:
            question = existing.get(row.slug)
            if question is None:
                position += 1
                question = CampaignQuestion(campaign=campaign, slug=row.slug, position=position)
                created += 1
            else:
                updated += 1
            question.question, question.phrases = row.question, "\n".join(row.phrases)
            question.mode, question.kinds, question.pick = row.mode, row.kinds, row.pick
            question_save(question=question)
    return created, updated


def question_save(*, question: CampaignQuestion) -> CampaignQuestion:
    """Validate and save a question, then queue its column's recomputation."""
    question.full_clean()
    question.save()
    question_changed(question.pk)
    return question
