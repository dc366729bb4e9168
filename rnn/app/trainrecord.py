"""A character-model training run as a JSON record: the command, its learning curve,
the held-out split, the final figure beside the baselines', and what it cost (wall and
CPU time, the machine's load). ``rnn train --history PATH`` and ``rnn demo --history
PATH`` write one through :class:`TrainHistory`, after every validation (so a long run
can be watched) and once more with the baselines' figures; ``docs/make_results.py``
builds the results table from them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .baselines import Baselines
from .command import CLIError, write_atomically
from .corpus import SIDES
from .runconfig import bits
from .train import Trainer

__all__ = ["TrainHistory", "train_record", "write_train_record"]


def train_record(
    trainer: Trainer,
    command: str,
    times: list[tuple[float, float]],
    baselines: Baselines | None = None,
) -> dict[str, Any]:
    """The record of ``trainer``'s run so far. ``times`` holds (wall, CPU) seconds since
    the command started, one pair per row of ``trainer.curve``; ``curve`` rows are
    ``[step, training loss (nats), validation bpc, wall, CPU]``; ``wall`` and ``cpu``
    are the last row's (the baselines' CPU time is ``baselines_cpu``, apart). ``figures`` (bits per
    character on the validation text, the model's first) and ``after_training`` (the
    compressors' figures after the training text) are filled once ``baselines`` are."""
    curve = [
        [step, round(loss, 5), round(bits(nats), 5), round(wall, 3), round(cpu, 3)]
        for (step, loss, nats), (wall, cpu) in zip(trainer.curve, times, strict=True)
    ]
    split = trainer.data.split
    record: dict[str, Any] = {
        "command": command,
        "settings": trainer.config.to_dict(),
        "steps": trainer.step,
        "wall": curve[-1][3] if curve else 0.0,
        "cpu": curve[-1][4] if curve else 0.0,
        "load": os.getloadavg()[0],
        "val_bpc": curve[-1][2] if curve else None,
        "split": {
            "how": split.how,
            **{
                side: {
                    "documents": [d.name for d in getattr(split, side)],
                    "characters": len(split.text(side)),
                }
                for side in SIDES
            },
        },
        "curve": curve,
    }
    if baselines is not None:
        record["figures"] = {f.name: round(f.bpc, 5) for f in baselines.figures}
        record["after_training"] = {
            f.name: round(f.after_training, 5)
            for f in baselines.figures
            if f.after_training is not None
        }
        record["ngram_tuning"] = {str(k): round(v, 5) for k, v in baselines.tuning.items()}
        record["baselines_cpu"] = round(baselines.cpu_seconds, 3)
    return record


def write_train_record(path: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Write ``record`` as indented JSON, atomically (a reader never sees half a file)."""
    text = json.dumps(record, indent=1) + "\n"
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class TrainHistory:
    """The JSON record of ``trainer``'s run at ``path`` (None: no record), named by
    ``command``. Call :meth:`update` after each validation (``Trainer.fit``'s
    ``on_evaluate``) and once more with the baselines; each call rewrites the file.
    Wall and CPU seconds count from this object's creation. A file that cannot be
    written is a :class:`~rnn.app.command.CLIError` naming ``--history``."""

    def __init__(self, path: str | os.PathLike[str] | None, trainer: Trainer, command: str) -> None:
        self.path, self.trainer, self.command = path, trainer, command
        self.start = (time.perf_counter(), time.process_time())
        self.times: list[tuple[float, float]] = []

    def update(self, baselines: Baselines | None = None) -> None:
        """Rewrite the record: without ``baselines``, a validation has just been added
        to ``trainer.curve`` (its time is taken now); with them, their figures."""
        if self.path is None:
            return
        if baselines is None:
            wall = time.perf_counter() - self.start[0]
            self.times.append((wall, time.process_time() - self.start[1]))
        record = train_record(self.trainer, self.command, self.times, baselines)
        try:
            write_train_record(self.path, record)
        except OSError as e:
            raise CLIError(f"cannot write --history {self.path}: {e.strerror}") from None
