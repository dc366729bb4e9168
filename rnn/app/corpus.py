"""Where a character model's text comes from, and how it is split so that validation
measures text the model never trained on.

A corpus is a list of :class:`Document` (a name and its text). :class:`Split` puts each
document on one side only:

- **training**: what the model (and the n-gram baseline) learn from;
- **tuning**: used for one choice only, the order of the n-gram baseline
  (:mod:`rnn.app.baselines`), so that choice is not made on the text it is scored on;
- **validation**: held out; every figure reported is measured here.

Two ways to split:

- :func:`split_by_document` (the default corpus, the Python standard library's
  top-level modules): documents are taken in the order of the SHA-256 of their names
  (fixed: a file's place depends on its name only, not on the model's seed), filling
  validation first, then tuning, then training, each to its character budget. The
  document that overflows a budget is cut at a line boundary, which closes that side,
  and its remainder is not used anywhere, so no file is on two sides.
- :func:`split_document` (one text file given by the user): one document cannot be held
  out by file, so the text is cut into three contiguous pieces at line boundaries,
  training | tuning | validation, validation at the end: the usual split of a single
  corpus (as enwik8's 90/5/5). Validation is then text the model never trained on, but
  written by the same hand as what it did train on; the messages say so.
"""

from __future__ import annotations

import hashlib
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SIDES",
    "Document",
    "Split",
    "split_by_document",
    "split_document",
    "stdlib_documents",
]

SIDES = ("train", "tune", "val")
SIDE_NAMES = {"train": "training", "tune": "tuning", "val": "validation"}
ROLES = {"val": "held out, scored", "tune": "chooses the n-gram's order", "train": "learnt"}
# Characters kept from the standard library's source: printable ASCII, newline and tab.
KEEP = frozenset(map(chr, range(32, 127))) | {"\n", "\t"}


@dataclass(frozen=True)
class Document:
    """One file's text (or a piece of it) and its name."""

    name: str
    text: str


@dataclass(frozen=True)
class Split:
    """Documents on three sides: ``train``, ``tune`` and ``val`` (see the module
    docstring); ``how`` says in one sentence how the split was made."""

    train: tuple[Document, ...]
    tune: tuple[Document, ...]
    val: tuple[Document, ...]
    how: str

    def __post_init__(self) -> None:
        for side in SIDES:
            if not self.text(side):
                raise ValueError(f"the {SIDE_NAMES[side]} text is empty; give more text")
        names = [set(d.name for d in getattr(self, side)) for side in SIDES]
        if (names[0] & names[1]) or (names[0] & names[2]) or (names[1] & names[2]):
            raise ValueError("a document is on two sides of the split")

    def text(self, side: str) -> str:
        """The documents of ``side`` ("train", "tune" or "val") joined in order."""
        return "".join(d.text for d in getattr(self, side))

    @property
    def all_text(self) -> str:
        """Every side's text (the vocabulary is made from it)."""
        return "".join(self.text(side) for side in SIDES)

    def digest(self) -> str:
        """SHA-256 over every document's side and text (not its name: a file may
        move): a resumed run must see the same split."""
        h = hashlib.sha256()
        for side in SIDES:
            for d in getattr(self, side):
                for part in (side, d.text):
                    data = part.encode("utf-8")
                    h.update(len(data).to_bytes(8, "little") + data)
        return h.hexdigest()

    def describe(self, listed: int = 12) -> list[str]:
        """Lines saying which documents are on each side and how many characters."""
        lines = [self.how]
        for side in ("val", "tune", "train"):
            docs = getattr(self, side)
            names = [d.name for d in docs]
            shown = ", ".join(names[:listed]) + (
                f", ... ({len(names) - listed} more)" if len(names) > listed else ""
            )
            lines.append(
                f"  {SIDE_NAMES[side]:<10} ({ROLES[side]}): {_plural(len(docs), 'document')}, "
                f"{len(self.text(side)):,} characters: {shown}"
            )
        return lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def stdlib_documents() -> list[Document]:
    """The top-level ``*.py`` modules of the running interpreter's standard library, in
    name order, each with characters outside printable ASCII (plus newline and tab)
    dropped to keep the vocabulary small. Nothing is copied into this repository."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    docs = []
    for f in sorted(stdlib.glob("*.py")):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text = "".join(c for c in text if c in KEEP)
        if text.strip():
            docs.append(Document(f.name, text))
    if not docs:
        raise ValueError(f"no Python source found under {stdlib}")
    return docs


def _name_order(doc: Document) -> str:
    return hashlib.sha256(doc.name.encode("utf-8")).hexdigest()


def _cut(text: str, budget: int) -> str:
    """At most ``budget`` characters of ``text``, ending at a line end when there is one."""
    if len(text) <= budget:
        return text
    head = text[:budget]
    end = head.rfind("\n")
    return head[: end + 1] if end >= 0 else head


def split_by_document(
    docs: Iterable[Document], max_chars: int, val_fraction: float, what: str = "documents"
) -> Split:
    """Whole documents on each side, ``max_chars`` characters in all: validation gets
    ``val_fraction`` of them, tuning half as many, training the rest (see the module
    docstring for the order and the cut). Raises ``ValueError`` when the documents
    cannot fill all three sides."""
    _check_fraction(val_fraction)
    n_val = max(1, round(max_chars * val_fraction))
    budgets = {"val": n_val, "tune": max(1, n_val // 2)}
    budgets["train"] = max_chars - budgets["val"] - budgets["tune"]
    if budgets["train"] < 1:
        raise ValueError(f"max_chars {max_chars} is too small to split")
    sides: dict[str, list[Document]] = {side: [] for side in SIDES}
    queue = sorted(docs, key=_name_order)
    for side in ("val", "tune", "train"):
        left = budgets[side]
        while queue and left > 0:
            doc = queue.pop(0)
            text = _cut(doc.text, left)
            sides[side].append(Document(doc.name, text))
            left -= len(text)
            if len(text) < len(doc.text):  # cut: the side is full
                break
    if not sides["train"]:
        raise ValueError(
            f"{_plural(len(sides['val']) + len(sides['tune']), 'file')} filled validation and "
            "tuning and none was left for training: each file is on one side only (one too "
            "long for its side is cut, the rest unused), so give more files, or one file, "
            "which is cut into the three parts"
        )
    how = (
        f"Held out by file: {what} in the order of the SHA-256 of their names fill "
        f"validation, tuning, then training; each file is on one side only."
    )
    return Split(*(tuple(sides[s]) for s in SIDES), how)


def split_document(name: str, text: str, val_fraction: float) -> Split:
    """One text cut at line boundaries into training | tuning | validation, the last
    ``val_fraction`` for validation and half as much before it for tuning (see the
    module docstring). Raises ``ValueError`` when a piece would be empty."""
    _check_fraction(val_fraction)
    n = len(text)
    val_start = _line_start(text, n - max(1, round(n * val_fraction)))
    tune_start = _line_start(text, val_start - max(1, round(n * val_fraction / 2)))
    if not 0 < tune_start < val_start < n:
        raise ValueError(
            f"the text is too short to split into training, tuning and validation parts "
            f"({n} character{'' if n == 1 else 's'}; each part needs lines of its own)"
        )
    pieces = {"train": (0, tune_start), "tune": (tune_start, val_start), "val": (val_start, n)}
    docs = {}
    for side, (a, b) in pieces.items():
        first, last = text.count("\n", 0, a) + 1, text.count("\n", 0, max(a, b - 1)) + 1
        docs[side] = (Document(f"{name} lines {first}-{last} [{a}:{b}]", text[a:b]),)
    how = (
        f"One file: its last {val_fraction:.0%} is held out for validation and the "
        f"{val_fraction / 2:.0%} before it for tuning (cut at line ends); validation is "
        f"unseen text but from the same file (give several files to hold out whole files)."
    )
    return Split(docs["train"], docs["tune"], docs["val"], how)


def _line_start(text: str, i: int) -> int:
    """The start of the line holding position ``i`` (``i`` itself if that is 0 or
    the line is the whole text before it)."""
    if i <= 0:
        return max(i, 0)
    start = text.rfind("\n", 0, i) + 1
    return start if start > 0 else i


def _check_fraction(val_fraction: float) -> None:
    if not 0.0 < val_fraction < 2 / 3:
        raise ValueError(f"val_fraction must be in (0, 2/3), got {val_fraction}")
