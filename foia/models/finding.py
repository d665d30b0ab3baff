"""Findings: a campaign's questions, each agency's answer to each (machine and human), and the reference
document each kind of document is compared with."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .document import DocumentKind


class Pick(models.TextChoices):
    NONE = "", "Nothing"
    AMOUNT = "amount", "A dollar amount near the phrase"
    DATE = "date", "A date near the phrase"


def validate_mode(value: str) -> None:
    """any, all or near:N."""
    from foia.search.rules import mode_parse

    try:
        mode_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="mode") from exc


def validate_phrases(value: str) -> None:
    """At least one phrase with a word in it."""
    if not [p for p in value.splitlines() if p.strip()]:
        raise ValidationError("Give at least one phrase (one per line).", code="phrases")


def validate_kinds(value: str) -> None:
    bad = [k for k in value.split(",") if k.strip() and k.strip() not in DocumentKind.values]
    if bad:
        raise ValidationError(
            f"Unknown document kind {', '.join(bad)}; use {', '.join(DocumentKind.values)}.", code="kinds"
        )


class CampaignQuestion(models.Model):
    """What the campaign asks of every agency's records, and the exact phrases that answer it."""

    campaign = models.ForeignKey("foia.Campaign", on_delete=models.CASCADE, related_name="questions")
    slug = models.SlugField(max_length=50, help_text="Short name used in exports, e.g. promote-app.")
    question = models.CharField(max_length=300, help_text="e.g. Must the police promote the Neighbors app?")
    phrases = models.TextField(
        validators=[validate_phrases],
        help_text="Exact phrases, one per line (case, quotes and line breaks aside): encourage adoption",
    )
    mode = models.CharField(
        max_length=12,
        default="any",
        validators=[validate_mode],
        help_text="any (one phrase is enough), all (every phrase in one document), near:N (within N words).",
    )
    kinds = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_kinds],
        help_text="Only documents of these kinds, comma separated (e.g. contract,mou); empty: all.",
    )
    pick = models.CharField(max_length=8, choices=Pick.choices, blank=True, default=Pick.NONE)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "position", "slug"]
        constraints = [models.UniqueConstraint(fields=["campaign", "slug"], name="question_slug_once")]

    def __str__(self) -> str:
        return self.slug

    @property
    def phrase_list(self) -> list[str]:
        return [p.strip() for p in self.phrases.splitlines() if p.strip()]

    @property
    def kind_list(self) -> list[str]:
        return [k.strip() for k in self.kinds.split(",") if k.strip()]


class FindingCell(models.Model):
    """One agency's answer to one question: the machine's (recomputed) and a person's (kept)."""

    question = models.ForeignKey(CampaignQuestion, on_delete=models.CASCADE, related_name="cells")
    agency = models.ForeignKey("foia.Agency", on_delete=models.CASCADE, related_name="finding_cells")
    answer = models.CharField(max_length=8)  # yes / no / unknown (foia.search.answers)
    reason = models.CharField(max_length=300, blank=True)
    document = models.ForeignKey("foia.Document", null=True, blank=True, on_delete=models.SET_NULL)
    link = models.ForeignKey("foia.RequestDocument", null=True, blank=True, on_delete=models.SET_NULL)
    filename = models.CharField(max_length=255, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    passage = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    found_date = models.DateField(null=True, blank=True)
    value_passage = models.CharField(max_length=400, blank=True)
    computed_at = models.DateTimeField(auto_now=True)
    human_answer = models.CharField(max_length=8, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The machine's answer when the person decided; a different machine answer later flags the cell.
    decided_over = models.CharField(max_length=8, blank=True)
    needs_review = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "agency"]
        constraints = [models.UniqueConstraint(fields=["question", "agency"], name="cell_once")]

    def __str__(self) -> str:
        return f"{self.question_id}/{self.agency_id}: {self.answer}"

    @property
    def final_answer(self) -> str:
        return self.human_answer or self.answer


class TemplateReference(models.Model):
    """The document every other document of its kind in the campaign is compared with."""

    campaign = models.ForeignKey("foia.Campaign", on_delete=models.CASCADE, related_name="references")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    document = models.ForeignKey("foia.Document", on_delete=models.CASCADE, related_name="reference_for")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    chosen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "kind"], name="reference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.kind}: {self.document_id}"


class TemplateComparison(models.Model):
    """How one document differs from its kind's reference (the redline itself is recomputed on view)."""

    reference = models.ForeignKey(TemplateReference, on_delete=models.CASCADE, related_name="comparisons")
    document = models.ForeignKey("foia.Document", on_delete=models.CASCADE, related_name="comparisons")
    similarity = models.FloatField()
    changes = models.PositiveIntegerField(default=0)
    sections = models.CharField(max_length=200, blank=True, help_text="Reference sections that differ: 4,7")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reference", "document"], name="comparison_once")]

    def __str__(self) -> str:
        return f"{self.document_id} vs {self.reference_id}: {self.similarity:.0%}"

    @property
    def sections_label(self) -> str:
        """e.g. "§ 4, § 7"."""
        return ", ".join(f"§ {s}" for s in self.sections.split(",") if s)


class DuplicateGroups(models.Model):
    """The near-duplicate groups of a campaign's documents of one kind, as the worker last computed them
    (foia.findings.duplicates); the groups page reads this row."""

    campaign = models.ForeignKey("foia.Campaign", on_delete=models.CASCADE, related_name="duplicate_groups")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    # [[[document id, ...] for each variant, its leader first] for each group], largest group first.
    groups = models.JSONField(default=list, blank=True)
    documents = models.PositiveIntegerField(default=0)
    # A change asked for a recomputation at wanted_at; the stored groups are those of the computation
    # that started at computed_at. Stale while wanted_at > computed_at (or never computed).
    wanted_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "kind"], name="duplicate_groups_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.kind}: {len(self.groups)} groups"

    @property
    def stale(self) -> bool:
        return self.computed_at is None or (self.wanted_at is not None and self.wanted_at > self.computed_at)
