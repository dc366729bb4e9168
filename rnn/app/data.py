"""Text for character-level language models: vocabularies, files, training batches
and the layout that scores held-out text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import Split
from .memory import human, require

__all__ = [
    "Batches",
    "CharData",
    "Scored",
    "Vocabulary",
    "load_text",
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


class TextTooShort(ValueError):
    """The training text cannot fill ``batch`` streams of ``seq_len`` characters (a
    ValueError of one line naming ``--batch`` and ``--seq-len``; a command without those
    options words it with :meth:`needed`)."""

    def __init__(self, n: int, batch: int, seq_len: int) -> None:
        self.n, self.batch, self.seq_len = n, batch, seq_len
        super().__init__(
            f"the training text ({_characters(n)}) is too short for --batch {batch} x "
            f"--seq-len {seq_len}; use smaller ones"
        )

    def needed(self) -> int:
        """The fewest training characters that fill the streams."""
        return self.batch * (self.seq_len + 1) + 1


def _characters(n: int) -> str:
    return f"{n} character" + ("" if n == 1 else "s")


def _stream_count(n: int, batch: int, seq_len: int) -> int:
    """Streams for ``n`` characters: ``batch`` if each gets a full chunk, else fewer."""
    return max(1, min(batch, (n - 1) // (seq_len + 1)))


IGNORE = -100  # a target that is not scored (the padding of :class:`Scored`)


@dataclass
class Scored:
    """A text laid out for scoring every character after the first exactly once, in
    ``batch`` parallel streams of chunks of ``seq_len``.

    With ``n`` ids there are ``n - 1`` targets, ``m = ceil((n - 1) / batch)`` per stream:
    stream ``k`` reads ids ``k m .. k m + m - 1`` and predicts ids ``k m + 1 .. k m + m``;
    the last stream's missing targets are :data:`IGNORE` (``cross_entropy``'s
    ``ignore_index``). Each stream starts from a zero state, so its first prediction
    sees one character of context.
    """

    ids: np.ndarray
    batch: int
    seq_len: int

    def __post_init__(self) -> None:
        n = len(self.ids)
        if n < 2:
            raise ValueError(f"{n} characters: nothing to score")
        self.batch = _stream_count(n, self.batch, self.seq_len)
        m = -(-(n - 1) // self.batch)
        x = np.zeros(m * self.batch, dtype=np.int64)
        y = np.full(m * self.batch, IGNORE, dtype=np.int64)
        x[: n - 1], y[: n - 1] = self.ids[:-1], self.ids[1:]
        # Stream k is row k before the transpose: (m, batch), column k = stream k.
        self.x, self.y = x.reshape(self.batch, m).T, y.reshape(self.batch, m).T
        self.targets = n - 1

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for s in range(0, len(self.x), self.seq_len):
            yield self.x[s : s + self.seq_len], self.y[s : s + self.seq_len]


@dataclass
class CharData:
    """A split text ready for a character model: its vocabulary (every side's
    characters), the training :class:`Batches`, the validation text laid out for
    scoring (:class:`Scored`), the split itself and its digest (a resumed run must see
    the same split)."""

    vocab: Vocabulary
    train: Batches
    val: Scored
    split: Split
    text_sha256: str

    @classmethod
    def from_split(cls, split: Split, batch: int, seq_len: int) -> CharData:
        """Raises ``ValueError`` (one line) when the training text is too short for
        ``batch`` streams of ``seq_len`` characters."""
        vocab = Vocabulary.from_text(split.all_text)
        train_ids = vocab.encode(split.text("train"))
        if _stream_count(len(train_ids), batch, seq_len) < batch:
            raise TextTooShort(len(train_ids), batch, seq_len)
        val = Scored(vocab.encode(split.text("val")), batch, seq_len)
        return cls(vocab, Batches(train_ids, batch, seq_len), val, split, split.digest())
