"""Pure: compare a document with its kind's reference, sentence by sentence, robust to layout and OCR noise.

Both texts are folded as exact search folds them (case, quotes, whitespace, line-end hyphens), lines that are
only page numbers are dropped, and each sentence or clause is compared by its letters and digits alone, so a
stray comma or a re-flowed line is not a difference; two sentences at least NOISE similar are the same
sentence read differently (OCR), and at least CHANGED similar are one sentence changed. No Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..search.text import fold

PAGE_NUMBER_LINE = re.compile(
    r"^\s*(?:-\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*-)?\s*$", re.IGNORECASE | re.MULTILINE
)
SPLIT = re.compile(r"(?<=[.;:!?])\s+(?=\S)")
SECTION = re.compile(r"^(?:section|sec\.|§|article|art\.)?\s*(\d{1,3}(?:\.\d{1,3})*)[.)]?\s", re.IGNORECASE)
KEY = re.compile(r"[^a-z0-9]+")
HEADING_LINE = re.compile(
    r"(?im)^[^\S\n]*((?:section|sec\.|§|article|art\.)?[^\S\n]*\d{1,3}(?:\.\d{1,3})*[.)][^\S\n])"
)
MARK = "\x07"  # not whitespace to str.split, so folding keeps it
NOISE = 0.9
CHANGED = 0.5
WORD_NOISE = 0.75
SAME, ADDED, REMOVED, CHANGE = "same", "added", "removed", "changed"


@dataclass
class Line:
    """One row of the side-by-side redline: the reference's sentence (left), the document's (right)."""

    op: str
    left: str
    right: str
    section: str = ""


@dataclass
class Redline:
    similarity: float
    lines: list[Line]

    @property
    def sections(self) -> list[str]:
        """The reference's sections (§ numbers) where the document differs, in order, once each."""
        seen: list[str] = []
        for line in self.lines:
            if line.op != SAME and line.section and line.section not in seen:
                seen.append(line.section)
        return seen

    @property
    def changes(self) -> int:
        return sum(line.op != SAME for line in self.lines)


def sentences(pages: list[str]) -> list[str]:
    """The text's sentences and clauses, folded, page-number lines and page breaks gone; a numbered
    section heading ("4. Money.") stays with its first sentence."""
    text = "\n".join(PAGE_NUMBER_LINE.sub("", page) for page in pages)
    text = HEADING_LINE.sub(lambda m: f"\n{MARK}{m.group(1)}", text)
    out: list[str] = []
    carry = ""
    for block in fold(text).split(MARK):
        for part in SPLIT.split(block.strip()):
            words = len(_key(part).split())
            if not words:
                continue
            if words <= 2:  # a heading or a number on its own: keep it with what follows
                carry = f"{carry} {part}".strip()
                continue
            out.append(f"{carry} {part}".strip())
            carry = ""
        if carry and out and not SECTION.match(carry):
            out[-1] = f"{out[-1]} {carry}"
        elif carry:
            out.append(carry)
        carry = ""
    if carry:
        out.append(carry)
    return out


def _key(sentence: str) -> str:
    return KEY.sub(" ", sentence).strip()


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def redline(reference: list[str], document: list[str]) -> Redline:
    """The sentence-level differences between two documents' pages, and their similarity (0 to 1)."""
    left, right = sentences(reference), sentences(document)
    left_keys, right_keys = [_key(s) for s in left], [_key(s) for s in right]
    sections, current = [], ""
    for sentence in left:
        found = SECTION.match(sentence)
        if found:
            current = found.group(1).split(".")[0]
        sections.append(current)
    lines: list[Line] = []
    matched = 0.0
    matcher = SequenceMatcher(None, left_keys, right_keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                lines.append(Line(SAME, left[i], right[j], sections[i]))
                matched += len(left_keys[i]) * 2
            continue
        matched += _pair(lines, left, right, left_keys, right_keys, sections, (i1, i2, j1, j2))
    total = sum(map(len, left_keys)) + sum(map(len, right_keys))
    return Redline(round(matched / total, 4) if total else 1.0, lines)


DIGITS = re.compile(r"\d+")


def only_noise(a: str, b: str) -> bool:
    """True when two sentences differ only by misread letters (OCR), word for word, numbers equal."""
    left, right = a.split(), b.split()
    for op, i1, i2, j1, j2 in SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op != "replace" or i2 - i1 != j2 - j1:
            return False
        for x, y in zip(left[i1:i2], right[j1:j2], strict=True):
            if DIGITS.findall(x) != DIGITS.findall(y) or _ratio(x, y) < WORD_NOISE:
                return False
    return True


def _pair(lines, left, right, left_keys, right_keys, sections, block) -> float:
    """Lines for a block that differs: each removed sentence paired with the most alike added one."""
    i1, i2, j1, j2 = block
    matched, j = 0.0, j1
    for i in range(i1, i2):
        best, best_ratio = None, CHANGED
        for candidate in range(j, min(j2, j + 3)):  # look a little ahead: a sentence inserted before it
            ratio = _ratio(left_keys[i], right_keys[candidate])
            if ratio >= best_ratio:
                best, best_ratio = candidate, ratio
        if best is None:
            lines.append(Line(REMOVED, left[i], "", sections[i]))
            continue
        for added in range(j, best):
            lines.append(Line(ADDED, "", right[added], sections[i]))
        op = SAME if best_ratio >= NOISE and only_noise(left_keys[i], right_keys[best]) else CHANGE
        lines.append(Line(op, left[i], right[best], sections[i]))
        matched += best_ratio * (len(left_keys[i]) + len(right_keys[best]))
        j = best + 1
    section = sections[i2 - 1] if i2 > i1 else (sections[i1 - 1] if i1 else "")
    for added in range(j, j2):
        lines.append(Line(ADDED, "", right[added], section))
    return matched
