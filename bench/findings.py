"""Benchmark: the findings matrix over 1,500 agencies x 3 documents x 5 pages with 10 questions, one agency's
row after a new document, near-duplicate grouping of 5,000 stored documents (the worker's path: read,
sketch, group, store), a redline of two 20-page documents.

    .venv/bin/python bench/findings.py            # SQLite (var/bench/findings.sqlite3, rebuilt)
    .venv/bin/python bench/findings.py --postgres # the throwaway database foia_bench_findings on 127.0.0.1

Data: bench/clauses.py's campaign (a template sentence in 1,200 agencies' documents, 100 agencies with a
document awaiting OCR). Targets: whole matrix < 10 s on PostgreSQL, < 30 s on SQLite; one agency's row
< 1 s; grouping 5,000 documents < 60 s; a 20-page redline < 1 s; peak memory < 500 MB.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import clauses  # noqa: E402
from clauses import FILLER, PHRASE, page_text, populate, setup  # noqa: E402

# Its own throwaway databases (bench/clauses.py's setup reads these names when it runs).
clauses.PG_DB = "foia_bench_findings"
clauses.SQLITE_FILE = ROOT / "var" / "bench" / "findings.sqlite3"
EXPECTED = ROOT / "var" / "bench" / "findings-expected.json"

QUESTIONS = [
    ("template", PHRASE, "any", ""),
    ("adoption", "encourage adoption|neighbors app", "any", ""),
    ("portal", "portal agreement", "any", ""),
    ("council-video", "city council|video footage", "all", ""),
    ("camera-policy", "camera|policy", "near:5", ""),
    ("data-share", "share policy memorandum", "any", ""),
    ("subsidy", "subsidy|discount", "any", "amount"),
    ("safety", "public safety data program", "any", ""),
    ("residents", "residents law enforcement", "any", ""),
    ("no-such", "ring will match the subsidy", "any", ""),
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_matrix(expected: dict[int, str]) -> None:
    from foia.findings.cells import cells_compute, findings_for_document
    from foia.models import Campaign, CampaignQuestion, Document, FindingCell, RequestDocument
    from foia.search.text import pages_search_text

    campaign = Campaign.objects.get(slug="bench")
    CampaignQuestion.objects.bulk_create(
        CampaignQuestion(campaign=campaign, slug=s, question=s, phrases=p.replace("|", "\n"), mode=m, pick=k)
        for s, p, m, k in QUESTIONS
    )
    started, cpu = time.perf_counter(), time.process_time()
    changed = cells_compute(campaign=campaign)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    template = {c.agency_id: c.answer for c in FindingCell.objects.filter(question__slug="template")}
    wrong = sum(template[a] != e for a, e in expected.items())
    print(f"whole matrix: {changed:,} cells ({len(expected):,} agencies x 10 questions) in {elapsed:.2f} s "
          f"({cpu:.2f} s of this process's CPU; the rest is the database and waiting for a core); "
          f"template question wrong answers: {wrong}")  # fmt: skip
    started = time.perf_counter()
    again = cells_compute(campaign=campaign)
    print(
        f"whole matrix again (nothing changed, {again} cells written): {time.perf_counter() - started:.2f} s"
    )
    link = RequestDocument.objects.select_related("request").filter(request__agency_id=max(expected)).first()
    document = Document.objects.create(
        sha256="f" * 64, file="documents/bench/new.pdf", size=1, mime_type="application/pdf",
        original_name="new.pdf", extraction_status="done", page_count=5,
    )  # fmt: skip
    RequestDocument.objects.create(request=link.request, document=document, filename="new.pdf")
    texts = [page_text(random.Random(9)) for _ in range(4)] + ["Ring will match the subsidy of $25,000."]
    from foia.models import DocumentPage

    DocumentPage.objects.bulk_create(
        DocumentPage(document=document, number=n, text=t, search_text=f, search_own_length=o)
        for n, (t, (f, o)) in enumerate(zip(texts, pages_search_text(texts), strict=True), 1)
    )
    started = time.perf_counter()
    findings_for_document(document.pk)
    elapsed = time.perf_counter() - started
    cell = FindingCell.objects.get(question__slug="no-such", agency_id=link.request.agency_id)
    print(f"one new document, its agency's row: {elapsed:.3f} s (answer now {cell.answer})")


def groups_populate(documents: int) -> None:
    """A second campaign: `documents` MOUs of 5 pages, copies and variants of 40 texts (document gN is a
    copy of text N % 40; every third one has a clause rewritten)."""
    from foia.models import Agency, Campaign, Document, DocumentPage, RecordsRequest, RequestDocument
    from foia.search.text import pages_search_text

    rng = random.Random(3)
    bases = [[page_text(rng) for _ in range(5)] for _ in range(40)]
    campaign = Campaign.objects.create(title="Groups", slug="groups", tracking_prefix="GROUPS")
    agencies = Agency.objects.bulk_create(
        Agency(name=f"Group agency {i}", normalized_name=f"group agency {i}", state="OH")
        for i in range(documents)
    )
    requests = RecordsRequest.objects.bulk_create(
        RecordsRequest(campaign=campaign, agency=a, tracking_number=f"GROUPS-{i:05d}", reply_token=f"g{i}")
        for i, a in enumerate(agencies)
    )
    made = Document.objects.bulk_create(
        (
            Document(
                sha256=f"g{index:08d}".ljust(64, "0"), file=f"documents/bench/g{index}.pdf", size=1000,
                mime_type="application/pdf", original_name=f"g{index}.pdf", extraction_status="done",
                page_count=5, kind="mou",
            )
            for index in range(documents)
        ),
        batch_size=2000,
    )  # fmt: skip
    RequestDocument.objects.bulk_create(
        (
            RequestDocument(request=r, document=d, filename=d.original_name)
            for r, d in zip(requests, made, strict=True)
        ),
        batch_size=2000,
    )
    pages = []
    for index, document in enumerate(made):
        texts = list(bases[index % 40])
        if index % 3 == 0:  # a variant: one page's clause rewritten
            texts[rng.randrange(5)] = page_text(rng, 60) + texts[0][:800]
        for number, (text, (folded, own)) in enumerate(zip(texts, pages_search_text(texts), strict=True), 1):
            pages.append(
                DocumentPage(
                    document=document, number=number, text=text, search_text=folded, search_own_length=own
                )
            )
        if len(pages) >= 2000:
            DocumentPage.objects.bulk_create(pages, batch_size=2000)
            pages = []
    DocumentPage.objects.bulk_create(pages, batch_size=2000)


def bench_groups() -> None:
    """The worker's path: the campaign's documents of a kind read from the database in chunks, sketched,
    grouped, and the groups stored (foia.findings.duplicates.groups_compute)."""
    from foia.findings.duplicates import groups_compute
    from foia.models import Campaign, Document

    campaign = Campaign.objects.get(slug="groups")
    started, cpu = time.perf_counter(), time.process_time()
    row = groups_compute(campaign_id=campaign.pk, kind="mou", force=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    names = Document.objects.filter(links__request__campaign=campaign).values_list("pk", "original_name")
    text_of = {pk: int(name[1:].split(".")[0]) % 40 for pk, name in names}
    groups = [[key for variant in variants for key in variant] for variants in row.groups]
    wrong = sum(len({text_of[key] for key in members}) > 1 for members in groups)
    split = len(groups) - 40
    variants = sum(len(variants) for variants in row.groups)
    print(f"grouping {row.documents:,} stored documents of 5 pages (read, sketch, group, store): "
          f"{elapsed:.1f} s ({cpu:.1f} s of this process's CPU); {len(groups)} groups (40 texts), "
          f"{variants} variants; groups mixing texts (false merges): {wrong}; "
          f"texts split beyond one group: {max(split, 0)}")  # fmt: skip


def bench_redline() -> None:
    from foia.findings.redline import redline

    rng = random.Random(4)
    sentences = [" ".join(rng.choices(FILLER, k=rng.randint(8, 20))).capitalize() + "." for _ in range(600)]
    pages = [" ".join(sentences[i * 30 : (i + 1) * 30]) for i in range(20)]
    other = [page.replace("camera", "cameras", 1) for page in pages]
    other[7] = other[7][: len(other[7]) // 2]
    started = time.perf_counter()
    result = redline(pages, other)
    elapsed = time.perf_counter() - started
    print(f"redline of two 20-page documents ({len(result.lines)} sentences): {elapsed:.2f} s; "
          f"similarity {result.similarity:.2f}, {result.changes} changes")  # fmt: skip


def connect(postgres: bool) -> None:
    """Django on the database a --populate-only run filled (nothing dropped or created)."""
    os.environ["DATABASE_URL"] = (
        f"{clauses.PG}/{clauses.PG_DB}" if postgres else f"sqlite:///{clauses.SQLITE_FILE}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--agencies", type=int, default=1500)
    parser.add_argument("--documents", type=int, default=5000, help="for the grouping figure")
    parser.add_argument("--populate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.populate_only:  # a child process, so the figures' process never held the generated data
        setup(args.postgres)
        started = time.perf_counter()
        expected = populate(args.agencies, int(args.agencies * 0.8), args.agencies // 15)
        groups_populate(args.documents)
        EXPECTED.parent.mkdir(parents=True, exist_ok=True)  # the PostgreSQL run has no SQLite file there
        EXPECTED.write_text(json.dumps(expected))
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{backend}: populated in {time.perf_counter() - started:.0f} s (in a child process)")
        return
    subprocess.run([sys.executable, __file__, "--populate-only", *sys.argv[1:]], check=True)
    connect(args.postgres)
    expected = {int(agency): answer for agency, answer in json.loads(EXPECTED.read_text()).items()}
    bench_matrix(expected)
    bench_redline()
    bench_groups()
    print(
        f"peak memory (resident, the measuring process; the data is generated in a child): {peak_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
