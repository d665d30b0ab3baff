"""Pure text rules for exact search: how page text and queries are folded, and the patterns that match them.

Folding: lower case, curly quotes and apostrophes made straight, Unicode hyphens plain, ligatures ("\ufb01")
spelled out, every run of whitespace one space, and a word hyphenated at a line end ("encour-\nage") joined
again. The stored page text stays as extracted; the folded form is what exact search looks in. Nothing here
imports Django.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",  # the Unicode hyphen and the non-breaking hyphen (word processors) are hyphens
        "\u2011": "-",
        # Typeset PDFs often give their ligatures as one character: "o\ufb03cers" is "officers".
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
SOFT_HYPHEN = "\u00ad"
# How much of the next page's folded text is kept after a page's own text, so a phrase that starts on a
# page and ends on the next is found on the page where it starts. Longer than any accepted query.
TAIL_CHARS = 600
MAX_QUERY_CHARS = 500
# A hyphen (or a soft hyphen) at a line end between two letters is layout, not spelling ("encour-\nage").
LINE_HYPHEN = r"(?<=[^\W\d_])[-\u2010\u2011\u00ad][^\S\n]*\n\s*(?=[^\W\d_])"
# One at a line end next to a digit is spelling, only the line break is layout ("COVID-\n19", "12-\n15").
LINE_HYPHEN_KEPT = r"(?<=[^\W_])[-\u2010\u2011][^\S\n]*\n\s*(?=[^\W_])"
SPECIAL = re.compile(
    rf"(?P<join>{LINE_HYPHEN})|(?P<kept>{LINE_HYPHEN_KEPT})|(?P<space>\s+)|(?P<drop>[\u00ad\x00]+)"
)
JOIN_RE = re.compile(LINE_HYPHEN)
KEPT_RE = re.compile(LINE_HYPHEN_KEPT)


def fold_map(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each folded character the index of the character it came from."""
    out: list[str] = []
    where: list[int] = []
    position, space = 0, True  # True at the start: leading whitespace is dropped

    def plain(start: int, end: int) -> None:
        chunk = text[start:end]
        folded = chunk.translate(QUOTES).lower()
        if len(folded) == len(chunk):  # nearly always: one character each, mapped as a range
            out.append(folded)
            where.extend(range(start, end))
            return
        for offset, char in enumerate(chunk):  # a character whose lower case is longer (e.g. "İ")
            lowered = char.translate(QUOTES).lower()
            out.append(lowered)
            where.extend([start + offset] * len(lowered))

    for match in SPECIAL.finditer(text):
        if match.start() > position:
            plain(position, match.start())
            space = False
        if match.lastgroup == "space" and not space:
            out.append(" ")
            where.append(match.start())
            space = True
        elif match.lastgroup == "kept":
            out.append("-")
            where.append(match.start())
            space = False
        position = match.end()
    if position < len(text):
        plain(position, len(text))
        space = False
    folded = "".join(out)
    if folded.endswith(" "):
        folded = folded[:-1]
        where.pop()
    return folded, where


def fold(text: str) -> str:
    """The folded form of a text (see the module docstring); the same as fold_map's, without the map."""
    text = KEPT_RE.sub("-", JOIN_RE.sub("", text)).replace(SOFT_HYPHEN, "").replace("\x00", "")
    return " ".join(text.translate(QUOTES).lower().split())


PAGE_END_HYPHEN = re.compile(r"([^\W_])([-\u2010\u2011\u00ad])\s*$")


def pages_search_text(pages: list[str]) -> list[tuple[str, int]]:
    """For each page: the folded text to index (its own text then the start of the next page) and the
    length of its own part. A word hyphenated across a page break is joined on the page where it starts
    (by the line-end rules of fold: "encour-" + "age" is "encourage", "COVID-" + "19" is "covid-19")."""
    folded = [fold(text) for text in pages]
    result = []
    for number, own in enumerate(folded):
        following = folded[number + 1] if number + 1 < len(folded) else ""
        if not own:
            result.append(("", 0))
            continue
        end = PAGE_END_HYPHEN.search(pages[number])
        if following and end and following[0].isalnum():
            if end.group(2) == SOFT_HYPHEN or (end.group(1).isalpha() and following[0].isalpha()):
                own = own.removesuffix("-")  # layout: the word goes on (fold already dropped a soft hyphen)
        elif following:
            own += " "
        result.append(((own + following[:TAIL_CHARS]).rstrip(" "), len(own)))
    return result


@dataclass
class Term:
    """One thing to look for: a folded word or phrase, maybe excluded."""

    text: str
    negative: bool = False

    def python_pattern(self) -> str:
        return _pattern(self.text, r"(?<!\w)", r"(?!\w)")

    def postgres_pattern(self) -> str:
        return _pattern(self.text, r"\m", r"\M")

    def original_pattern(self) -> re.Pattern:
        """A pattern for the unfolded page text (any case, quote style, whitespace, line-end hyphen)."""
        return original_pattern(self.text)


@dataclass
class Query:
    """What a person typed, as alternatives (OR) of groups of terms that must all be on one page."""

    groups: list[list[Term]] = field(default_factory=list)
    problem: str = ""

    @property
    def terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]


@functools.lru_cache(maxsize=256)
def _pattern(text: str, start: str, end: str) -> str:
    # A hyphen in the query also matches the word joined: a line-end hyphen was removed from the index.
    body = re.escape(text).replace(r"\-", "-?").replace(r"\ ", " ")
    return (start if re.match(r"\w", text) else "") + body + (end if re.search(r"\w$", text) else "")


JOIN = r"(?:[-\u2010\u2011\u00ad][^\S\n]*\n\s*|\u00ad)?"
ORIGINAL_CHARS = {
    " ": r"\s+",
    "'": "['\u2018\u2019\u201a\u201b\u2032`\u00b4]",
    '"': '["\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]',
    "-": r"(?:[-\u2010\u2011]\s*)?",
}


@functools.lru_cache(maxsize=256)
def original_pattern(text: str) -> re.Pattern:
    parts = []
    for index, char in enumerate(text):
        parts.append(ORIGINAL_CHARS.get(char) or re.escape(char))
        if char.isalpha() and index + 1 < len(text) and text[index + 1].isalpha():
            parts.append(JOIN)  # "encour-\nage" in the page is "encourage" in the index
    start = r"(?<!\w)" if re.match(r"\w", text) else ""
    end = r"(?!\w)" if re.search(r"\w$", text) else ""
    return re.compile(start + "".join(parts) + end, re.IGNORECASE)


def original_spans(query: Query, text: str) -> list[tuple[int, int]]:
    """Where the query's words are in the unfolded text (for marking them), or [] if not all there."""
    spans = []
    for group in query.groups:
        found = []
        for term in group:
            if term.negative:
                continue
            matches = [m.span() for m in term.original_pattern().finditer(text)]
            if not matches:
                found = []
                break
            found += matches
        spans += found
    return sorted(set(spans))


# One token of a typed query: -"an excluded phrase", "a phrase" (the closing quote optional), or a word.
QUERY_TOKENS = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def query_parse(text: str) -> Query:
    """Parse a typed query: "a phrase", words (all required on the page), -word or -"a phrase" excluded, OR
    between groups."""
    text = (text or "").replace("\x00", "")
    if len(text) > MAX_QUERY_CHARS:
        return Query(problem=f"The query is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    text = text.translate(QUOTES)
    groups: list[list[Term]] = [[]]
    for minus, phrase, word in QUERY_TOKENS.findall(text):
        if word and word.upper() == "OR":
            if groups[-1]:
                groups.append([])
            continue
        if word:
            negative = word.startswith("-") and len(word) > 1
            raw = word[1:] if negative else word
        else:  # "a phrase", or -"a phrase" to exclude it
            negative, raw = bool(minus), phrase
        folded = fold(raw).strip("'") if word else fold(raw)
        if not re.search(r"\w", folded):
            continue
        groups[-1].append(Term(folded, negative))
    groups = [group for group in groups if any(not term.negative for term in group)]
    if not groups:
        return Query(
            problem='Type at least one word or "a phrase" to look for (excluded words alone find nothing).'
        )
    return Query(groups=groups)


def query_matches(query: Query, folded: str, own_length: int | None = None) -> list[tuple[int, int]]:
    """Where the query matches a folded page (start, end of each positive term), or [] when it does not.
    With `own_length`, a term counts only if it starts within the page's own text (not the next page's)."""
    limit = len(folded) if own_length is None else own_length
    for group in query.groups:
        spans, ok = [], True
        for term in group:
            found = [m for m in re.finditer(term.python_pattern(), folded) if m.start() < limit]
            if term.negative:
                ok = not found
            elif found:
                spans.extend((m.start(), m.end()) for m in found)
            else:
                ok = False
            if not ok:
                break
        if ok:
            return sorted(spans)
    return []
