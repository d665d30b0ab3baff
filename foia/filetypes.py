"""A file's type decided from its bytes (HTML, SVG, unknown binaries refused) and safe display names."""

from __future__ import annotations

import re
import unicodedata
import zipfile

CHUNK = 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
MSG = "application/vnd.ms-outlook"
ZIP = "application/zip"
EML = "message/rfc822"
TEXT = "text/plain"
PNG, JPEG, GIF, TIFF = "image/png", "image/jpeg", "image/gif", "image/tiff"

EXTENSIONS = {
    PDF: ".pdf",
    DOCX: ".docx",
    XLSX: ".xlsx",
    DOC: ".doc",
    XLS: ".xls",
    MSG: ".msg",
    ZIP: ".zip",
    EML: ".eml",
    TEXT: ".txt",
    PNG: ".png",
    JPEG: ".jpg",
    GIF: ".gif",
    TIFF: ".tif",
}
# Browsers render these safely inside a sandboxed response; everything else is only ever downloaded.
INLINE_TYPES = frozenset({PDF, PNG, JPEG, GIF})
# Types with no text for extraction to find (archives are expanded instead). PNG, JPEG and TIFF are OCR'd.
NO_TEXT_TYPES = frozenset({ZIP, DOC, XLS, MSG, GIF})

MAGIC = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta)\b", re.I)
EMAIL_HEADER = re.compile(
    rb"^(from|to|cc|subject|date|message-id|received|mime-version|return-path|reply-to):", re.I | re.M
)


class FileRejected(Exception):
    """A file that was not stored, with a reason a person can read."""

    def __init__(self, reason: str, name: str = ""):
        super().__init__(f"{name}: {reason}" if name else reason)
        self.reason = reason
        self.name = name


def filename_clean(name: str) -> str:
    """A display name: last path part only, no control characters, never empty; never used as a path."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    return name[:200] or "unnamed"


def file_type_sniff(path: str) -> str:
    """The MIME type decided from the bytes; FileRejected for HTML, SVG and anything not allowed."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head:
        raise FileRejected("the file is empty")
    if head.lstrip(b"\x00\t\r\n \xef\xbb\xbf")[:5] == b"%PDF-":
        return PDF
    for magic, mime in MAGIC:
        if head.startswith(magic):
            return mime
    if head.startswith(ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    return _text_kind(head)


def _zip_kind(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(f"damaged zip archive ({exc})") from None
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        raise FileRejected("an Office file of a kind not accepted (only Word and Excel are); ask for a PDF")
    if names and names[0] == "mimetype":
        raise FileRejected("an OpenDocument file, not accepted; ask for PDF, Word or Excel")
    return ZIP


def _ole_kind(path: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read(16 * CHUNK)
    for stream, mime in (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS), ("__substg1.0_", MSG)):
        if stream.encode("utf-16-le") in data:
            return mime
    raise FileRejected("an old-style Office file that is neither Word nor Excel")


def _text_kind(head: bytes) -> str:
    if b"\x00" in head:
        raise FileRejected("a file type that is not accepted (PDF, Word, Excel, text, email, images, zip)")
    if MARKUP.search(head[:4096]) or (head.lstrip().startswith(b"<?xml") and b"<svg" in head.lower()):
        raise FileRejected("HTML or SVG, which is never accepted (it could run scripts); ask for a PDF")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut in half at the end of the sample is still UTF-8; anything else is Latin-1.
        cut = exc.start >= len(head) - 4
        text = head[: exc.start].decode("utf-8") if cut else head.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(text) // 100):
        raise FileRejected("a binary file of a type that is not accepted")
    top = head.lstrip()
    if top.startswith(b"From ") or len(EMAIL_HEADER.findall(top[:4096])) >= 2 and EMAIL_HEADER.match(top):
        return EML
    return TEXT
