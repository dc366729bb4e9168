"""Training a character-level language model with truncated BPTT, and resuming it exactly.

One optimiser step reads chunk ``i = step`` of :class:`rnn.app.data.Batches` (``seq_len``
characters in each of ``batch`` parallel streams), runs the model from the hidden state
the previous chunk ended in (detached, so backward stops at the chunk boundary), and
minimises the mean next-character cross-entropy. The state is reset to zeros when the
chunks wrap around to the start of the streams.

Validation loss is measured on text never trained on (held out by file, see
:mod:`rnn.app.corpus`), every character after the first scored once, in nats per
character and in bits per character (bpc = nats / ln 2); :meth:`Trainer.baselines`
gives the same text's figures under compressors and a Kneser–Ney n-gram
(:mod:`rnn.app.baselines`).

Reproducibility: every source of randomness is a generator seeded from ``seed`` whose
state goes into the checkpoint, and the chunk read at a step depends only on the step
number, so ``N`` steps, a checkpoint, and ``N`` more steps from it give the same
parameters and losses, bit for bit, as ``2N`` steps in one go.

The pieces live apart: the text in :mod:`rnn.app.data`, the model in
:mod:`rnn.app.models`, the optimiser step in :mod:`rnn.app.step`, the file format in
:mod:`rnn.app.checkpoint`, sampling in :mod:`rnn.app.sample`; :class:`Trainer` holds a
run's state and :meth:`Trainer.fit` is the loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor, optim, rng
from minigrad import functional as F

from ..cells import cell_kind
from ..tbptt import detach_state
from .baselines import Baselines, Figure, format_table, measure
from .checkpoint import load_checkpoint, pack, save_checkpoint, unpack_carry
from .corpus import Split, split_document
from .data import IGNORE, CharData, Scored, Vocabulary
from .memory import require
from .models import CELLS, CharLM, charlm_bytes
from .progress import bar, write
from .runconfig import FIXED_ON_RESUME, ConflictingOptions, TrainConfig, bits, load_corpus
from .sample import sample_text
from .step import Diverged, loss_function, train_step

__all__ = ["Trainer", "evaluate"]

OPTIMIZERS = {"adam": optim.Adam, "adagrad": optim.Adagrad, "sgd": optim.SGD}


@minigrad.no_grad()
def evaluate(model: CharLM, text: Scored) -> float:
    """Mean loss of ``model`` over every scored character of ``text``, in nats per
    character (the hidden state runs on from chunk to chunk; the model is left in
    train mode)."""
    model.eval()
    total, count, state = 0.0, 0, None
    for x, y in text:
        logits, state = model(x, state)
        flat = logits.reshape(-1, model.vocab_size)
        loss = F.cross_entropy(flat, y.reshape(-1), ignore_index=IGNORE, reduction="sum")
        total += float(loss.item())
        count += int((y != IGNORE).sum())
    model.train()
    return total / count


class Trainer:
    """A training run's state: a :class:`CharLM`, its optimiser and data, the step
    count, the carried hidden state and the random generators.

    Build one with ``Trainer(config, corpus)`` for a fresh run (``corpus``: a
    :class:`~rnn.app.corpus.Split`, or one text, split by :func:`split_document`) or
    :meth:`Trainer.resume` from a checkpoint; call :meth:`fit`. ``eager`` (given, it sets
    ``config.eager``) runs the step op by op instead of compiled.
    """

    def __init__(self, config: TrainConfig, corpus: Split | str, eager: bool | None = None) -> None:
        if config.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {config.cell!r}")
        if config.optim not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if eager is not None:
            config.eager = bool(eager)
        self.config = config
        if isinstance(corpus, str):
            corpus = split_document("the text", corpus, config.val_fraction)
        self.data = CharData.from_split(corpus, config.batch, config.seq_len)
        dtype = np.dtype(config.dtype)
        size = (config.cell, len(self.vocab), config.hidden, config.layers)
        require(
            charlm_bytes(*size, config.seq_len, config.batch, dtype.itemsize),
            f"the model (--hidden {config.hidden}, --layers {config.layers}, "
            f"--batch {config.batch}, --seq-len {config.seq_len})",
        )
        # One generator for initialisation (minigrad's default), one for samples.
        rng.manual_seed(config.seed)
        self.sample_rng = np.random.default_rng([config.seed, 1])
        self.model = CharLM(len(self.vocab), config.hidden, config.layers, config.cell, dtype=dtype)
        self.optimizer = OPTIMIZERS[config.optim](self.model.parameters(), lr=config.lr)
        # The step's loss, compiled unless eager (see rnn.app.step.loss_function).
        self.loss = loss_function(self._loss, config.eager)
        self.step = 0
        self.carry: Any = None
        self.val_nats: float | None = None
        self.last_saved: tuple[Path, int] | None = None
        self._baselines: Baselines | None = None
        self.curve: list[tuple[int, float, float]] = []  # (step, train loss, val nats)
        self._on_evaluate: Callable[[], None] | None = None

    @property
    def vocab(self) -> Vocabulary:
        """The characters the model knows."""
        return self.data.vocab

    # ------------------------------------------------------------------ steps
    def train_step(self) -> float:
        """One optimiser step on the next chunk; returns its loss in nats per character.

        Raises :class:`Diverged` if the loss or the gradient norm is not finite (the
        parameters untouched) or if the update made them non-finite. NumPy's overflow
        warnings are silenced here because non-finite values are reported as one
        clear error instead.
        """
        i = self.step % self.data.train.num_chunks
        if i == 0:
            self.carry = None
        x, y = self.data.train.chunk(i)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.model.train()
            loss, state = self.loss(Tensor(x), Tensor(y.reshape(-1)), self.carry)
            done = train_step(loss, self.optimizer, self.config.clip, number=self.step + 1)
        self.carry = detach_state(state)
        self.step += 1
        return done.loss

    def _loss(self, x: Tensor, y: Tensor, carry: Any) -> tuple[Tensor, Any]:
        """Mean cross-entropy of the next ids ``y`` given ids ``x`` and the carried state."""
        logits, state = self.model(x, carry)
        return F.cross_entropy(logits.reshape(-1, len(self.vocab)), y), state

    def evaluate(self) -> float:
        """Mean validation loss in nats per character (also kept in ``val_nats``)."""
        self.val_nats = evaluate(self.model, self.data.val)
        return self.val_nats

    def baselines(self) -> Baselines:
        """The validation text's figures under compressors and the n-gram (measured
        once, on first call; see :mod:`rnn.app.baselines`)."""
        if self._baselines is None:
            self._baselines = measure(self.data.split, self.vocab.chars)
        return self._baselines

    def report(self) -> str:
        """The table of bits per character on the validation text: this model's (last
        validation), then the baselines'."""
        cfg = self.config
        nats = self.val_nats if self.val_nats is not None else self.evaluate()
        name = f"{cfg.cell.upper()} {cfg.hidden}x{cfg.layers}, step {self.step}"
        return format_table(
            self.baselines(), Figure(name, bits(nats), note="learnt from the training text")
        )

    def sample(
        self,
        prime: str = "\n",
        length: int = 200,
        temperature: float = 0.8,
        generator: np.random.Generator | None = None,
    ) -> str:
        """``prime`` followed by ``length`` generated characters (default generator: the
        trainer's own, whose state is checkpointed). Characters of ``prime`` outside the
        vocabulary are dropped."""
        prime = "".join(c for c in prime if c in self.vocab.chars) or self.vocab.chars[0]
        generator = generator or self.sample_rng
        return sample_text(self.model, self.vocab, prime, length, temperature, generator)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The checkpoint contents (see :mod:`rnn.app.checkpoint`)."""
        return pack(
            config=self.config.to_dict(),
            vocabulary=self.vocab.chars,
            text_sha256=self.data.text_sha256,
            step=self.step,
            model=self.model.state_dict(),
            optimizer=self.optimizer.state_dict(),
            carry=self.carry,
            rng={
                "init": rng.default_generator().bit_generator.state,
                "sample": self.sample_rng.bit_generator.state,
            },
            val_nats=self.val_nats,
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a checkpoint atomically (a crash leaves the previous file intact)."""
        path = save_checkpoint(path, self.state_dict())
        self.last_saved = (path, self.step)
        return path

    @classmethod
    def resume(
        cls,
        path: str | os.PathLike[str],
        corpus: Split | str | None = None,
        eager: bool | None = None,
        **changes: Any,
    ) -> Trainer:
        """A trainer in the exact state saved at ``path``.

        ``corpus`` is the split text (default: reloaded from the saved config); it must
        be the one the checkpoint was trained on. ``changes`` override config fields
        that do not alter the model or the data (steps, lr, clip, eval/sample cadence).
        The step stays the one the run was trained with, eager or compiled (they round
        differently, so another would not continue bit for bit): ``eager`` may only
        repeat it (None: the checkpoint's; a checkpoint that does not say was compiled).
        """
        state = load_checkpoint(path)
        trained_on = _data_name(state["config"].get("data"))
        config = _changed(TrainConfig.from_dict(state["config"]), changes)
        if eager is not None and bool(eager) != config.eager:
            trained = "eagerly (--eager)" if config.eager else "with the compiled step"
            asked = "--eager" if eager else "a compiled step"
            raise ConflictingOptions(
                f"{path}: the run was trained {trained}; a resumed run keeps its step "
                f"(the two round differently, so {asked} would not continue it bit for bit)"
            )
        corpus = load_corpus(config) if corpus is None else corpus
        trainer = cls(config, corpus)
        if trainer.data.text_sha256 != state["text_sha256"]:
            raise ValueError(
                f"{path}: trained on a different text (or split of it) than the one given: "
                f"on {trained_on} (SHA-256 {state['text_sha256'][:12]}), not on "
                f"{_data_name(config.data)} (SHA-256 {trainer.data.text_sha256[:12]})"
            )
        try:
            trainer._restore(state)
        except (KeyError, ValueError, TypeError, RuntimeError) as e:
            raise ValueError(f"{path}: the saved state does not fit its config ({e})") from None
        trainer.last_saved = (Path(path), trainer.step)
        return trainer

    def _restore(self, state: dict[str, Any]) -> None:
        """Weights, optimiser, step, carried state and generators from a checkpoint."""
        cfg = self.config
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.lr
        self.step = int(state["step"])
        pairs = len(cell_kind(cfg.cell).state) == 2  # (h, c)
        self.carry = unpack_carry(state, pairs, (cfg.layers, cfg.batch, cfg.hidden))
        rng.default_generator().bit_generator.state = state["rng"]["init"]
        self.sample_rng.bit_generator.state = state["rng"]["sample"]
        self.val_nats = state.get("val_nats")

    # ----------------------------------------------------------------- the loop
    def fit(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        log: Callable[[str], None] | None = None,
        progress: bool = True,
        on_evaluate: Callable[[], None] | None = None,
    ) -> list[float]:
        """Train until ``config.steps`` steps; returns the training losses of the steps
        taken here.

        Every ``eval_every`` steps and at the end: validation loss, then a checkpoint
        (if ``checkpoint`` is given). Every ``sample_every`` steps: a sample. On
        :class:`Diverged` (a non-finite loss or gradient, or weights that an update
        made non-finite), the loop stops before anything is evaluated or written, and
        the exception names the last good checkpoint, which is left as it was.
        Each validation appends ``(step, training loss, validation nats)`` to
        ``self.curve`` and then calls ``on_evaluate()`` (after the checkpoint).
        """
        log = log or write
        self._on_evaluate = on_evaluate
        losses: list[float] = []
        with bar(self.config.steps, initial=self.step, enabled=progress) as shown:
            while self.step < self.config.steps:
                losses.append(self._guarded_step())
                shown.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
                shown.update(1)  # draws the postfix just set: this step's loss
                self._after_step(losses[-1], checkpoint, log)
        if not losses:  # nothing to train: still measure and save the model as it is
            self.evaluate()
            if checkpoint is not None:
                self.save(checkpoint)
        return losses

    def _guarded_step(self) -> float:
        try:
            return self.train_step()
        except Diverged as e:
            lost = "; the weights in memory were not saved" if e.weights_changed else ""
            raise Diverged(
                f"training stopped: {e} (a lower --lr or a --clip may help); {self._kept()}{lost}",
                weights_changed=e.weights_changed,
            ) from None

    def _after_step(
        self, loss: float, path: str | os.PathLike[str] | None, log: Callable[[str], None]
    ) -> None:
        """Validation, sample and checkpoint when their turn comes."""
        cfg = self.config
        done = self.step == cfg.steps
        evaluate_now = done or (cfg.eval_every and self.step % cfg.eval_every == 0)
        if evaluate_now:
            nats = self.evaluate()
            self.curve.append((self.step, loss, nats))
            log(
                f"step {self.step:>6}  train loss {loss:.4f}  "
                f"val loss {nats:.4f} nats = {bits(nats):.4f} bpc"
            )
        if cfg.sample_every and self.step % cfg.sample_every == 0:
            log(f"--- sample at step {self.step} ---\n{self.sample(length=cfg.sample_length)}")
        if path is not None and evaluate_now:
            self.save(path)
        if evaluate_now and self._on_evaluate is not None:
            self._on_evaluate()

    def _kept(self) -> str:
        if self.last_saved is None:
            return "no checkpoint had been written yet"
        path, step = self.last_saved
        return f"the last good checkpoint is {path} (step {step}), left as it was"


def _data_name(data: str | list[str] | None) -> str:
    """``TrainConfig.data`` for a message: the file name(s), at most three of them."""
    if data is None:
        return "the standard library's modules"
    if isinstance(data, str):
        return data
    more = f" and {len(data) - 3} more" if len(data) > 3 else ""
    return ", ".join(list(data)[:3]) + more


def _changed(config: TrainConfig, changes: dict[str, Any]) -> TrainConfig:
    """``config`` with ``changes`` applied; refuses changes to :data:`FIXED_ON_RESUME`."""
    for name, value in changes.items():
        old = getattr(config, name)
        if name in (*FIXED_ON_RESUME, "val_fraction") and value != old:
            flag = "--" + name.replace("_", "-")
            raise ConflictingOptions(
                f"{flag} {value} differs from the checkpoint's {old}; "
                "a resumed run keeps the model, data layout and seed"
            )
        setattr(config, name, value)
    return config
