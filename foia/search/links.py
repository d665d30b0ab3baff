"""Where hits and answers point (the page's text with the passage marked, the PDF at the page), and one
agency's answer as a flat record for the CSV and JSON exports and the API."""

from urllib.parse import urlencode

from django.urls import reverse


def hit_urls(hit, query: str, mode: str) -> None:
    """Where a document hit (on a request or in unsorted mail) opens: the page's text with the passage
    marked, and the PDF at that page."""
    if hit.link is None and hit.attachment is None:
        return
    document = hit.document
    params = urlencode({"q": query, "mode": mode, "hit": hit.page})
    hit.text_url = f"{reverse('document-detail', args=[document.pk])}?{params}#page-{hit.page}"
    hit.pdf_url = (
        f"{reverse('document-download', args=[document.pk])}?inline=1#page={hit.page}"
        if document.mime_type == "application/pdf"
        else ""
    )


def clause_record(request, row, phrase: str, mode: str) -> dict:
    """One agency's answer as a flat record (the CSV columns, the JSON export and the API)."""
    hit = row.hit
    url = ""
    if hit:
        hit_urls(hit, phrase, mode)
        url = request.build_absolute_uri(hit.text_url)
    return {
        "agency": row.agency.name,
        "city": row.agency.city,
        "state": row.agency.state,
        "tracking_number": row.records_request.tracking_number if row.records_request else "",
        "answer": row.answer,
        "reason": row.reason,
        "documents": row.documents_matching,
        "document": hit.link.filename if hit else "",
        "page": hit.page if hit else "",
        "snippet": hit.snippet_text if hit else "",
        "url": url,
    }
