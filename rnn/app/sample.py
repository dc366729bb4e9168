"""Generating text from a trained character-level language model's checkpoint."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np

from .checkpoint import load_checkpoint, model_from_checkpoint
from .data import Vocabulary
from .models import CharLM

__all__ = ["generate", "generate_chunks", "sample_text"]

# A chunk of generated text is handed on once it holds this many characters, or once
# this many seconds have passed since the last one: the reader sees text as it comes,
# and only one chunk is held in memory however long the text.
CHUNK_CHARS = 4096
CHUNK_SECONDS = 0.1


def sample_text(
    model: CharLM,
    vocab: Vocabulary,
    prime: str,
    length: int,
    temperature: float,
    generator: np.random.Generator,
) -> str:
    """``prime`` followed by ``length`` characters drawn one at a time from
    softmax(logits / temperature) (0: the most likely); every character of ``prime``
    must be in ``vocab``."""
    ids = model.sample(vocab.encode(prime), length, temperature, generator)
    return prime + vocab.decode(ids)


def generate(
    checkpoint: str | os.PathLike[str],
    prime: str | None = None,
    length: int = 500,
    temperature: float = 0.8,
    seed: int | None = None,
) -> str:
    """``prime`` and ``length`` characters sampled after it from the model saved at
    ``checkpoint`` (default prime: a newline, or the vocabulary's first character if the
    text had none), each drawn from softmax(logits / temperature) (0: the most likely).

    The same ``seed`` gives the same text. Raises ``ValueError`` (one line) for a bad
    checkpoint, an empty prime, or prime characters outside the model's vocabulary.
    """
    return "".join(generate_chunks(checkpoint, prime, length, temperature, seed))


def generate_chunks(
    checkpoint: str | os.PathLike[str],
    prime: str | None = None,
    length: int = 500,
    temperature: float = 0.8,
    seed: int | None = None,
) -> Iterator[str]:
    """The text of :func:`generate` (which joins these pieces), in pieces as it is
    drawn: the prime, then chunks of at most ``CHUNK_CHARS`` characters, each handed on
    within about ``CHUNK_SECONDS`` of its first character. Memory stays bounded whatever
    ``length``. On Ctrl-C the characters drawn so far come as one more chunk,
    then the ``KeyboardInterrupt``.

    The checkpoint and prime are checked here, before the first chunk is asked for
    (``ValueError`` as :func:`generate`)."""
    model, vocab, prime = _load(checkpoint, prime)
    return _chunks(model, vocab, prime, length, temperature, np.random.default_rng(seed))


def _load(checkpoint: str | os.PathLike[str], prime: str | None) -> tuple[CharLM, Vocabulary, str]:
    """The model, vocabulary and prime (default: a newline, else the first character)."""
    if prime == "":
        raise ValueError("the prime needs at least one character")
    state = load_checkpoint(checkpoint)
    try:
        model, vocab = model_from_checkpoint(state)
    except ValueError as e:
        raise ValueError(f"{os.fspath(checkpoint)}: {e}") from None
    if prime is None:
        prime = "\n" if "\n" in vocab.chars else vocab.chars[0]
    missing = sorted(set(prime) - set(vocab.chars))
    if missing:
        shown = "".join(missing)
        raise ValueError(
            f"the prime has characters the model never saw: {shown!r} "
            f"(its vocabulary has {len(vocab)} characters)"
        )
    return model, vocab, prime


def _chunks(
    model: CharLM,
    vocab: Vocabulary,
    prime: str,
    length: int,
    temperature: float,
    generator: np.random.Generator,
) -> Iterator[str]:
    """:func:`sample_text` in chunks: the draws are :meth:`CharLM.draws`, so the same
    generator gives the same characters."""
    yield prime
    if not length:
        return
    ids = model.draws(vocab.encode(prime), temperature, generator)
    chars, left = vocab.chars, length
    while left:
        pending: list[str] = []
        since = time.monotonic()
        try:
            while left and len(pending) < CHUNK_CHARS:
                pending.append(chars[next(ids)])
                left -= 1
                if time.monotonic() - since >= CHUNK_SECONDS:
                    break
        except KeyboardInterrupt:
            yield "".join(pending)
            raise
        yield "".join(pending)
