"""Letter pages and PDFs: a letter's text -> printable HTML -> PDF bytes (WeasyPrint), and PDF text back.

WeasyPrint gets a URL fetcher that allows only data: URLs and the project's own static files, so a letter
naming file:///etc/passwd or http://… fetches nothing. foia.letters re-exports these for its callers.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template import Context, Engine

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates"
HTML_TEMPLATE = "letters/letter.html"
# Static files are addressed under this made-up origin so the fetcher can tell them from anything else.
STATIC_BASE = "https://static.foia.invalid/"


# The frame (letters/letter.txt) ends with the signature, then the reply block; the PDF keeps the signature
# together and prints the reply block in every page's footer. Letters stored before keep working unchanged.
CLOSING_RE = re.compile(r"^(Sincerely|Yours truly|Respectfully|Regards|Thank you),?$")
REPLY_MARKER = "Tracking number:"


def letter_html(*, subject: str, text: str) -> str:
    """The printable page for a letter's text: paragraphs at blank lines; the template escapes every line."""
    paragraphs = [block.splitlines() for block in re.split(r"\n\s*\n", text.strip())]
    footer: list[str] = []
    if len(paragraphs) > 1 and any(line.startswith(REPLY_MARKER) for line in paragraphs[-1]):
        footer = paragraphs.pop()
    closing: list[list[str]] = []
    for index in range(len(paragraphs) - 1, 0, -1):
        if CLOSING_RE.match(paragraphs[index][0].strip()):
            paragraphs, closing = paragraphs[:index], paragraphs[index:]
            break
    template = _html_engine().get_template(HTML_TEMPLATE)
    context = {"subject": subject, "paragraphs": paragraphs, "closing": closing, "footer": footer}
    return template.render(Context(context))


_html_engine_instance: Engine | None = None


def _html_engine() -> Engine:
    global _html_engine_instance
    if _html_engine_instance is None:
        _html_engine_instance = Engine(dirs=[str(TEMPLATE_DIR)], autoescape=True)
    return _html_engine_instance


# --- PDF ------------------------------------------------------------------------------------------------


def _static_path(url: str) -> str | None:
    """The file on disk for a project static URL under STATIC_BASE, or None."""
    from django.contrib.staticfiles import finders

    if not url.startswith(STATIC_BASE):
        return None
    relative = posixpath.normpath(unquote(urlsplit(url).path).lstrip("/"))
    if relative.startswith(("..", "/")) or "\x00" in relative:
        return None
    static_prefix = settings.STATIC_URL.strip("/") + "/"
    if relative.startswith(static_prefix):
        relative = relative[len(static_prefix) :]
    try:
        found = finders.find(relative)
    except Exception:  # SuspiciousFileOperation on a path that escapes the static dirs
        return None
    return found if isinstance(found, str) else None


def safe_url_fetcher():
    """A WeasyPrint 70 URLFetcher allowing data: URLs and the project's static files only."""
    import mimetypes

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeURLFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            path = _static_path(url)
            if path is None:
                self.refused.append(url)
                logger.warning("letter PDF: refused to fetch %s", url[:200])
                raise ValueError(f"refused to fetch {url[:200]}")
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            with open(path, "rb") as handle:
                return URLFetcherResponse(url, handle.read(), {"Content-Type": content_type})

    return SafeURLFetcher()


_font_config = None


def _fonts():
    """One FontConfiguration per process: building it for every letter costs time and leaks memory."""
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def pdf_from_html(html: str, *, url_fetcher=None) -> bytes:
    """Letter-size PDF bytes for the HTML; only data: URLs and project static files are fetched."""
    from weasyprint import HTML

    fetcher = url_fetcher or safe_url_fetcher()
    # Letters declare no @font-face, so one shared configuration is safe; HTML that does gets its own.
    fonts = None if "@font-face" in html.lower() else _fonts()
    return HTML(string=html, base_url=STATIC_BASE, url_fetcher=fetcher).write_pdf(font_config=fonts)


def pdf_text(data: bytes) -> str:
    """All text of a PDF (pypdfium2), for tests and checks."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        parts = []
        for page in document:
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(parts)
    finally:
        document.close()
