"""Letters: campaign + agency + law -> subject and text (Django template syntax) -> HTML -> PDF bytes.

Pure apart from reading rows: nothing here writes to the database. Campaign overrides are rendered by a
dedicated template Engine that turns an unknown variable into an error (never a silently blank field) and
reports syntax errors with their line. A template is a person's code: it may not reach files ({% include %},
{% extends %}, {% debug %}), it is checked and previewed in a forked child under time, memory and output
limits (foia/bounded.py), and a letter longer than LETTER_MAX_CHARS is refused with its size. PDFs are
rendered by WeasyPrint with a URL fetcher that allows only data: URLs and the project's own static files, so
a letter naming file:///etc/passwd or http://… fetches nothing.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
from dataclasses import dataclass

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils import timezone

from .bounded import BoundExceeded, run_bounded
from .letter_pdf import (  # noqa: F401  (the HTML and PDF half, re-exported for callers of foia.letters)
    STATIC_BASE,
    TEMPLATE_DIR,
    letter_html,
    pdf_from_html,
    pdf_text,
    safe_url_fetcher,
)

logger = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO; hundreds of letters would drown the worker log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

DEFAULT_SUBJECT_TEMPLATE = "letters/subject.txt"
DEFAULT_BODY_TEMPLATE = "letters/letter_body.txt"
FRAME_TEMPLATE = "letters/letter.txt"
# A template's source, and a letter (subject or text), may be at most this long: a 1 MB letter took 51 s to
# render as a PDF, and no real letter comes near.
TEMPLATE_MAX_CHARS = 50_000
LETTER_MAX_CHARS = 100_000
# Checking or previewing a template: at most this long and this much memory, in a forked child.
TEMPLATE_CHECK_SECONDS = 5
TEMPLATE_CHECK_MEMORY_MB = 256
# Tags that reach the filesystem or dump the process's state: never in a person's template.
FORBIDDEN_TAGS = {"include", "extends", "debug"}
_INVALID = "\x00INVALID:%s\x00"
_INVALID_RE = re.compile("\x00INVALID:(.*?)\x00", re.S)

# The variables a campaign's subject/body template may use (documented in the campaign form and README).
TEMPLATE_VARIABLES = {
    "agency": "name, city, county, state, kind, email, phone, fax, portal_url, portal_name, address",
    "jurisdiction": 'the state\'s name, e.g. "Michigan"',
    "law": 'name, citation, jurisdiction, response_period ("within 5 business days" / "promptly"), '
    "fixed_deadline (true when the law sets a number of days), response_days, day_type, appeal_path, "
    "requester_limit",
    "campaign": "title, records (list), date_from, date_to, fee_cap, fee_waiver, preferred_format",
    "requester": "name, outlet, email, address, phone",
    "records": "the records wanted, a list (use {% for item in records %})",
    "tracking_number": 'e.g. "RING-0042"',
    "reply_address": "where the agency should reply (routes the reply to this request)",
    "today": 'the letter\'s date (use {{ today|date:"F j, Y" }})',
}


class LetterError(Exception):
    """A letter that cannot be written: a template error, a missing law row. Says what and where."""

    def __init__(self, message: str, *, field: str = "", line: int | None = None):
        self.field, self.line, self.message = field, line, message
        where = f"{field}, line {line}: " if field and line else (f"{field}: " if field else "")
        super().__init__(f"{where}{message}")

    def __reduce__(self):  # keeps field and line across the fork (foia.bounded pickles it)
        return (_letter_error, (self.message, self.field, self.line))


def _letter_error(message: str, field: str, line: int | None) -> LetterError:
    return LetterError(message, field=field, line=line)


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    text: str
    html: str


_engine: Engine | None = None


def letter_engine() -> Engine:
    """The dedicated engine: no autoescape (plain text), unknown variables marked so they can be refused."""
    global _engine
    if _engine is None:
        _engine = Engine(
            dirs=[str(TEMPLATE_DIR)],
            autoescape=False,
            string_if_invalid=_INVALID,
            libraries={},
            debug=True,  # gives TemplateSyntaxError.template_debug (the line of a syntax error)
        )
    return _engine


def _refuse_file_tags(source: str, field: str) -> None:
    """{% include %}, {% extends %} and {% debug %} read files or dump state: refused with their line."""
    if len(source) > TEMPLATE_MAX_CHARS:
        raise LetterError(
            f"the template is {len(source):,} characters long; the limit is {TEMPLATE_MAX_CHARS:,}",
            field=field,
        )
    for token in Lexer(source).tokenize():
        name = token.contents.split(" ", 1)[0] if token.token_type == TokenType.BLOCK else ""
        if name in FORBIDDEN_TAGS:
            raise LetterError(
                f"{{% {name} %}} is not allowed in a letter template (it would read other files)"
                if name != "debug"
                else "{% debug %} is not allowed in a letter template",
                field=field,
                line=token.lineno,
            )


@functools.lru_cache(maxsize=64)
def _compile(source: str, field: str):
    """A compiled template, cached: 1,500 letters compile their two templates once, not 3,000 times."""
    _refuse_file_tags(source, field)
    try:
        return letter_engine().from_string(source)
    except TemplateSyntaxError as exc:
        debug = getattr(exc, "template_debug", None) or {}
        raise LetterError(
            str(exc.args[0] if exc.args else exc), field=field, line=debug.get("line")
        ) from None


def _render(template, context: dict, *, field: str, source: str) -> str:
    try:
        output = template.render(Context(context, autoescape=False))
    except LetterError:
        raise
    except MemoryError:
        raise LetterError(
            "the template needs too much memory (a very long repeated value?)", field=field
        ) from None
    except Exception as exc:  # a failing lookup inside the template (e.g. a filter on a bad value)
        raise LetterError(f"{type(exc).__name__}: {exc}", field=field) from None
    if len(output) > LETTER_MAX_CHARS:
        raise LetterError(
            f"the letter would be {len(output):,} characters long; the limit is {LETTER_MAX_CHARS:,}",
            field=field,
        )
    match = _INVALID_RE.search(output)
    if match:
        name = match.group(1) or "(empty)"
        raise LetterError(
            f'unknown variable "{name}" (known: {", ".join(TEMPLATE_VARIABLES)})',
            field=field,
            line=_line_of(source, name),
        )
    return output


def _line_of(source: str, name: str) -> int | None:
    head = name.split("|")[0].strip()
    for number, line in enumerate(source.splitlines(), start=1):
        if head and head in line:
            return number
    return None


def template_check(*, source: str, field: str, context: dict | None = None) -> None:
    """Compile and render a template against sample (or given) data under limits; LetterError on any error."""
    _refuse_file_tags(source, field)  # at once, without a fork, for the common mistakes
    context = context if context is not None else sample_context()
    bounded(lambda: _render(_compile(source, field), context, field=field, source=source), field=field)


def bounded(fn, *, field: str):
    """fn() in a forked child under the template limits; LetterError naming `field` when it goes past them."""
    try:
        return run_bounded(fn, seconds=TEMPLATE_CHECK_SECONDS, memory_mb=TEMPLATE_CHECK_MEMORY_MB)
    except BoundExceeded as exc:
        raise LetterError(
            f"the template was stopped: {exc} (loops inside loops, or a very long repeated value?)",
            field=field,
        ) from None


def _source(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text()


def _without_lines(text: str, *names: str) -> str:
    """The address without lines that repeat a name printed just above it (no "Demo Newsroom" twice)."""
    skip = {" ".join(name.split()).casefold() for name in names if name.strip()}
    lines = [line for line in text.strip().splitlines() if " ".join(line.split()).casefold() not in skip]
    return "\n".join(lines).strip()


def letter_context(*, campaign, agency, law, tracking_number: str, reply_address: str, today) -> dict:
    """Plain dicts, not model instances: a template can reach only what is listed here."""
    name, outlet = campaign.requester_name.strip(), campaign.requester_outlet.strip()
    if outlet.casefold() == name.casefold():
        outlet = ""
    return {
        "agency": {
            "name": agency.name,
            "city": agency.city,
            "county": agency.county,
            "state": agency.state,
            "kind": agency.get_kind_display(),
            "email": agency.email,
            "phone": agency.phone,
            "fax": agency.fax,
            "portal_url": agency.portal_url,
            "portal_name": agency.portal_name,
            "address": _without_lines(agency.address, agency.name),
        },
        "jurisdiction": law.jurisdiction_name,
        "law": {
            "name": law.law_name,
            "citation": law.citation,
            "jurisdiction": law.jurisdiction,
            "response_period": law.response_period_text,
            "fixed_deadline": law.has_fixed_deadline,
            "response_days": law.response_days,
            "day_type": law.get_day_type_display(),
            "appeal_path": law.appeal_path,
            "requester_limit": law.get_requester_limit_display() if law.requester_limit else "",
        },
        "campaign": {
            "title": campaign.title,
            "records": campaign.records_list,
            "date_from": campaign.date_from,
            "date_to": campaign.date_to,
            "fee_cap": campaign.fee_cap,
            "fee_waiver": campaign.fee_waiver_text.strip(),
            "preferred_format": campaign.preferred_format,
        },
        "requester": {
            "name": name,
            "outlet": outlet,
            "email": campaign.requester_email,
            "address": _without_lines(campaign.requester_address, name, outlet),
            "phone": campaign.requester_phone,
        },
        "records": campaign.records_list,
        "tracking_number": tracking_number,
        "reply_address": reply_address,
        "today": today,
    }


def sample_context() -> dict:
    """Realistic sample values for checking a template before any agency is attached."""
    from .models import Agency, Campaign, DayType, Law

    campaign = Campaign(
        title="Sample campaign", records_wanted="Contracts\nEmails", requester_name="A. Reporter"
    )
    agency = Agency(name="Springfield Police Department", state="MI", address="1 Main St\nSpringfield, MI")
    law = Law(
        jurisdiction="MI",
        jurisdiction_name="Michigan",
        law_name="Michigan Freedom of Information Act",
        citation="MCL 15.231 et seq.",
        response_days=5,
        day_type=DayType.BUSINESS,
    )
    return letter_context(
        campaign=campaign,
        agency=agency,
        law=law,
        tracking_number="SAMPLE-0001",
        reply_address="records+sample@newsroom.example",
        today=datetime.date(2026, 1, 15),
    )


def law_for_agency(agency):
    """The Law row for the agency's jurisdiction; a clear error when there is none."""
    if agency.law is None:
        raise LetterError(
            f'no public-records law is on file for jurisdiction "{agency.state}" (agency "{agency.name}"); '
            "load the laws (manage.py load_laws) or add one",
            field="law",
        )
    return agency.law


def letter_compose(
    *, campaign, agency, law, tracking_number: str, reply_address: str, today
) -> RenderedLetter:
    """Subject, text and HTML for one agency; raises LetterError naming the field and line."""
    context = letter_context(
        campaign=campaign,
        agency=agency,
        law=law,
        tracking_number=tracking_number,
        reply_address=reply_address,
        today=today,
    )
    subject_source = campaign.subject_template.strip() or _source(DEFAULT_SUBJECT_TEMPLATE)
    body_source = campaign.body_template or _source(DEFAULT_BODY_TEMPLATE)
    subject_field = "Subject template" if campaign.subject_template.strip() else "default subject"
    body_field = "Body template" if campaign.body_template else "default letter"
    subject = _render(
        _compile(subject_source, subject_field), context, field=subject_field, source=subject_source
    )
    subject = " ".join(subject.split())
    if tracking_number not in subject:
        subject = f"{subject} [{tracking_number}]"  # replies must always carry the tag
    body = _render(_compile(body_source, body_field), context, field=body_field, source=body_source)
    frame = letter_engine().get_template(FRAME_TEMPLATE)
    text = frame.render(Context({**context, "subject": subject, "body": body.strip()}, autoescape=False))
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return RenderedLetter(subject=subject, text=text, html=letter_html(subject=subject, text=text))


def letter_compose_bounded(**kwargs) -> RenderedLetter:
    """letter_compose in a forked child under the template limits (previews, and before generating)."""
    return bounded(lambda: letter_compose(**kwargs), field="Letter")


def letter_render(*, records_request, today: datetime.date | None = None) -> RenderedLetter:
    """The letter for one request, from its campaign, agency and the agency's state law."""
    agency = records_request.agency
    return letter_compose(
        campaign=records_request.campaign,
        agency=agency,
        law=law_for_agency(agency),
        tracking_number=records_request.tracking_number,
        reply_address=records_request.reply_address,
        today=today or timezone.localdate(),
    )


def requester_limit_warning(law) -> str:
    """A warning when the state's law limits who may request (citizens/residents), else ''."""
    if law is None or not law.requester_limit:
        return ""
    note = f" {law.requester_limit_notes}" if law.requester_limit_notes else ""
    return f"{law.jurisdiction_name}: {law.get_requester_limit_display()}.{note}"
