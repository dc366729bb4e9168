"""Checkpoints of a character-level language model: what is saved, and reading it back.

A checkpoint is one ``minigrad.save`` file (an ``.npz``, never pickled, written
atomically) holding a dict::

    format, version     "rnn-charlm", 1
    config              the TrainConfig as a dict (sizes, optimiser, data, seed, whether
                        the step ran eagerly or compiled, ...)
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
from .memory import require
from .models import CELLS, CharLM, charlm_bytes

__all__ = [
    "FORMAT",
    "VERSION",
    "check_contents",
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


def unpack_carry(
    state: dict[str, Any], pairs: bool, shape: tuple[int, ...]
) -> Tensor | tuple[Tensor, ...] | None:
    """The carried hidden state of a loaded checkpoint: None, a tensor h, or (when the
    cell's state is a pair, as the LSTM's) a tuple (h, c); each of ``shape``
    (layers, batch, hidden). Raises ``ValueError`` when the saved state does not fit."""
    if state["carry"] is None:
        return None
    arrays = state["carry"]
    want = 2 if pairs else 1
    if len(arrays) != want or any(a.shape != shape for a in arrays):
        got = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"the carried state ({got}) does not fit the model: expected {want} of {shape}"
        )
    parts = tuple(minigrad.tensor(a) for a in arrays)
    return parts if pairs else parts[0]


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    Raises ``ValueError`` with a one-line message naming the file when it is missing,
    is not a regular file, is not a minigrad checkpoint, is not a char-LM checkpoint,
    or holds values of the wrong kind (see :func:`check_contents`).
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise ValueError(f"{p}: no such checkpoint")
    if os.path.isdir(p):
        raise ValueError(f"{p}: is a directory, expected a checkpoint file")
    if not os.path.isfile(p):
        raise ValueError(f"{p}: not a regular file, expected a checkpoint file")
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
    problem = check_contents(state)
    if problem:
        raise ValueError(f"{p}: {problem}")
    return state


def _is_count(value: Any, low: int = 1) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= low


def check_contents(state: dict[str, Any]) -> str | None:
    """What is wrong with a loaded checkpoint's values (None if nothing): the config's
    cell, sizes and dtype, the vocabulary (distinct characters in a str), the step,
    the state dicts and the carried state (a list of arrays, or None)."""
    config = state["config"]
    if not isinstance(config, dict):
        return "the config is not a mapping"
    if config.get("cell") not in CELLS:
        return f"the config's cell {config.get('cell')!r} is not one of {', '.join(CELLS)}"
    for name in ("hidden", "layers", "batch", "seq_len"):
        if not _is_count(config.get(name)):
            return f"the config's {name} {config.get(name)!r} is not a positive integer"
    if config.get("dtype") not in ("float32", "float64"):
        return f"the config's dtype {config.get('dtype')!r} is not float32 or float64"
    if not isinstance(config.get("eager", False), bool):
        return f"the config's eager {config.get('eager')!r} is not true or false"
    vocab = state["vocabulary"]
    if not isinstance(vocab, str) or not vocab or len(set(vocab)) != len(vocab):
        return "the vocabulary is not a string of distinct characters"
    if not _is_count(state["step"], low=0):
        return f"the step {state['step']!r} is not a non-negative integer"
    if not isinstance(state["model"], dict) or not isinstance(state["optimizer"], dict):
        return "the model or optimizer state is not a mapping"
    carry = state["carry"]
    if carry is not None and not (
        isinstance(carry, list) and all(isinstance(a, np.ndarray) for a in carry)
    ):
        return "the carried state is not a list of arrays"
    return None


def model_from_checkpoint(state: dict[str, Any]) -> tuple[CharLM, Vocabulary]:
    """The model (weights loaded, eval mode) and vocabulary of a loaded checkpoint."""
    config = state["config"]
    vocab = Vocabulary(state["vocabulary"])
    dtype = np.dtype(config["dtype"])
    hidden, layers = int(config["hidden"]), int(config["layers"])
    require(
        charlm_bytes(config["cell"], len(vocab), hidden, layers, 1, 1, dtype.itemsize),
        f"the checkpoint's model (hidden {hidden}, layers {layers})",
    )
    try:
        model = CharLM(
            len(vocab),
            hidden_size=hidden,
            num_layers=layers,
            cell=str(config["cell"]),
            dtype=dtype,
        )
        model.load_state_dict(state["model"])
    except (KeyError, ValueError, TypeError, RuntimeError) as e:
        raise ValueError(f"the checkpoint's model does not fit its config ({e})") from None
    model.eval()
    return model, vocab
