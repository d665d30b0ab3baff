"""Reading untrusted mail without being hurt by it: header values that never raise, never carry NUL.

Python's email parser decodes encoded words (`=?utf-8?q?hello=00world?=` becomes "hello\\x00world") and, for
some malformed headers, raises when a value is read. PostgreSQL refuses NUL in text, so every value stored
from a message goes through these functions; a message that still cannot be read is stored as unparseable.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from .outbound import header_clean

logger = logging.getLogger(__name__)

UNPARSEABLE = "unparseable"


def text_clean(value: object, *, limit: int | None = None) -> str:
    """Text safe for any database column: no NUL, line ends kept (bodies are multi-line)."""
    text = str(value or "").replace("\x00", "")
    return text[:limit] if limit is not None else text


def header_get(message: EmailMessage, name: str, *, limit: int = 998) -> str:
    """One header's value on one line, cleaned; the raw value when the parser fails on it, "" if absent."""
    try:
        value = message.get(name)
        return header_clean(value, limit=limit) if value is not None else ""
    except Exception:  # the header parser has raised on hostile input (IndexError, ValueError, ...)
        logger.info("Header %s could not be parsed; its raw value is kept", name)
        for key, raw in message.raw_items():
            if key.lower() == name.lower():
                return header_clean(raw, limit=limit)
        return ""


def header_get_all(message: EmailMessage, name: str) -> list[str]:
    """Every value of a header (To may appear several times), each cleaned."""
    try:
        values = message.get_all(name) or []
        return [header_clean(value, limit=2000) for value in values]
    except Exception:  # as in header_get: hostile input can make the parser raise
        raws = [raw for key, raw in message.raw_items() if key.lower() == name.lower()]
        return [header_clean(raw, limit=2000) for raw in raws]
