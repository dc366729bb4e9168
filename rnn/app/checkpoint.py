"""Checkpoints of a character-level language model: what is saved, and reading it back.

A checkpoint is one ``minigrad.save`` file (an ``.npz``, never pickled, written
atomically) holding a dict::

    format, version     "rnn-charlm", 1
    config              the TrainConfig as a dict (sizes, optimiser, data, seed, ...)
    vocabulary          the characters, in id order (a str)
    text_sha256         digest of the training text (a resumed run must see the same text)
    step                optimiser steps taken so far
    model, optimizer    state dicts
    carry               the hidden state carried into the next chunk (arrays) or None
    rng                 bit-generator states (numpy's nested dicts) of every generator used
    val_nats            the last validation loss, or None

Everything needed to continue bit for bit is in it. This module is the only place
that knows the layout: :func:`pack` builds it, :func:`save_checkpoint` writes it,
:func:`load_checkpoint` reads and validates it, :func:`unpack_carry` and
:func:`model_from_checkpoint` turn it back into objects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.io import CheckpointError

from .data import Vocabulary
from .models import CharLM

__all__ = [
    "FORMAT",
    "VERSION",
    "load_checkpoint",
    "model_from_checkpoint",
    "pack",
    "save_checkpoint",
    "unpack_carry",
]

FORMAT = "rnn-charlm"
VERSION = 1
KEYS = ("config", "vocabulary", "step", "model", "optimizer", "carry", "rng", "text_sha256")


def pack(
    *,
    config: dict[str, Any],
    vocabulary: str,
    text_sha256: str,
    step: int,
    model: dict[str, np.ndarray],
    optimizer: dict[str, Any],
    carry: Tensor | tuple[Tensor, ...] | None,
    rng: dict[str, Any],
    val_nats: float | None,
) -> dict[str, Any]:
    """The checkpoint dict (see the module docstring); ``carry`` is a layer's state,
    a tensor h or a tuple (h, c), stored as a list of arrays."""
    if carry is not None:
        parts = carry if isinstance(carry, tuple) else (carry,)
        carry = [p.data for p in parts]
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": config,
        "vocabulary": vocabulary,
        "text_sha256": text_sha256,
        "step": step,
        "model": model,
        "optimizer": optimizer,
        "carry": carry,
        "rng": rng,
        "val_nats": val_nats,
    }


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """Write ``state`` (from :func:`pack`) to ``path`` atomically, creating its folder:
    a crash leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    minigrad.save(state, path)
    return path


def unpack_carry(state: dict[str, Any], pairs: bool) -> Tensor | tuple[Tensor, ...] | None:
    """The carried hidden state of a loaded checkpoint: None, a tensor h, or (when the
    cell's state is a pair, as the LSTM's) a tuple (h, c)."""
    if state["carry"] is None:
        return None
    parts = tuple(minigrad.tensor(a) for a in state["carry"])
    return parts if pairs else parts[0]


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    Raises ``ValueError`` with a one-line message naming the file when it is missing,
    is a directory, is not a minigrad checkpoint, or is not a char-LM checkpoint.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise ValueError(f"{p}: no such checkpoint")
    if os.path.isdir(p):
        raise ValueError(f"{p}: is a directory, expected a checkpoint file")
    try:
        state = minigrad.load(p)
    except CheckpointError as e:
        raise ValueError(str(e).removeprefix("load: ")) from None
    except OSError as e:
        raise ValueError(f"{p}: cannot read ({e.strerror})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{p}: not a character-model checkpoint (written by `rnn train`)")
    if state.get("version") != VERSION:
        raise ValueError(
            f"{p}: checkpoint version {state.get('version')}, this program reads {VERSION}"
        )
    missing = [k for k in KEYS if k not in state]
    if missing:
        raise ValueError(f"{p}: incomplete checkpoint (missing {', '.join(missing)})")
    return state


def model_from_checkpoint(state: dict[str, Any]) -> tuple[CharLM, Vocabulary]:
    """The model (weights loaded, eval mode) and vocabulary of a loaded checkpoint."""
    config = state["config"]
    vocab = Vocabulary(state["vocabulary"])
    try:
        model = CharLM(
            len(vocab),
            hidden_size=int(config["hidden"]),
            num_layers=int(config["layers"]),
            cell=str(config["cell"]),
            dtype=np.dtype(config["dtype"]),
        )
        model.load_state_dict(state["model"])
    except (KeyError, ValueError, TypeError) as e:
        raise ValueError(f"the checkpoint's model does not fit its config ({e})") from None
    model.eval()
    return model, vocab
