"""Content checks that cannot be sidestepped: markup anywhere in a text file, active extensions in names."""

import io

import pytest

from foia.documents import PDF, TEXT, FileRejected, document_store, file_type_sniff
from foia.models import Document, RequestDocument

from .factories import RecordsRequestFactory, pdf_bytes

PADDING = b"Dear requester, these are the records you asked for.\n" * 200  # about 10 KB of plain text


def store(records_request, data: bytes, name: str):
    return document_store(fileobj=io.BytesIO(data), name=name, records_request=records_request)


@pytest.mark.parametrize(
    "markup",
    [
        b"<script>alert(document.cookie)</script>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<html><body onload=alert(1)>",
        b'<?xml-stylesheet type="text/xsl" href="evil.xsl"?>',
    ],
)
def test_markup_after_the_first_4096_bytes_is_refused(tmp_path, markup):
    path = tmp_path / "page"
    path.write_bytes(PADDING + markup + PADDING)
    with pytest.raises(FileRejected, match="HTML or SVG"):
        file_type_sniff(str(path))


def test_markup_past_the_first_64_kib_is_refused_too(tmp_path):
    path = tmp_path / "page"
    path.write_bytes(PADDING * 10 + b"<script>alert(1)</script>")
    with pytest.raises(FileRejected, match="HTML or SVG"):
        file_type_sniff(str(path))


def test_markup_cut_across_two_read_chunks_is_still_found(tmp_path):
    chunk = 1024 * 1024
    body = b"x" * (chunk - 3) + b"<script>alert(1)</script>"
    path = tmp_path / "page"
    path.write_bytes(body)
    with pytest.raises(FileRejected):
        file_type_sniff(str(path))


def test_a_padded_html_page_with_a_text_name_stores_nothing(db):
    records_request = RecordsRequestFactory()
    with pytest.raises(FileRejected):
        store(records_request, PADDING + b"<html><script>x()</script></html>", "notes.html")
    assert Document.objects.count() == 0 and RequestDocument.objects.count() == 0


@pytest.mark.parametrize("name", ["notes.html", "notes.HTM", "drawing.svg", "feed.xml", "run.js", "a.xhtml"])
def test_a_plain_text_file_never_keeps_an_active_extension(db, name):
    link = store(RecordsRequestFactory(), b"Just words, no markup.\n", name).links[0]
    assert link.filename == f"{name}.txt"
    assert link.document.mime_type == TEXT and link.document.file.name.endswith(".txt")


def test_a_pdf_named_html_is_stored_with_a_pdf_name(db):
    link = store(RecordsRequestFactory(), pdf_bytes(["MOU"]), "contract.pdf.html").links[0]
    assert link.document.mime_type == PDF and link.filename == "contract.pdf.html.pdf"


def test_ordinary_names_are_kept(db):
    link = store(RecordsRequestFactory(), b"Plain text records.\n", "records.txt").links[0]
    assert link.filename == "records.txt"
