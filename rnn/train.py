"""Training a character-level language model with truncated BPTT, and resuming it exactly.

One optimiser step reads chunk ``i = step`` of :class:`rnn.data.Batches` (``seq_len``
characters in each of ``batch`` parallel streams), runs the model from the hidden state
the previous chunk ended in (detached, so backward stops at the chunk boundary), and
minimises the mean next-character cross-entropy. The state is reset to zeros when the
chunks wrap around to the start of the streams.

Validation loss is measured on the last ``val_fraction`` of the text, in nats per
character and in bits per character (bpc = nats / ln 2).

Reproducibility: every source of randomness is a generator seeded from ``seed`` whose
state goes into the checkpoint, and the chunk read at a step depends only on the step
number, so ``N`` steps, a checkpoint, and ``N`` more steps from it give the same
parameters and losses, bit for bit, as ``2N`` steps in one go.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import minigrad
from minigrad import functional as F
from minigrad import nn, optim, rng

from .checkpoint import FORMAT, VERSION, load_checkpoint
from .data import Batches, Vocabulary, default_corpus, load_text, split_ids
from .models import CELLS, CharLM
from .tbptt import detach_state

__all__ = ["Diverged", "TrainConfig", "Trainer", "bits", "load_corpus"]

OPTIMIZERS = {"adam": optim.Adam, "adagrad": optim.Adagrad, "sgd": optim.SGD}


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
    data: str | None = None  # a UTF-8 text file; None: the standard library's source
    max_chars: int = 1_000_000  # of the default corpus
    val_fraction: float = 0.1
    dtype: str = "float32"

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for checkpoints)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """The config saved by :meth:`to_dict` (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


class Diverged(RuntimeError):
    """The loss or the gradient became NaN or infinite; the step was not taken."""


def load_corpus(config: TrainConfig) -> str:
    """The training text: ``config.data`` read as UTF-8, or the standard library's
    source. Raises ``ValueError`` (one line) for a missing, empty or binary file."""
    if config.data is None:
        return default_corpus(config.max_chars)
    return load_text(config.data)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stream_count(n: int, batch: int, seq_len: int) -> int:
    """Streams for ``n`` characters: ``batch`` if each gets a full chunk, else fewer."""
    return max(1, min(batch, (n - 1) // (seq_len + 1)))


class Trainer:
    """A :class:`CharLM`, its optimiser and data, stepping through truncated BPTT.

    Build one with ``Trainer(config, text)`` for a fresh run or
    :meth:`Trainer.resume` from a checkpoint; call :meth:`fit`.
    """

    def __init__(self, config: TrainConfig, text: str) -> None:
        if config.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {config.cell!r}")
        if config.optim not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        self.config = config
        self.text_sha256 = _digest(text)
        self.vocab = Vocabulary.from_text(text)
        train_ids, val_ids = split_ids(self.vocab.encode(text), config.val_fraction)
        streams = _stream_count(len(train_ids), config.batch, config.seq_len)
        if streams < config.batch:
            raise ValueError(
                f"the training text ({len(train_ids)} characters) is too short for "
                f"--batch {config.batch} x --seq-len {config.seq_len}; use smaller ones"
            )
        self.batches = Batches(train_ids, config.batch, config.seq_len)
        self.val_batches = Batches(
            val_ids, _stream_count(len(val_ids), config.batch, config.seq_len), config.seq_len
        )
        dtype = np.dtype(config.dtype)
        # One generator for initialisation (minigrad's default), one for samples.
        rng.manual_seed(config.seed)
        self.sample_rng = np.random.default_rng([config.seed, 1])
        self.model = CharLM(len(self.vocab), config.hidden, config.layers, config.cell, dtype=dtype)
        self.optimizer = OPTIMIZERS[config.optim](self.model.parameters(), lr=config.lr)
        self.step = 0
        self.carry: Any = None
        self.val_nats: float | None = None
        self.last_saved: tuple[Path, int] | None = None

    # ------------------------------------------------------------------ steps
    def train_step(self) -> float:
        """One optimiser step on the next chunk; returns its loss in nats per character.

        Raises :class:`Diverged` (leaving the parameters untouched) if the loss or the
        gradient norm is not finite. NumPy's overflow warnings are silenced here because
        non-finite values are detected and reported as one clear error instead.
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._step()

    def _step(self) -> float:
        i = self.step % self.batches.num_chunks
        if i == 0:
            self.carry = None
        x, y = self.batches.chunk(i)
        self.model.train()
        logits, state = self.model(x, self.carry)
        loss = F.cross_entropy(logits.reshape(-1, len(self.vocab)), y.reshape(-1))
        value = loss.item()
        if not math.isfinite(value):
            raise Diverged(f"the loss at step {self.step + 1} is {value}")
        self.optimizer.zero_grad()
        loss.backward()
        max_norm = self.config.clip if self.config.clip > 0 else math.inf
        try:
            nn.utils.clip_grad_norm_(self.model.parameters(), max_norm, error_if_nonfinite=True)
        except RuntimeError:
            raise Diverged(f"the gradient at step {self.step + 1} is NaN or infinite") from None
        self.optimizer.step()
        self.carry = detach_state(state)
        self.step += 1
        return value

    @minigrad.no_grad()
    def evaluate(self) -> float:
        """Mean validation loss in nats per character (the model is left in train mode)."""
        self.model.eval()
        total, count, state = 0.0, 0, None
        V = len(self.vocab)
        for x, y in self.val_batches:
            logits, state = self.model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), reduction="sum")
            total += float(loss.item())
            count += y.size
        self.model.train()
        self.val_nats = total / count
        return self.val_nats

    def sample(
        self,
        prime: str = "\n",
        length: int = 200,
        temperature: float = 0.8,
        generator: np.random.Generator | None = None,
    ) -> str:
        """``prime`` followed by ``length`` generated characters (default generator: the
        trainer's own, whose state is checkpointed)."""
        prime = "".join(c for c in prime if c in self.vocab.chars) or self.vocab.chars[0]
        ids = self.model.sample(
            self.vocab.encode(prime), length, temperature, generator or self.sample_rng
        )
        return prime + self.vocab.decode(ids)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The checkpoint contents (see :mod:`rnn.checkpoint`)."""
        carry = None
        if self.carry is not None:
            parts = self.carry if isinstance(self.carry, tuple) else (self.carry,)
            carry = [p.data for p in parts]
        return {
            "format": FORMAT,
            "version": VERSION,
            "config": self.config.to_dict(),
            "vocabulary": self.vocab.chars,
            "text_sha256": self.text_sha256,
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "carry": carry,
            "rng": {
                "init": rng.default_generator().bit_generator.state,
                "sample": self.sample_rng.bit_generator.state,
            },
            "val_nats": self.val_nats,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a checkpoint atomically (a crash leaves the previous file intact)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        minigrad.save(self.state_dict(), path)
        self.last_saved = (path, self.step)
        return path

    @classmethod
    def resume(
        cls, path: str | os.PathLike[str], text: str | None = None, **changes: Any
    ) -> Trainer:
        """A trainer in the exact state saved at ``path``.

        ``text`` is the training text (default: reloaded from the saved config); it must
        be the text the checkpoint was trained on. ``changes`` override config fields
        that do not alter the model or the data (steps, lr, clip, eval/sample cadence).
        """
        state = load_checkpoint(path)
        config = TrainConfig.from_dict(state["config"])
        fixed = {
            "cell",
            "hidden",
            "layers",
            "seq_len",
            "batch",
            "optim",
            "seed",
            "dtype",
            "val_fraction",
        }
        for name, value in changes.items():
            old = getattr(config, name)
            if name in fixed and value != old:
                flag = "--" + name.replace("_", "-")
                raise ValueError(
                    f"{flag} {value} differs from the checkpoint's {old}; "
                    "a resumed run keeps the model, data layout and seed"
                )
            setattr(config, name, value)
        text = load_corpus(config) if text is None else text
        if _digest(text) != state["text_sha256"]:
            raise ValueError(f"{path}: trained on a different text than the one given")
        trainer = cls(config, text)
        try:
            trainer.model.load_state_dict(state["model"])
            trainer.optimizer.load_state_dict(state["optimizer"])
        except (KeyError, ValueError, TypeError) as e:
            raise ValueError(f"{path}: the saved model does not fit its config ({e})") from None
        for group in trainer.optimizer.param_groups:
            group["lr"] = config.lr
        trainer.step = int(state["step"])
        if state["carry"] is not None:
            parts = tuple(minigrad.tensor(a) for a in state["carry"])
            trainer.carry = parts if config.cell == "lstm" else parts[0]
        rng.default_generator().bit_generator.state = state["rng"]["init"]
        trainer.sample_rng.bit_generator.state = state["rng"]["sample"]
        trainer.val_nats = state.get("val_nats")
        trainer.last_saved = (Path(path), trainer.step)
        return trainer

    # ----------------------------------------------------------------- the loop
    def fit(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        log: Callable[[str], None] | None = None,
        progress: bool = True,
    ) -> list[float]:
        """Train until ``config.steps`` steps; returns the training losses of the steps
        taken here.

        Every ``eval_every`` steps and at the end: validation loss, then a checkpoint
        (if ``checkpoint`` is given). Every ``sample_every`` steps: a sample. On
        :class:`Diverged`, the exception propagates with the last good checkpoint
        named in its message; that file is not overwritten.
        """
        cfg = self.config
        log = log or _write
        losses: list[float] = []
        bar = tqdm(
            total=cfg.steps,
            initial=self.step,
            unit="step",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        )
        try:
            while self.step < cfg.steps:
                try:
                    losses.append(self.train_step())
                except Diverged as e:
                    raise Diverged(
                        f"training stopped: {e} (a lower --lr or a --clip may help); {self._kept()}"
                    ) from None
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
                done = self.step == cfg.steps
                if done or (cfg.eval_every and self.step % cfg.eval_every == 0):
                    nats = self.evaluate()
                    log(
                        f"step {self.step:>6}  train loss {losses[-1]:.4f}  "
                        f"val loss {nats:.4f} nats = {bits(nats):.4f} bpc"
                    )
                if cfg.sample_every and self.step % cfg.sample_every == 0:
                    text = self.sample(length=cfg.sample_length)
                    log(f"--- sample at step {self.step} ---\n{text}")
                if checkpoint is not None and (
                    done or (cfg.eval_every and self.step % cfg.eval_every == 0)
                ):
                    self.save(checkpoint)
        finally:
            bar.close()
        if not losses:  # nothing to train: still measure and save the model as it is
            self.evaluate()
            if checkpoint is not None:
                self.save(checkpoint)
        return losses

    def _kept(self) -> str:
        if self.last_saved is None:
            return "no checkpoint had been written yet"
        path, step = self.last_saved
        return f"the last good checkpoint is {path} (step {step})"


def _write(message: str) -> None:
    tqdm.write(message, file=sys.stdout)
