"""Text for character-level language models: vocabularies, corpora and BPTT batches."""

from __future__ import annotations

import hashlib
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .memory import human, require

__all__ = [
    "Batches",
    "CharData",
    "Vocabulary",
    "default_corpus",
    "load_text",
    "split_ids",
]


class Vocabulary:
    """The characters of a text, each mapped to an integer id (sorted order).

    >>> v = Vocabulary.from_text("hello")
    >>> v.chars, v.encode("hole").tolist(), v.decode([3, 1])
    ('ehlo', [1, 3, 2, 0], 'oh')
    """

    def __init__(self, chars: str) -> None:
        if not chars:
            raise ValueError("Vocabulary: needs at least one character")
        if len(set(chars)) != len(chars):
            raise ValueError("Vocabulary: characters must be distinct")
        self.chars = chars
        self._index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and other.chars == self.chars

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters)"

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text`` (int64); unknown characters raise ``ValueError``."""
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: object) -> str:
        """The text for a sequence of ids."""
        return "".join(self.chars[int(i)] for i in np.asarray(ids).reshape(-1))


def load_text(path: str | Path) -> str:
    """Read a UTF-8 text file; missing, empty, binary, non-UTF-8 or non-regular files
    (devices, pipes) and files too large for memory raise ``ValueError`` with a one-line
    message naming the file."""
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{p}: no such file")
    if p.is_dir():
        raise ValueError(f"{p}: is a directory, expected a text file")
    if not p.is_file():
        raise ValueError(f"{p}: not a regular file (a device or a pipe?), expected a text file")
    # A str of n characters, its ids (int64) and the batches' copies: about 20 bytes each.
    require(p.stat().st_size * 20, f"reading {p} ({human(p.stat().st_size)})")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{p}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise ValueError(f"{p}: cannot read ({e.strerror})") from None
    if not text.strip():
        raise ValueError(f"{p}: the file is empty")
    if "\x00" in text:
        raise ValueError(f"{p}: looks binary (contains NUL characters), expected text")
    return text


def default_corpus(max_chars: int = 1_000_000) -> str:
    """Text every machine with Python has: the standard library's own source.

    Reads the top-level ``*.py`` modules of the running interpreter's standard library
    in sorted order until ``max_chars`` characters; nothing is copied into this
    repository. Characters outside printable ASCII (plus newline and tab) are dropped
    to keep the vocabulary small.
    """
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    keep = set(map(chr, range(32, 127))) | {"\n", "\t"}
    parts, total = [], 0
    for f in sorted(stdlib.glob("*.py")):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text = "".join(c for c in text if c in keep)
        parts.append(text)
        total += len(text)
        if total >= max_chars:
            break
    if not parts:
        raise ValueError(f"no Python source found under {stdlib}")
    return "".join(parts)[:max_chars]


def split_ids(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Split a 1-D id sequence into (train, validation), validation at the end."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = max(2, int(len(ids) * val_fraction))
    if len(ids) - n_val < 2:
        raise ValueError(f"the text is too short to split ({len(ids)} characters)")
    return ids[:-n_val], ids[-n_val:]


@dataclass
class Batches:
    """A long id sequence laid out as ``batch`` parallel streams for truncated BPTT.

    The sequence is cut into ``batch`` contiguous pieces, one per column, so the hidden
    state of column n at the end of a chunk is the right state to start column n's next
    chunk (it is the same stream). Chunk ``i`` is ``x = data[s:s+L]``, ``y = data[s+1:s+1+L]``
    with ``s = i * seq_len`` (both (L, batch)); chunk indices wrap around, so a training
    step number maps to a chunk deterministically (resuming needs nothing else).
    """

    ids: np.ndarray
    batch: int
    seq_len: int

    def __post_init__(self) -> None:
        if self.batch <= 0 or self.seq_len <= 0:
            raise ValueError(
                f"batch and seq_len must be positive, got {self.batch}, {self.seq_len}"
            )
        per_stream = len(self.ids) // self.batch
        if per_stream < 2:
            raise ValueError(
                f"{len(self.ids)} characters are too few for {self.batch} streams; "
                "use a smaller --batch or more text"
            )
        self.data = self.ids[: per_stream * self.batch].reshape(self.batch, per_stream).T
        self.num_chunks = max(1, (per_stream - 1) // self.seq_len)

    def chunk(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and next-character targets of chunk ``i`` (wrapping around)."""
        s = (i % self.num_chunks) * self.seq_len
        L = min(self.seq_len, len(self.data) - 1 - s)
        return self.data[s : s + L], self.data[s + 1 : s + 1 + L]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for i in range(self.num_chunks):
            yield self.chunk(i)


def _stream_count(n: int, batch: int, seq_len: int) -> int:
    """Streams for ``n`` characters: ``batch`` if each gets a full chunk, else fewer."""
    return max(1, min(batch, (n - 1) // (seq_len + 1)))


@dataclass
class CharData:
    """A text ready for a character model: its vocabulary, training and validation
    :class:`Batches` (validation is the last ``val_fraction`` of the text) and the
    SHA-256 of the text (a resumed run must see the same text)."""

    vocab: Vocabulary
    train: Batches
    val: Batches
    text_sha256: str

    @classmethod
    def from_text(cls, text: str, batch: int, seq_len: int, val_fraction: float) -> CharData:
        """Raises ``ValueError`` (one line) when the text is too short for ``batch``
        streams of ``seq_len`` characters."""
        vocab = Vocabulary.from_text(text)
        train_ids, val_ids = split_ids(vocab.encode(text), val_fraction)
        if _stream_count(len(train_ids), batch, seq_len) < batch:
            raise ValueError(
                f"the training text ({len(train_ids)} characters) is too short for "
                f"--batch {batch} x --seq-len {seq_len}; use smaller ones"
            )
        val = Batches(val_ids, _stream_count(len(val_ids), batch, seq_len), seq_len)
        return cls(vocab, Batches(train_ids, batch, seq_len), val, text_digest(text))


def text_digest(text: str) -> str:
    """SHA-256 of the text's UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
