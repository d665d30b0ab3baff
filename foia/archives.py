"""Zip archives that arrive as documents: expanded into temporary files within limits, or refused whole.

Every entry, however small, and the archive as a whole may expand to at most FOIA_ZIP_MAX_RATIO times their
compressed size (an entry may always reach ZIP_SMALL_ENTRY_BYTES: tiny files compress oddly, but they still
count against the archive's allowance). A budget shared with nested zips caps entries and bytes, so nesting
cannot multiply the limits. Sizes are counted as bytes come out, since headers can lie.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings

CHUNK = 1024 * 1024
ZIP_SMALL_ENTRY_BYTES = 64 * 1024


class ZipRefused(Exception):
    """The archive cannot be expanded; the text says why (a person reads it)."""


@dataclass
class ZipBudget:
    """Limits shared by a zip and every zip nested in it, so nesting cannot multiply them."""

    entries: int
    bytes: int


def zip_expand(path: str, *, depth: int, budget: ZipBudget) -> list[tuple[str, IO[bytes]]]:
    """(entry name, temporary file) for every entry, or ZipRefused for a bomb, an escape or deep nesting."""
    if depth >= settings.FOIA_ZIP_MAX_DEPTH + 1:
        raise ZipRefused(f"zip nested more than {settings.FOIA_ZIP_MAX_DEPTH} levels deep")
    members: list[tuple[str, IO[bytes]]] = []
    # What this archive may still expand to: RATIO times its own size, small entries included.
    allowance = [max(os.path.getsize(path) * settings.FOIA_ZIP_MAX_RATIO, ZIP_SMALL_ENTRY_BYTES)]
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            _check_headers(infos, budget, allowance[0])
            for info in infos:
                if info.flag_bits & 0x1:
                    raise ZipRefused(f"zip entry {info.filename!r} is encrypted")
                members.append((info.filename, _read(archive, info, budget, allowance)))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        for _, handle in members:
            handle.close()
        raise ZipRefused(f"damaged zip archive ({exc})") from None
    except ZipRefused:
        for _, handle in members:
            handle.close()
        raise
    return members


def _entry_allowed(info: zipfile.ZipInfo) -> int:
    """What one entry may expand to: RATIO times its compressed size (64 KB always), within the file limit."""
    by_ratio = max(info.compress_size * settings.FOIA_ZIP_MAX_RATIO, ZIP_SMALL_ENTRY_BYTES)
    return min(settings.FOIA_MAX_UPLOAD_BYTES, by_ratio)


def _bomb(what: str) -> str:
    return (
        f"{what} expands to more than {settings.FOIA_ZIP_MAX_RATIO} times its compressed size (a zip bomb?); "
        "nothing from this archive was stored"
    )


def _check_headers(infos, budget: ZipBudget, archive_allowed: int) -> None:
    """Refuse before decompressing anything: too many entries, paths outside, declared sizes too large."""
    budget.entries -= len(infos)
    if budget.entries < 0:
        raise ZipRefused(f"zip has too many entries (limit {settings.FOIA_ZIP_MAX_ENTRIES})")
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in PurePosixPath(name).parts:
            raise ZipRefused(f"zip entry {info.filename!r} points outside the archive")
        if info.file_size > settings.FOIA_MAX_UPLOAD_BYTES:
            raise ZipRefused(f"zip entry {info.filename!r} is larger than the per-file limit")
        if info.file_size > _entry_allowed(info):
            raise ZipRefused(_bomb(f"zip entry {info.filename!r}"))
    declared = sum(info.file_size for info in infos)
    if declared > budget.bytes:
        raise ZipRefused(f"zip expands to more than {settings.FOIA_ZIP_MAX_TOTAL_BYTES:,} bytes")
    if declared > archive_allowed:
        raise ZipRefused(_bomb(f"zip ({declared:,} bytes in {len(infos)} entries)"))


def _read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: ZipBudget, allowance: list[int]
) -> IO[bytes]:
    """One entry into a temporary file, counting real bytes against the entry, the archive and the budget."""
    entry_allowed = _entry_allowed(info)
    handle = tempfile.NamedTemporaryFile(prefix="foia-zip-", suffix=".bin")  # noqa: SIM115
    written = 0
    with archive.open(info) as source:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            budget.bytes -= len(chunk)
            allowance[0] -= len(chunk)
            if written > entry_allowed or budget.bytes < 0 or allowance[0] < 0:
                handle.close()
                raise ZipRefused(_bomb(f"zip entry {info.filename!r}"))
            handle.write(chunk)
    handle.flush()
    handle.seek(0)
    return handle
