"""File downloads: one response for every file the app hands out, so none is ever rendered in our origin.

Every download is an attachment with a safe file name (inline only where a caller allows it: PDFs and images
viewed from a document's page), `X-Content-Type-Options: nosniff`, a sandboxing Content-Security-Policy (a
file opened anyway cannot run script or reach our cookies) and `Cache-Control: private, no-store` (records
may be sensitive: no shared cache or disk cache keeps them).
"""

import re
import unicodedata
from collections.abc import Iterable

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

SANDBOX = "sandbox; default-src 'none'"


def safe_name(name: str, fallback: str = "file", max_length: int = 120) -> str:
    """A file or folder name safe on every OS and in a zip: no paths, no control or odd characters."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9 ._()\-]+", "_", text).strip(" ._")
    text = re.sub(r"_+", "_", text)
    if len(text) > max_length:
        stem, dot, ext = text.rpartition(".")
        text = (
            (stem[: max_length - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else text[:max_length]
        )
    return text or fallback


def download_response(
    content, *, filename: str, content_type: str = "application/octet-stream", inline: bool = False
) -> HttpResponse:
    """`content` (an open binary file, bytes/str, or an iterator of chunks) as a download named `filename`."""
    if hasattr(content, "read"):
        response = FileResponse(content, content_type=content_type)
    elif isinstance(content, bytes | str):
        response = HttpResponse(content, content_type=content_type)
    elif isinstance(content, Iterable):
        response = StreamingHttpResponse(content, content_type=content_type)
    else:
        raise TypeError(f"cannot send {type(content).__name__} as a download")
    response["Content-Disposition"] = content_disposition_header(not inline, safe_name(filename))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response
