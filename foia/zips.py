"""Expanding an uploaded zip into temporary files within limits: bombs, escapes, deep nesting refused."""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings

from .filetypes import CHUNK, FileRejected, filename_clean


@dataclass
class ZipBudget:
    """Limits shared by a zip and every zip nested in it, so nesting cannot multiply them."""

    entries: int
    bytes: int


def zip_expand(path: str, display: str, depth: int, budget: ZipBudget) -> list[tuple[str, IO[bytes]]]:
    """Entries of a zip in temporary files, or FileRejected for a bomb, an escape or too deep nesting."""
    if depth >= settings.FOIA_ZIP_MAX_DEPTH + 1:
        raise FileRejected(f"zip nested more than {settings.FOIA_ZIP_MAX_DEPTH} levels deep", display)
    members: list[tuple[str, IO[bytes]]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            _zip_check_headers(infos, display, budget)
            for info in infos:
                if info.flag_bits & 0x1:
                    raise FileRejected(f"zip entry {info.filename!r} is encrypted", display)
                member = _zip_read(archive, info, display, budget)
                members.append((f"{display}/{filename_clean(info.filename)}"[-250:], member))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        for _, handle in members:
            handle.close()
        raise FileRejected(f"damaged zip archive ({exc})", display) from None
    except FileRejected:
        for _, handle in members:
            handle.close()
        raise
    return members


def _zip_check_headers(infos, display: str, budget: ZipBudget) -> None:
    """Refuse before decompressing anything: too many entries, paths outside, declared sizes too large."""
    budget.entries -= len(infos)
    if budget.entries < 0:
        raise FileRejected(f"zip has too many entries (limit {settings.FOIA_ZIP_MAX_ENTRIES})", display)
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in PurePosixPath(name).parts:
            raise FileRejected(f"zip entry {info.filename!r} points outside the archive", display)
        if info.file_size > settings.FOIA_MAX_UPLOAD_BYTES:
            raise FileRejected(f"zip entry {info.filename!r} is larger than the per-file limit", display)
        if (
            info.file_size > CHUNK
            and info.file_size > max(info.compress_size, 1) * settings.FOIA_ZIP_MAX_RATIO
        ):
            raise FileRejected(f"zip entry {info.filename!r} expands suspiciously (a zip bomb?)", display)
    if sum(info.file_size for info in infos) > budget.bytes:
        raise FileRejected(f"zip expands to more than {settings.FOIA_ZIP_MAX_TOTAL_BYTES:,} bytes", display)


def _zip_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, display: str, budget: ZipBudget) -> IO[bytes]:
    """One entry into a temporary file, counting real bytes: headers can lie about sizes."""
    allowed = min(settings.FOIA_MAX_UPLOAD_BYTES, max(info.compress_size, 1) * settings.FOIA_ZIP_MAX_RATIO)
    allowed = max(allowed, min(CHUNK, settings.FOIA_MAX_UPLOAD_BYTES))
    handle = tempfile.NamedTemporaryFile(prefix="foia-zip-", suffix=".bin")  # noqa: SIM115
    written = 0
    with archive.open(info) as source:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            budget.bytes -= len(chunk)
            if written > allowed or budget.bytes < 0:
                handle.close()
                raise FileRejected(
                    f"zip entry {info.filename!r} expands beyond the limits (a zip bomb?)", display
                )
            handle.write(chunk)
    handle.flush()
    handle.seek(0)
    return handle
