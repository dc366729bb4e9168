"""What defines a training run of the char-level language model: :class:`TrainConfig`
(saved in each checkpoint; the fields a resumed run cannot change), the text it reads
(:func:`load_corpus`), and the unit its losses are reported in (:func:`bits`). The run
itself is :class:`rnn.app.train.Trainer`."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any

from .corpus import Document, Split, split_by_document, split_document, stdlib_documents
from .data import load_text

__all__ = ["FIXED_ON_RESUME", "ConflictingOptions", "TrainConfig", "bits", "load_corpus"]

# Config fields a resumed run cannot change: they define the model, the data layout and
# the random streams.
FIXED_ON_RESUME = ("cell", "hidden", "layers", "seq_len", "batch", "optim", "seed", "dtype")


class ConflictingOptions(ValueError):
    """Settings of a run that do not fit together, found before it starts: a file given
    twice in ``data``, or a resumed run asked for another model, seed or step than its
    checkpoint's (the command line reports it as a usage error, status 2)."""


def bits(nats: float) -> float:
    """Nats per character as bits per character: nats / ln 2."""
    return nats / math.log(2.0)


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved in each checkpoint)."""

    cell: str = "lstm"
    hidden: int = 128
    layers: int = 1
    seq_len: int = 64
    batch: int = 32
    steps: int = 2000
    lr: float = 2e-3
    optim: str = "adam"
    clip: float = 5.0  # max gradient norm; 0 disables clipping
    eval_every: int = 200
    sample_every: int = 500
    sample_length: int = 200
    seed: int = 0
    data: str | list[str] | None = None  # UTF-8 text file(s); None: the standard library
    max_chars: int = 1_000_000  # of the default corpus, all sides together
    val_fraction: float = 0.1  # held out for validation; half as much again for tuning
    dtype: str = "float32"
    eager: bool = False  # the step op by op; False: compiled (they round differently)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for checkpoints)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """The config saved by :meth:`to_dict` (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def load_corpus(config: TrainConfig) -> Split:
    """The text, split (see :mod:`rnn.app.corpus`): the standard library's modules
    held out by file (``max_chars`` in all); several files given in ``config.data``
    held out by file (all their text); one file cut into contiguous pieces. Raises
    ``ValueError`` (one line) for a missing, empty or binary file."""
    data, fraction = config.data, config.val_fraction
    if data is None:
        docs = stdlib_documents()
        return split_by_document(docs, config.max_chars, fraction, "the standard library's modules")
    if isinstance(data, str):
        return split_document(data, load_text(data), fraction)
    docs = [Document(path, load_text(path)) for path in data]
    same = {os.path.realpath(p) for p in data}
    if len(same) != len(data):  # by name, or by two names of one file (./a.txt, a link)
        raise ConflictingOptions("the same file is given twice in --data")
    return split_by_document(docs, sum(len(d.text) for d in docs), fraction, "the given files")
