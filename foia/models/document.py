"""Files that come back: stored once by content hash, linked to every request they arrived on."""

from django.conf import settings
from django.db import models


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", "Contract"
    MOU = "mou", "MOU"
    SCRIPT = "script", "Script / talking points"
    POLICY = "policy", "Policy"
    CORRESPONDENCE = "correspondence", "Correspondence"
    INVOICE = "invoice", "Invoice / fee letter"
    DENIAL = "denial", "Denial"
    OTHER = "other", "Other"


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for text extraction"
    DONE = "done", "Text extracted"
    NEEDS_OCR = "needs_ocr", "Needs OCR (no text layer)"
    FAILED = "failed", "Extraction failed"
    NO_TEXT = "no_text", "No text in this kind of file"


class Document(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to="documents/%Y/%m/")
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=120, help_text="Decided from the content, not the name.")
    original_name = models.CharField(max_length=255, help_text="The first name it arrived under, cleaned.")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    suggested_kind = models.CharField(max_length=16, choices=DocumentKind.choices, blank=True)
    extraction_status = models.CharField(
        max_length=10, choices=ExtractionStatus.choices, default=ExtractionStatus.PENDING
    )
    extraction_error = models.TextField(blank=True)
    # Set when a worker claims the extraction; a stale value lets a crashed run be claimed again.
    extraction_started_at = models.DateTimeField(null=True, blank=True)
    # When its extraction task was last queued: a pending row queued long ago and never claimed lost its task
    # (broker down, worker killed) and is queued again by the reclaim scan (foia/reclaim.py).
    extraction_queued_at = models.DateTimeField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    # Set when OCR made the text: how many pages it read and Tesseract's mean word confidence (0-100).
    ocr_pages = models.PositiveIntegerField(null=True, blank=True)
    ocr_confidence = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def ocr_summary(self) -> str:
        """e.g. "OCR done, 12 pages, mean confidence 91 %" (empty when OCR did not make the text)."""
        if self.ocr_pages is None:
            return ""
        confidence = "" if self.ocr_confidence is None else f", mean confidence {self.ocr_confidence:.0f} %"
        return f"OCR done, {self.ocr_pages} page{'s' if self.ocr_pages != 1 else ''}{confidence}"


class RequestDocument(models.Model):
    """A document as it arrived on one request (the same file on two requests is two links)."""

    request = models.ForeignKey("foia.RecordsRequest", on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="links")
    communication = models.ForeignKey(
        "foia.Communication", null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    filename = models.CharField(max_length=255)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "document"], name="document_once_per_request")
        ]

    def __str__(self) -> str:
        return self.filename


class DocumentPage(models.Model):
    """Extracted text of one page, so a search hit points to its page."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    text = models.TextField(help_text="The page as extracted (faithful: hyphens and line breaks kept).")
    # Exact search looks here (foia.search.text.pages_search_text): the page folded, then the start of the
    # next page, so a phrase over the page break is found on the page where it starts.
    search_text = models.TextField(blank=True, default="")
    search_own_length = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="page_once")]

    def __str__(self) -> str:
        return f"{self.document_id} p.{self.number}"

    def save(self, *args, **kwargs):
        # A page saved on its own (admin, fixtures) is still found by exact search; extraction stores whole
        # documents through foia.extraction.document_pages_replace, which also joins across page breaks.
        if self.text and not self.search_text:
            from foia.search.text import fold

            self.search_text = fold(self.text)
            self.search_own_length = len(self.search_text)
        super().save(*args, **kwargs)


class MessageAttachment(models.Model):
    """A file that came on an unsorted message: stored and its text extracted (OCR waits), so search finds
    it; filing the message on a request links the document to that request and removes this row."""

    communication = models.ForeignKey(
        "foia.Communication", on_delete=models.CASCADE, related_name="unsorted_attachments"
    )
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="unsorted_links")
    filename = models.CharField(max_length=255)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["communication", "id"]
        constraints = [
            models.UniqueConstraint(fields=["communication", "document"], name="unsorted_attachment_once")
        ]

    def __str__(self) -> str:
        return self.filename
