"""Generating text from a trained character-level language model's checkpoint."""

from __future__ import annotations

import os

import numpy as np

from .checkpoint import load_checkpoint, model_from_checkpoint
from .data import Vocabulary
from .models import CharLM

__all__ = ["generate", "sample_text"]


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
    return sample_text(model, vocab, prime, length, temperature, np.random.default_rng(seed))
