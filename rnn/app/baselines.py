"""What a character model's bits per character on held-out text are worth: the same
text's figure under general-purpose compressors and under a smoothed n-gram model.

- **Compressors** (Python's own ``gzip``, ``bz2`` and ``lzma`` modules at level 9, as
  ``gzip -9``, ``bzip2 -9`` and ``xz -9``): bits per character = 8 × compressed bytes /
  characters of the text, the text encoded as UTF-8. Two figures each:

  - *alone*: the held-out text compressed by itself, container included (the header
    and trailer: 20 bytes for gzip, 14 for bz2, 32 for xz; under 0.01 bpc on 30,000
    characters). It knows nothing of the training text, so it is the figure to beat
    without any learning.
  - *after training text*: compress(training + held-out) − compress(training), what the
    held-out text costs once the compressor has read the training text, which is what
    the models had. gzip looks back 32 KB only and bzip2 compresses 900 kB blocks
    apart, so they gain little from it; xz's dictionary (64 MB) holds it all.

  A compressor also learns from the held-out text as it goes, which the models,
  evaluated with fixed weights, do not (the recurrent state aside).

- **Kneser–Ney n-gram** (:mod:`rnn.app.ngram`) fitted to the training text, its order
  chosen on the separate *tuning* text (:mod:`rnn.app.corpus`), so that choice is not
  made on the text it is scored on. Scored, like the model, on every character of the
  held-out text after the first.

- **Uniform**: log2 of the alphabet's size, what knowing only the alphabet gives.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .corpus import Split
from .memory import require
from .ngram import choose_order

__all__ = ["COMPRESSORS", "Baselines", "Figure", "compressed_bits", "format_table", "measure"]

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip -9": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    "bz2 -9": lambda data: bz2.compress(data, compresslevel=9),
    "lzma -9 (xz)": lambda data: lzma.compress(data, preset=9),
}
MAX_ORDER = 10  # n-gram orders tried on the tuning text: 1..MAX_ORDER
# Dictionaries of strings for orders 1..MAX_ORDER: about 80 bytes per character per order.
_NGRAM_BYTES_PER_CHAR_ORDER = 80


def compressed_bits(compress: Callable[[bytes], bytes], text: str, prior: str = "") -> float:
    """Bits per character of ``text`` under ``compress``: 8 × bytes / characters. With
    a ``prior`` text, the bytes are len(C(prior + text)) − len(C(prior)): what ``text``
    costs after the compressor has read ``prior``."""
    if not text:
        raise ValueError("compressed_bits: the text is empty")
    size = len(compress((prior + text).encode("utf-8")))
    if prior:
        size -= len(compress(prior.encode("utf-8")))
    return 8.0 * size / len(text)


@dataclass
class Figure:
    """One row of the table: a name, bits per character on the held-out text, and
    (compressors) the figure after the training text."""

    name: str
    bpc: float
    after_training: float | None = None
    note: str = ""


@dataclass
class Baselines:
    """The baselines' figures on a split's held-out text, and how the n-gram was chosen."""

    figures: list[Figure]
    order: int  # of the n-gram (its counts are not kept: they are large)
    tuning: dict[int, float]  # n-gram order -> bpc on the tuning text
    characters: int  # of the held-out text
    documents: int
    cpu_seconds: float = 0.0


def measure(split: Split, alphabet: str, max_order: int = MAX_ORDER) -> Baselines:
    """Every baseline of the module docstring on ``split``'s validation text.
    Raises ``ValueError`` (one line) if the n-gram counts would not fit in memory."""
    start = time.process_time()
    train, tune, val = split.text("train"), split.text("tune"), split.text("val")
    require(
        len(train) * max_order * _NGRAM_BYTES_PER_CHAR_ORDER,
        f"the n-gram baseline (orders 1-{max_order} of {len(train):,} characters)",
    )
    ngram, tuning = choose_order(train, tune, alphabet, max_order)
    edge = " (the largest order tried)" if ngram.order == max_order else ""
    figures = [
        Figure(
            f"Kneser-Ney {ngram.order}-gram",
            ngram.bpc(val),
            note=f"fitted to the training text; order {ngram.order} best of 1-{max_order} "
            f"on the tuning text{edge}",
        )
    ]
    for name, compress in COMPRESSORS.items():
        alone = compressed_bits(compress, val)
        figures.append(Figure(name, alone, compressed_bits(compress, val, prior=train)))
    figures.append(Figure("uniform", math.log2(len(alphabet)), note=f"{len(alphabet)} characters"))
    seconds = time.process_time() - start
    return Baselines(figures, ngram.order, tuning, len(val), len(split.val), seconds)


def format_table(baselines: Baselines, model: Figure | None = None) -> str:
    """The figures as a table, one row each, the model's (if given) first; a
    compressor's row gives the text alone, then after reading the training text."""
    rows = ([model] if model is not None else []) + baselines.figures
    width = max(len(r.name) for r in rows) + 2
    s = "s" if baselines.documents != 1 else ""
    lines = [
        f"Bits per character on the validation text ({baselines.documents} held-out "
        f"document{s}, {baselines.characters:,} characters, never trained on):"
    ]
    for r in rows:
        note = r.note
        if r.after_training is not None:
            note = f"the text alone; {r.after_training:.3f} after reading the training text"
        lines.append(f"  {r.name:<{width}}{r.bpc:6.3f}  {note}".rstrip())
    return "\n".join(lines)
