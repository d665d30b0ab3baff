"""Admin for findings: questions are saved through question_save (validated, their column recomputed)."""

from django.contrib import admin

from ..models import CampaignQuestion, FindingCell, TemplateReference
from .cells import MACHINE_FIELDS
from .questions import question_save


@admin.register(CampaignQuestion)
class CampaignQuestionAdmin(admin.ModelAdmin):
    list_display = ["slug", "campaign", "question", "mode", "pick", "position"]
    list_filter = ["campaign"]
    search_fields = ["slug", "question", "phrases"]

    def save_model(self, request, obj, form, change):
        question_save(question=obj)


@admin.register(FindingCell)
class FindingCellAdmin(admin.ModelAdmin):
    list_display = ["question", "agency", "answer", "human_answer", "needs_review", "computed_at"]
    list_filter = ["answer", "human_answer", "needs_review", "question__campaign"]
    search_fields = ["agency__name", "question__slug"]
    raw_id_fields = ["agency", "document", "link", "decided_by"]
    # The machine's answer is recomputed, never typed: only a person's answer and note are edited here.
    readonly_fields = ["question", "agency", *MACHINE_FIELDS[:-2]]


@admin.register(TemplateReference)
class TemplateReferenceAdmin(admin.ModelAdmin):
    list_display = ["campaign", "kind", "document", "chosen_by", "chosen_at"]
    raw_id_fields = ["document", "chosen_by"]
