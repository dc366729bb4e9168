"""A model trained by ``rnn task``, saved for later study (``rnn task --save``, read by
``rnn dynamics --checkpoint``).

One ``minigrad.save`` file (an ``.npz``, never pickled) holding a dict::

    format, version     "rnn-task", 1
    config              task, cell, T, hidden, seed, steps (taken: fewer than asked when
                        --cpu-limit ended training), final_loss, and the
                        nonlinearity and orthogonal map when the run chose them
    model               the TaskModel's state dict

This module is the only place that knows the layout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import minigrad
from minigrad.io import CheckpointError

from .tasks import TaskModel

__all__ = ["FORMAT", "VERSION", "is_task_checkpoint", "load_task_model", "save_task_model"]

FORMAT = "rnn-task"
VERSION = 1


def save_task_model(path: str | os.PathLike[str], model: TaskModel, config: dict[str, Any]) -> Path:
    """Write ``model`` (its state dict) and ``config`` (must hold task, cell and hidden)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": FORMAT, "version": VERSION, "config": config, "model": model.state_dict()}
    minigrad.save(state, path)
    return path


def is_task_checkpoint(state: Any) -> bool:
    """Whether a loaded file is a task checkpoint (of any version)."""
    return isinstance(state, dict) and state.get("format") == FORMAT


def load_task_model(state: dict[str, Any], where: str) -> tuple[TaskModel, dict[str, Any]]:
    """The model (weights loaded, eval mode) and config of a loaded task checkpoint;
    ValueError naming ``where`` (the file) when it does not fit."""
    if state.get("version") != VERSION:
        raise ValueError(
            f"{where}: task checkpoint version {state.get('version')}, this program reads {VERSION}"
        )
    try:
        config = state["config"]
        extra = {k: str(config[k]) for k in ("orthogonal", "nonlinearity") if k in config}
        model = TaskModel(str(config["task"]), str(config["cell"]), int(config["hidden"]), **extra)
        model.load_state_dict(state["model"])
    except (KeyError, ValueError, TypeError) as e:
        raise ValueError(
            f"{where}: the task checkpoint's model does not fit its config ({e})"
        ) from None
    model.eval()
    return model, config


def read(path: str | os.PathLike[str]) -> Any:
    """The object stored in ``path``; ValueError with a one-line message when it cannot be read."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise ValueError(f"{p}: no such checkpoint")
    if os.path.isdir(p):
        raise ValueError(f"{p}: is a directory, expected a checkpoint file")
    try:
        return minigrad.load(p)
    except CheckpointError as e:
        raise ValueError(str(e).removeprefix("load: ")) from None
    except OSError as e:
        raise ValueError(f"{p}: cannot read ({e.strerror})") from None
