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

Everything needed to continue bit for bit is in it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

import minigrad
from minigrad.io import CheckpointError

from .data import Vocabulary
from .models import CharLM

__all__ = ["FORMAT", "VERSION", "load_checkpoint", "model_from_checkpoint"]

FORMAT = "rnn-charlm"
VERSION = 1
KEYS = ("config", "vocabulary", "step", "model", "optimizer", "carry", "rng", "text_sha256")


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a checkpoint written by :class:`rnn.train.Trainer`.

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
