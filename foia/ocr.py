"""OCR for scans: OCRmyPDF with Tesseract, run as a child process with a time limit and a memory cap.

Only pages without a text layer are read (`--skip-text`); images (PNG, JPEG, TIFF) become a one-page PDF.
Tesseract's word confidences (from the hOCR files OCRmyPDF keeps with `-k`) give the mean confidence shown
per document. Installed by `make ocr` (Debian: tesseract-ocr, tesseract-ocr-eng, ghostscript) and the
Dockerfile; OCRmyPDF itself is a Python dependency. Nothing here imports Django.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})
WORD_CONFIDENCE = re.compile(rb"x_wconf (\d+)")
# Scans without a resolution in the file are read as 300 dpi, what most office scanners produce.
DEFAULT_IMAGE_DPI = 300


@dataclass
class OcrResult:
    """A PDF with a text layer (at `pdf_path`), or the reason OCR could not make one."""

    ok: bool
    pdf_path: str = ""
    pages: int = 0
    confidence: float | None = None
    error: str = ""


def ocr_available() -> str:
    """ "" when OCR can run here, else what is missing (said the way a person can fix it)."""
    missing = [tool for tool in ("tesseract", "gs") if shutil.which(tool) is None]
    if missing:
        return f"OCR is not installed on this worker ({', '.join(missing)} missing): run `make ocr`."
    return ""


def _command(source: str, output: str, mime_type: str, languages: str) -> list[str]:
    command = [sys.executable, "-m", "ocrmypdf", "-k", "--quiet", "--output-type", "pdf", "--optimize", "0"]
    command += ["--jobs", "1", "-l", languages]
    if mime_type in IMAGE_TYPES:
        command += ["--image-dpi", str(DEFAULT_IMAGE_DPI)]
    else:
        command += ["--skip-text"]
    return [*command, source, output]


def ocr_run(source: str, mime_type: str, *, workdir: str, timeout: int, memory_mb: int, languages="eng"):
    """OCR `source` into workdir/ocr.pdf; every failure becomes a reason, the worker never crashes."""
    missing = ocr_available()
    if missing:
        return OcrResult(False, error=missing)
    output = str(Path(workdir) / "ocr.pdf")
    scratch = Path(workdir) / "tmp"
    scratch.mkdir(exist_ok=True)
    # OMP_THREAD_LIMIT: one Tesseract thread per job, so the worker's cores are not oversubscribed.
    environment = {**os.environ, "TMPDIR": str(scratch), "OMP_THREAD_LIMIT": "1"}

    def cap_memory() -> None:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    process = subprocess.Popen(  # noqa: S603 - fixed command, paths we made
        _command(source, output, mime_type, languages),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        preexec_fn=cap_memory,  # noqa: PLW1509
        start_new_session=True,  # its own process group, so a timeout stops Tesseract and Ghostscript too
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return OcrResult(False, error=f"OCR took longer than {timeout} seconds and was stopped.")
    if process.returncode != 0 or not Path(output).exists():
        lines = stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        return OcrResult(False, error=f"OCR failed (exit {process.returncode}): {lines[-1][:300]}")
    hocr = sorted(scratch.rglob("*_ocr_hocr.hocr"))
    words = [int(value) for path in hocr for value in WORD_CONFIDENCE.findall(path.read_bytes())]
    confidence = sum(words) / len(words) if words else None
    return OcrResult(True, pdf_path=output, pages=len(hocr), confidence=confidence)


def ocr_then_pages(source: str, mime_type: str, *, timeout: int, memory_mb: int, extract, languages="eng"):
    """OCR then the text of every page through `extract(pdf_path)` (the isolated extractor)."""
    with tempfile.TemporaryDirectory(prefix="foia-ocr-") as workdir:
        result = ocr_run(
            source, mime_type, workdir=workdir, timeout=timeout, memory_mb=memory_mb, languages=languages
        )
        if not result.ok:
            return result, None
        return result, extract(result.pdf_path)
