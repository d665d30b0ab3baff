"""Storing response files: type by content, generated names, one document per file, zips within limits."""

import io
import os
import zipfile

import pytest
from django.core.files.storage import default_storage

from foia.documents import document_store, kind_suggest
from foia.filetypes import DOCX, EML, PDF, TEXT, XLSX, ZIP, FileRejected, file_type_sniff, filename_clean
from foia.models import Document, ExtractionStatus, RequestDocument, RequestEvent

from .factories import RecordsRequestFactory, eml_bytes, pdf_bytes


def store(records_request, data: bytes, name: str):
    return document_store(fileobj=io.BytesIO(data), name=name, records_request=records_request)


def sniff(tmp_path, data: bytes) -> str:
    path = tmp_path / "sample"
    path.write_bytes(data)
    return file_type_sniff(str(path))


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_types_are_decided_by_content_not_by_name(tmp_path):
    assert sniff(tmp_path, pdf_bytes(["hello"])) == PDF
    assert sniff(tmp_path, docx_bytes("hello")) == DOCX
    assert sniff(tmp_path, xlsx_bytes([["a", 1]])) == XLSX
    assert sniff(tmp_path, zip_bytes({"a.txt": b"hi"})) == ZIP
    assert sniff(tmp_path, "Plain words, café\n".encode()) == TEXT
    assert sniff(tmp_path, "Plain words, caf\xe9\n".encode("latin-1")) == TEXT
    assert sniff(tmp_path, eml_bytes()) == EML
    assert sniff(tmp_path, b"\x89PNG\r\n\x1a\n" + b"\x00" * 20) == "image/png"
    assert sniff(tmp_path, b"\xff\xd8\xff\xe0" + b"\x00" * 20) == "image/jpeg"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"  <html><p>Contract</p></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    ],
)
def test_html_and_svg_are_refused_with_a_reason(tmp_path, data):
    with pytest.raises(FileRejected, match="HTML or SVG"):
        sniff(tmp_path, data)


def test_html_renamed_pdf_is_refused_and_nothing_is_stored(db):
    records_request = RecordsRequestFactory()
    with pytest.raises(FileRejected) as caught:
        store(records_request, b"<html><body>Not a PDF</body></html>", "contract.pdf")
    assert caught.value.name == "contract.pdf"
    assert "HTML" in caught.value.reason
    assert Document.objects.count() == 0


def test_unknown_binary_is_refused(tmp_path):
    with pytest.raises(FileRejected, match="not accepted"):
        sniff(tmp_path, b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))


def test_a_path_as_a_name_is_cleaned_for_display_and_never_used_as_a_path(db):
    records_request = RecordsRequestFactory()
    result = store(records_request, b"Dear requester, here are the records.", "../../etc/passwd")
    link = result.links[0]
    assert link.filename == "passwd"
    assert link.document.original_name == "passwd"
    stored_name = link.document.file.name
    assert stored_name.startswith("documents/") and "passwd" not in stored_name and ".." not in stored_name
    assert default_storage.exists(stored_name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("..\\..\\boot.ini", "boot.ini"),
        ("/etc/shadow", "shadow"),
        (".hidden", "hidden"),
        ("a\x00b.pdf", "ab.pdf"),
        ("", "unnamed"),
        ("..", "unnamed"),
    ],
)
def test_filenames_are_cleaned(raw, clean):
    assert filename_clean(raw) == clean


def test_the_same_file_twice_is_one_document_linked_to_each_request(db):
    first, second = RecordsRequestFactory(), RecordsRequestFactory()
    data = pdf_bytes(["Memorandum of understanding"])
    one = store(first, data, "mou.pdf")
    again = store(first, data, "mou-copy.pdf")
    other = store(second, data, "agreement.pdf")
    assert Document.objects.count() == 1
    assert one.new_documents == 1 and again.new_documents == 0 and other.new_documents == 0
    assert RequestDocument.objects.filter(request=first).count() == 1
    assert RequestDocument.objects.filter(request=second).get().filename == "agreement.pdf"
    document = Document.objects.get()
    assert document.sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert document.mime_type == PDF and document.extraction_status == ExtractionStatus.PENDING


def test_storing_the_same_file_again_never_overwrites_the_stored_bytes(db):
    records_request = RecordsRequestFactory()
    data = b"Original text of the records."
    document = store(records_request, data, "a.txt").links[0].document
    store(RecordsRequestFactory(), data, "a.txt")
    with default_storage.open(document.file.name, "rb") as handle:
        assert handle.read() == data


def test_adding_a_document_writes_a_timeline_event(db):
    records_request = RecordsRequestFactory()
    store(records_request, b"Fee estimate: $25", "fee.txt")
    assert RequestEvent.objects.filter(request=records_request, kind="document").count() == 1


def test_an_upload_over_the_limit_is_refused_from_its_size_without_reading_it(db, settings, tmp_path):
    settings.FOIA_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as handle:  # a sparse 2 GB file: no disk used, and it must never be read
        handle.truncate(2 * 1024**3)

    class Unreadable(io.FileIO):
        def read(self, *args):
            raise AssertionError("the file was read")

    with Unreadable(big, "rb") as handle, pytest.raises(FileRejected, match="larger than the limit"):
        document_store(fileobj=handle, name="huge.pdf", records_request=RecordsRequestFactory())
    assert Document.objects.count() == 0


def test_a_stream_over_the_limit_is_cut_off_while_reading(db, settings):
    settings.FOIA_MAX_UPLOAD_BYTES = 64 * 1024

    class Endless(io.RawIOBase):
        """A stream with no declared size that would go on for 2 GB."""

        served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.served >= 2 * 1024**3:
                return 0
            buffer[: len(buffer)] = b"a" * len(buffer)
            self.served += len(buffer)
            return len(buffer)

    stream = Endless()
    with pytest.raises(FileRejected, match="larger than the limit"):
        document_store(fileobj=stream, name="stream.txt", records_request=RecordsRequestFactory())
    assert stream.served < 4 * 1024 * 1024
    assert Document.objects.count() == 0


def test_an_empty_file_is_refused(db):
    with pytest.raises(FileRejected, match="empty"):
        store(RecordsRequestFactory(), b"", "empty.pdf")


def test_a_zip_is_kept_and_its_entries_become_documents(db):
    records_request = RecordsRequestFactory()
    entries = {
        "contracts/mou.pdf": pdf_bytes(["MOU"]),
        "notes.txt": b"talking points",
        "page.html": b"<html>x",
    }
    data = zip_bytes(entries)
    result = store(records_request, data, "records.zip")
    names = sorted(link.filename for link in result.links)
    assert names == ["records.zip", "records.zip/mou.pdf", "records.zip/notes.txt"]
    assert [r.reason for r in result.rejected] == [
        "HTML or SVG, which is never accepted (it could run scripts); ask for a PDF"
    ]
    assert Document.objects.get(mime_type=ZIP).extraction_status == ExtractionStatus.NO_TEXT


def test_a_zip_bomb_is_refused_before_anything_is_stored(db, settings):
    bomb = zip_bytes({"zeros.txt": b"\x00" * (30 * 1024 * 1024)})  # ~30 KB that expands a thousandfold
    with pytest.raises(FileRejected, match="zip bomb"):
        store(RecordsRequestFactory(), bomb, "records.zip")
    assert Document.objects.count() == 0


def test_a_zip_over_the_total_size_is_refused(db, settings):
    settings.FOIA_ZIP_MAX_TOTAL_BYTES = 100_000
    data = zip_bytes({f"part{i}.txt": os.urandom(30_000).hex().encode()[:60_000] for i in range(3)})
    with pytest.raises(FileRejected, match="expands to more than"):
        store(RecordsRequestFactory(), data, "big.zip")
    assert Document.objects.count() == 0


def test_a_zip_with_too_many_entries_is_refused(db, settings):
    settings.FOIA_ZIP_MAX_ENTRIES = 5
    data = zip_bytes({f"{i}.txt": f"file {i}".encode() for i in range(6)})
    with pytest.raises(FileRejected, match="too many entries"):
        store(RecordsRequestFactory(), data, "many.zip")


@pytest.mark.parametrize("entry", ["../../etc/cron.d/evil", "/etc/passwd", "C:/Windows/evil.txt"])
def test_a_zip_entry_pointing_outside_the_archive_is_refused(db, entry):
    with pytest.raises(FileRejected, match="outside the archive"):
        store(RecordsRequestFactory(), zip_bytes({entry: b"x"}), "escape.zip")
    assert Document.objects.count() == 0


def test_nested_zips_are_expanded_only_to_the_depth_limit(db, settings):
    settings.FOIA_ZIP_MAX_DEPTH = 1
    inner = zip_bytes({"deep.txt": b"deepest"})
    middle = zip_bytes({"inner.zip": inner, "middle.txt": b"middle"})
    outer = zip_bytes({"middle.zip": middle})
    result = store(RecordsRequestFactory(), outer, "outer.zip")
    names = sorted(link.filename for link in result.links)
    assert names == ["outer.zip", "outer.zip/middle.zip", "outer.zip/middle.zip/middle.txt"]
    assert any("nested more than 1" in r.reason for r in result.rejected)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("This Memorandum of Understanding between the City and Ring LLC", "mou"),
        ("This Agreement is made between the parties. The contract term", "contract"),
        ("Talking points for officers when residents ask about the app", "script"),
        ("Invoice: the fee for 4 hours of search is $80.", "invoice"),
        ("Your request is denied; the records are exempt under MCL 15.243.", "denial"),
        ("Nothing in particular here.", "other"),
    ],
)
def test_the_kind_is_suggested_from_the_text(text, kind):
    assert kind_suggest(text) == kind


def test_the_same_zip_on_a_second_request_links_its_entries_there_too(db):
    data = zip_bytes({"mou.pdf": pdf_bytes(["MOU"])})
    first, second = RecordsRequestFactory(), RecordsRequestFactory()
    store(first, data, "a.zip")
    store(second, data, "b.zip")
    assert sorted(second.documents.values_list("filename", flat=True)) == ["b.zip", "b.zip/mou.pdf"]
    assert Document.objects.count() == 2
