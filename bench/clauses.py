"""Benchmark: the clause finder over 1,500 agencies x 3 documents x 5 pages, and OCR speed.

    .venv/bin/python bench/clauses.py            # SQLite (var/bench/clauses.sqlite3)
    .venv/bin/python bench/clauses.py --postgres # the throwaway database foia_bench_clauses on 127.0.0.1

A template sentence is on some page of one document for 1,200 of the agencies (sometimes hyphenated at a line
end, sometimes over a page break, with curly apostrophes); 100 more have only documents awaiting OCR; the
rest have documents without it. Times phrase_answers() (every agency decided) and checks every answer.
Then OCRs a generated 4-page scan, one document at a time and two at once, and prints pages per minute.
Targets: every agency right; < 2 s on PostgreSQL, < 5 s on SQLite.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"
PG_DB = "foia_bench_clauses"
SQLITE_FILE = ROOT / "var" / "bench" / "clauses.sqlite3"
TEMPLATE = "The Agency\u2019s officers shall encourage adoption of the Neighbors app by residents"
PHRASE = "the agency's officers shall encourage adoption of the neighbors app"
FILLER = " ".join(
    [
        "records request response police department camera video footage portal agreement city council",
        "public",
        "safety data program partnership residents law enforcement officer share policy memorandum",
    ]
).split()


def setup(postgres: bool) -> None:
    if postgres:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = f"{PG}/{PG_DB}"
    else:
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        SQLITE_FILE.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def page_text(rng: random.Random, words: int = 250) -> str:
    lines, line = [], []
    for word in rng.choices(FILLER, k=words):
        line.append(word)
        if len(line) == 12:
            lines.append(" ".join(line))
            line = []
    return "\n".join(lines + [" ".join(line)])


def with_template(rng: random.Random, pages: list[str], variant: int) -> None:
    """Put the template sentence in: plain, hyphenated at a line end, or over a page break."""
    number = rng.randrange(4)
    if variant == 0:
        pages[number] += "\n" + TEMPLATE + "."
    elif variant == 1:
        pages[number] += "\n" + TEMPLATE.replace("encourage", "encour-\nage") + "."
    else:
        head, tail = TEMPLATE.split(" shall ")
        pages[number] += "\n" + head + " shall"
        pages[number + 1] = tail + ". " + pages[number + 1]


def populate(agencies: int, with_phrase: int, awaiting_ocr: int) -> dict[int, str]:
    """The campaign's agencies, requests, documents and pages; returns the expected answer per agency."""
    from foia.models import Agency, Campaign, Document, DocumentPage, RecordsRequest, RequestDocument
    from foia.search.text import pages_search_text

    rng = random.Random(5)
    campaign = Campaign.objects.create(title="Bench", slug="bench", tracking_prefix="BENCH")
    made = Agency.objects.bulk_create(
        Agency(name=f"Agency {i}", normalized_name=f"agency {i}", state="MI") for i in range(agencies)
    )
    requests = RecordsRequest.objects.bulk_create(
        RecordsRequest(campaign=campaign, agency=a, tracking_number=f"BENCH-{i:05d}", reply_token=f"t{i}")
        for i, a in enumerate(made)
    )
    expected, documents, links, pages = {}, [], [], []
    for i, request_ in enumerate(requests):
        waiting = with_phrase <= i < with_phrase + awaiting_ocr
        expected[request_.agency_id] = "yes" if i < with_phrase else ("unknown" if waiting else "no")
        for d in range(3):
            status = "needs_ocr" if waiting and d == 2 else "done"
            documents.append(
                Document(
                    sha256=f"{i:08d}{d:02d}".ljust(64, "0"),
                    file=f"documents/bench/{i}-{d}.pdf",
                    size=1000,
                    mime_type="application/pdf",
                    original_name=f"doc{d}.pdf",
                    extraction_status=status,
                    page_count=5,
                )
            )
    documents = Document.objects.bulk_create(documents, batch_size=2000)
    for index, document in enumerate(documents):
        i, d = divmod(index, 3)
        links.append(RequestDocument(request=requests[i], document=document, filename=f"doc{d}.pdf"))
        texts = [page_text(rng) for _ in range(5)]
        if i < with_phrase and d == i % 3:
            with_template(rng, texts, i % 3)
        if document.extraction_status == "needs_ocr":
            texts = ["" for _ in texts]
        for number, (text, (folded, own)) in enumerate(zip(texts, pages_search_text(texts), strict=True), 1):
            pages.append(
                DocumentPage(
                    document=document, number=number, text=text, search_text=folded, search_own_length=own
                )
            )
    RequestDocument.objects.bulk_create(links, batch_size=2000)
    DocumentPage.objects.bulk_create(pages, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return expected


def bench_answers(expected: dict[int, str], runs: int) -> None:
    from foia.models import Campaign
    from foia.search import phrase_answers

    campaign = Campaign.objects.get(slug="bench")
    timings, wrong = [], []
    for _ in range(runs):
        started = time.perf_counter()
        answers = phrase_answers(campaign, PHRASE)
        timings.append(time.perf_counter() - started)
        wrong = [a for agency_id, a in answers.items() if a.answer != expected[agency_id]]
    counts = {kind: sum(1 for a in answers.values() if a.answer == kind) for kind in ("yes", "no", "unknown")}
    print(
        f"phrase_answers over {len(answers):,} agencies: median {statistics.median(timings):.2f} s, "
        f"worst {max(timings):.2f} s ({runs} runs); {counts}; wrong answers: {len(wrong)}"
    )
    for answer in wrong[:5]:
        print(f"  WRONG {answer.agency.name}: {answer.answer} ({answer.reason})")


def bench_ocr(pages: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from foia.ocr import ocr_available, ocr_run

    sys.path.insert(0, str(ROOT / "tests"))
    from tests.test_extraction import SCAN_LINES, scan_pdf_bytes

    if ocr_available():
        print(f"OCR: {ocr_available()}")
        return
    data = scan_pdf_bytes([SCAN_LINES * 6] * pages)

    def one(_index: int) -> float:
        with tempfile.TemporaryDirectory() as workdir:
            source = Path(workdir) / "scan.pdf"
            source.write_bytes(data)
            started = time.perf_counter()
            result = ocr_run(str(source), "application/pdf", workdir=workdir, timeout=900, memory_mb=3072)
            assert result.ok, result.error
            return time.perf_counter() - started

    for parallel in (1, 2):
        started = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(one, range(parallel)))
        elapsed = time.perf_counter() - started
        print(
            f"OCR ({parallel} document(s) of {pages} scanned pages at once, 200 dpi): "
            f"{parallel * pages / elapsed * 60:.0f} pages per minute"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--agencies", type=int, default=1500)
    parser.add_argument("--with-phrase", type=int, default=1200)
    parser.add_argument("--awaiting-ocr", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ocr-pages", type=int, default=4, help="0 skips the OCR figure")
    args = parser.parse_args()
    setup(args.postgres)
    started = time.perf_counter()
    expected = populate(args.agencies, args.with_phrase, args.awaiting_ocr)
    print(
        f"{'PostgreSQL' if args.postgres else 'SQLite'}: {args.agencies:,} agencies x 3 documents x 5 pages "
        f"stored in {time.perf_counter() - started:.0f} s"
    )
    bench_answers(expected, args.runs)
    if args.ocr_pages:
        bench_ocr(args.ocr_pages)


if __name__ == "__main__":
    main()
