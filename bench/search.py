"""Benchmark: full-text search over 50,000 documents of about 5 pages on PostgreSQL, and PDF extraction speed.

    .venv/bin/python bench/search.py [--documents 50000] [--pages 5] [--words 250] [--runs 40] [--reuse]

Creates (drops first) the throwaway database foia_bench_search on 127.0.0.1:5432 (user postgres), bulk
inserts generated page text with COPY (this is about search, not extraction), then times foia.search.search()
- the SQL, the verification of every hit against the stored text and loading the hits - for a rare word, a
common word, a phrase and a rare phrase of common words in the exact mode (and in the stemmed word-forms
mode), printing median and p95.
Then extracts a generated multi-page PDF (WeasyPrint) with pypdfium2 and prints pages/s.
Targets: median < 100 ms, p95 < 300 ms.
"""

import argparse
import hashlib
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A smaller run to iterate on can use its own database: FOIA_BENCH_SEARCH_DB=foia_bench_search_small.
DB_NAME = os.environ.get("FOIA_BENCH_SEARCH_DB", "foia_bench_search")
PG = "postgres://postgres@127.0.0.1:5432"
RARE = ["zygomorphic", "quillwort", "nephelometer", "xenolith", "jacquard"]
PHRASES = ['"encourage adoption"', '"neighbors portal"', '"video request"', '"talking points"']
# Phrases of common words that are rarely side by side (the words are on most pages, the phrase on few),
# and an excluded word that is on most pages: the hard cases for an index of words.
RARE_PHRASES = [
    '"share ring footage"',
    '"portal neighbors camera"',
    '"safety public"',
    '"video request" -camera',
]


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def database_filled() -> bool:
    """Whether foia_bench_search exists with pages in it (for --reuse)."""
    import psycopg

    try:
        with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
            return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM foia_documentpage)").fetchone()[0])
    except psycopg.Error:
        return False


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def vocabulary(size: int = 20000) -> list[str]:
    """Pseudo-words from syllables, the first few hundred real words of the domain (most frequent)."""
    rng = random.Random(7)
    syllables = [
        "ba",
        "ker",
        "lo",
        "mi",
        "dan",
        "tor",
        "el",
        "ris",
        "pa",
        "ven",
        "qua",
        "sto",
        "ne",
        "fi",
        "gul",
    ]
    domain = [
        "police",
        "department",
        "records",
        "request",
        "camera",
        "video",
        "app",
        "ring",
        "neighbors",
        "portal",
        "agreement",
        "officer",
        "city",
        "residents",
        "program",
        "partnership",
        "data",
        "footage",
        "law",
        "enforcement",
        "public",
        "safety",
        "share",
    ]
    words = list(dict.fromkeys(domain))
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.append(word)
    return words


def page_texts(count: int, words_per_page: int, rng: random.Random):
    """Page text with Zipf-like word frequencies; planted rare words and phrases at known rates."""
    vocab = vocabulary()
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))
    for index in range(count):
        words = rng.choices(vocab, cum_weights=cumulative, k=words_per_page)
        if index % 9973 == 0:  # about 0.01% of pages
            words[rng.randrange(len(words))] = RARE[index % len(RARE)]
        if index % 97 == 0:  # about 1% of pages
            phrase = PHRASES[index % len(PHRASES)].strip('"')
            words.insert(rng.randrange(len(words)), phrase)
        yield " ".join(words)


def populate(documents: int, pages: int, words: int) -> None:
    """Campaigns, agencies, requests, documents and pages, inserted in bulk with COPY."""
    from django.db import connection
    from django.utils import timezone

    from foia.models import Agency, Campaign, RecordsRequest
    from foia.search.text import pages_search_text

    rng = random.Random(42)
    agencies = Agency.objects.bulk_create(
        Agency(
            name=f"Bench {i} Police Department",
            normalized_name=f"bench {i} police department",
            state=rng.choice(["MI", "MA", "CA", "TX", "NY"]),
        )
        for i in range(1000)
    )
    campaigns = Campaign.objects.bulk_create(
        Campaign(title=f"Bench {i}", slug=f"bench-{i}", tracking_prefix=f"B{i}") for i in range(10)
    )
    requests = RecordsRequest.objects.bulk_create(
        RecordsRequest(campaign=c, agency=a, tracking_number=f"B{ci}-{ai:04d}", reply_token=f"t{ci}x{ai}")
        for ci, c in enumerate(campaigns)
        for ai, a in enumerate(agencies)
    )
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY foia_document (sha256, file, size, mime_type, original_name, kind, suggested_kind,"
            " extraction_status, extraction_error, page_count, created_at) FROM STDIN"
        ) as copy:
            for i in range(documents):
                sha = hashlib.sha256(f"doc{i}".encode()).hexdigest()
                copy.write_row(
                    (
                        sha,
                        f"documents/bench/{i}.pdf",
                        1000,
                        "application/pdf",
                        f"doc{i}.pdf",
                        rng.choice(["contract", "mou", "other", "policy"]),
                        "",
                        "done",
                        "",
                        pages,
                        now,
                    )
                )
        cursor.execute("SELECT min(id) FROM foia_document")
        first_id = cursor.fetchone()[0]
        with raw.cursor().copy(
            "COPY foia_requestdocument (request_id, document_id, filename, added_at) FROM STDIN"
        ) as copy:
            for i in range(documents):
                copy.write_row((requests[i % len(requests)].pk, first_id + i, f"doc{i}.pdf", now))
        texts = page_texts(documents * pages, words, rng)
        columns = "document_id, number, text, search_text, search_own_length"
        with raw.cursor().copy(f"COPY foia_documentpage ({columns}) FROM STDIN") as copy:
            for i in range(documents):
                document_pages = [next(texts) for _ in range(pages)]
                for number, (text, (folded, own)) in enumerate(
                    zip(document_pages, pages_search_text(document_pages), strict=True), 1
                ):
                    copy.write_row((first_id + i, number, text, folded, own))
                if i and i % 10000 == 0:
                    print(f"  {i:,} documents inserted ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    print(f"Inserted {documents:,} documents, {documents * pages:,} pages in {elapsed:.0f} s")


def time_queries(label: str, queries: list[str], runs: int, **filters) -> list[float]:
    from foia.search import search

    timings, counts = [], []
    search(query=queries[0], **filters)  # warm the connection and the plan cache
    for run in range(runs):
        query = queries[run % len(queries)]
        started = time.perf_counter()
        hits = search(query=query, **filters)
        timings.append((time.perf_counter() - started) * 1000)
        counts.append(len(hits))
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"{label:<34} median {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   "
        f"hits per query {min(counts)}-{max(counts)}"
    )
    return timings


def bench_extraction(pages: int) -> None:
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    from foia.extraction import pdf_pages, text_extract_isolated

    body = "".join(
        f"<section style='page-break-after: always'><h2>Page {n}</h2>"
        + "<p>The Department agrees to encourage adoption of the Neighbors app by residents. " * 25
        + "</p></section>"
        for n in range(pages)
    )
    pdf = HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        started = time.perf_counter()
        result = pdf_pages(handle.name)
        in_process = time.perf_counter() - started
        started = time.perf_counter()
        isolated = text_extract_isolated(handle.name, "application/pdf", timeout=300, memory_mb=2048)
        child = time.perf_counter() - started
    assert result.status == "done" and isolated.status == "done"
    pages = len(result.pages)
    print(
        f"Extraction (pypdfium2, {pages}-page PDF, {len(pdf) // 1024} KB): {pages / in_process:,.0f} pages/s "
        f"in process; {pages / child:,.0f} pages/s in the isolated child process incl. its start-up"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=50000)
    parser.add_argument("--pages", type=int, default=5, help="pages per document")
    parser.add_argument("--words", type=int, default=250, help="words per page")
    parser.add_argument("--runs", type=int, default=40, help="searches per kind of query")
    parser.add_argument("--pdf-pages", type=int, default=200, help="0 skips the extraction figure")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (migrated, not refilled)"
    )
    args = parser.parse_args()
    if not (args.reuse and database_filled()):
        recreate_database()
        setup_django()
        populate(args.documents, args.pages, args.words)
    else:
        setup_django()
    from foia.models import Campaign, DocumentPage

    pages = DocumentPage.objects.count()  # with --reuse, what the earlier run inserted
    print(f"\nSearch over {pages:,} pages ({args.runs} runs each, limit 50 hits):")
    print("Exact (the default: verified, unstemmed):")
    time_queries("  rare word", RARE, args.runs)
    time_queries("  common word", ["police", "records", "camera", "video", "department"], args.runs)
    exact = time_queries("  phrase", PHRASES, args.runs)
    campaign = Campaign.objects.order_by("pk").first()
    exact += time_queries("  phrase, one campaign", PHRASES, args.runs, campaign=campaign)
    exact += time_queries("  rare phrase of common words", RARE_PHRASES, args.runs)
    exact += time_queries("  same, one campaign", RARE_PHRASES, args.runs, campaign=campaign)
    time_queries("  common word, one state + kind", ["police", "records"], args.runs, state="MI", kind="mou")
    exact.sort()
    print(
        f"  all exact-phrase queries: median {statistics.median(exact):.1f} ms, "
        f"p95 {exact[int(len(exact) * 0.95) - 1]:.1f} ms (targets 100 / 300 ms)"
    )
    print("Word forms (stemmed):")
    time_queries("  rare word", RARE, args.runs, mode="words")
    time_queries(
        "  common word", ["police", "records", "camera", "video", "department"], args.runs, mode="words"
    )
    time_queries("  phrase", PHRASES, args.runs, mode="words")
    from foia.search import clause_find

    started = time.perf_counter()
    rows = clause_find(campaign=campaign, phrase="encourage adoption")
    answers = {kind: sum(1 for r in rows if r.answer == kind) for kind in ("yes", "no", "unknown")}
    print(
        f"clause finder (1 campaign, {len(rows)} agencies): {(time.perf_counter() - started) * 1000:.0f} ms, "
        f"{answers}"
    )
    if args.pdf_pages:
        print()
        bench_extraction(args.pdf_pages)


if __name__ == "__main__":
    main()
