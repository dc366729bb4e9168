"""Training recurrent cells on the long-dependency tasks of :mod:`rnn.tasks`.

Two models, one loop:

- adding: ``y_hat = w . h_T + b`` read from the last state, loss MSE against the sum of
  the two marked values; the memoryless predictor (always 1) scores 1/6;
- copy: ``logits_t = W h_t + b`` at every step, loss the mean cross-entropy per step;
  the memoryless strategy scores ``n_copy ln 8 / (T + 2 n_copy)``.

Cells are ``rnn`` (tanh, PyTorch's default init), ``lstm``, ``gru`` and ``irnn``: a ReLU
RNN with ``W_hh = I``, zero biases and small ``W_ih`` (Le, Jaitly & Hinton 2015), for which
``h_t = relu(W_ih x_t + h_{t-1})`` starts as an integrator that neither forgets nor
vanishes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor, nn, optim
from minigrad.functional import cross_entropy, mse_loss

from .layers import RNN, RNNBase
from .models import make_layer
from .tasks import ADDING_BASELINE, COPY_SYMBOLS, adding_batch, copy_baseline, copy_batch

__all__ = [
    "CELLS",
    "TASKS",
    "TaskModel",
    "TaskResult",
    "baseline",
    "evaluate",
    "make_cell",
    "train_task",
]

CELLS = ("rnn", "lstm", "gru", "irnn")
TASKS = ("adding", "copy")

# IRNN input weights: N(0, 0.001^2) as in Le et al.; small enough that the identity
# recurrence dominates at the start.
IRNN_INPUT_STD = 1e-3


def make_cell(
    cell: str, input_size: int, hidden_size: int, generator: np.random.Generator | None = None
) -> RNNBase:
    """A one-layer ``RNN`` (tanh), ``LSTM``, ``GRU`` or IRNN by name (see :data:`CELLS`).

    ``irnn`` is ``RNN(nonlinearity="relu")`` with ``W_hh = I``, biases 0 and
    ``W_ih ~ N(0, 0.001^2)``, so that at initialisation ∂h_t/∂h_{t-1} = diag(relu'(a_t)),
    whose entries are 0 or 1: active units pass the gradient back unchanged.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    if cell != "irnn":
        return make_layer(cell, input_size, hidden_size)
    layer = RNN(input_size, hidden_size, nonlinearity="relu")
    nn.init.normal_(layer.weight_ih_l0, 0.0, IRNN_INPUT_STD, generator=generator)
    nn.init.eye_(layer.weight_hh_l0)
    nn.init.zeros_(layer.bias_ih_l0)
    nn.init.zeros_(layer.bias_hh_l0)
    return layer


def baseline(task: str, T: int) -> float:
    """The loss of the best memoryless predictor: 1/6 (adding) or 10 ln 8 / (T + 20) (copy)."""
    if task == "adding":
        return ADDING_BASELINE
    if task == "copy":
        return copy_baseline(T)
    raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")


class TaskModel(nn.Module):
    """A recurrent layer and a linear readout for ``task``.

    adding: x (T, N, 2) floats -> prediction (N, 1) from the last hidden state;
    copy: ids (T + 20, N) -> logits (T + 20, N, 10) (ids enter one-hot through an
    embedding with one row per symbol).
    """

    def __init__(self, task: str, cell: str, hidden_size: int) -> None:
        super().__init__()
        baseline(task, 1)  # validates the name
        self.task = task
        if task == "copy":
            self.embed = nn.Embedding(COPY_SYMBOLS, COPY_SYMBOLS)
            nn.init.eye_(self.embed.weight)
            self.rnn = make_cell(cell, COPY_SYMBOLS, hidden_size)
            self.head = nn.Linear(hidden_size, COPY_SYMBOLS)
        else:
            self.rnn = make_cell(cell, 2, hidden_size)
            self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: np.ndarray) -> Tensor:
        if self.task == "copy":
            out, _ = self.rnn(self.embed(x))
            T, N, H = out.shape
            return self.head(out.reshape(T * N, H)).reshape(T, N, COPY_SYMBOLS)
        out, _ = self.rnn(minigrad.tensor(x, dtype=self.head.weight.dtype))
        return self.head(out[-1])

    def loss(self, x: np.ndarray, y: np.ndarray) -> Tensor:
        """MSE (adding) or mean cross-entropy per step (copy) on one batch."""
        if self.task == "copy":
            logits = self(x)
            T, N, C = logits.shape
            return cross_entropy(logits.reshape(T * N, C), y.reshape(-1))
        return mse_loss(self(x), y.astype(self.head.weight.dtype))


def _batch(task: str, T: int, batch: int, rng: np.random.Generator) -> tuple[Any, Any]:
    return adding_batch(T, batch, rng) if task == "adding" else copy_batch(T, batch, rng)


@minigrad.no_grad()
def evaluate(model: TaskModel, T: int, rng: np.random.Generator, n: int = 1000) -> float:
    """Loss on ``n`` fresh sequences (in chunks of 250), without recording a graph."""
    total, seen = 0.0, 0
    while seen < n:
        size = min(250, n - seen)
        x, y = _batch(model.task, T, size, rng)
        total += model.loss(x, y).item() * size
        seen += size
    return total / n


@dataclass
class TaskResult:
    """What a run measured: training-loss checkpoints and the held-out final loss.

    ``history`` holds ``(step, mean training loss since the previous checkpoint,
    mean gradient norm before clipping)``; ``final_loss`` is :func:`evaluate` on 1000
    fresh sequences; ``baseline`` the memoryless loss.
    """

    task: str
    cell: str
    T: int
    baseline: float
    final_loss: float = math.nan
    history: list[tuple[int, float, float]] = field(default_factory=list)
    clipped_fraction: float = 0.0


def train_task(
    task: str,
    cell: str,
    T: int,
    hidden: int = 64,
    steps: int = 1000,
    batch: int = 32,
    lr: float = 1e-3,
    clip: float | None = 1.0,
    seed: int = 0,
    log_every: int = 100,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> TaskResult:
    """Train ``cell`` on ``task`` at distance ``T`` with Adam; return a :class:`TaskResult`.

    Each step draws a fresh batch, so training loss estimates the generalisation loss.
    With ``clip``, the gradient is rescaled to norm at most ``clip`` before each update
    (``g <- g min(1, clip / ||g||)``), which keeps a single exploding step from
    throwing the weights away. Every ``log_every`` steps a line comparing the loss with
    the baseline goes to ``log`` (default: written above the progress bar).
    """
    from tqdm.auto import tqdm

    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = TaskModel(task, cell, hidden)
    params = list(model.parameters())
    opt = optim.Adam(params, lr=lr)
    result = TaskResult(task, cell, T, baseline(task, T))
    bar = tqdm(range(1, steps + 1), disable=not progress, desc=f"{task} {cell} T={T}", ncols=90)
    emit = log or bar.write
    window, norms, clipped = [], [], 0
    for step in bar:
        x, y = _batch(task, T, batch, rng)
        opt.zero_grad()
        loss = model.loss(x, y)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(params, clip if clip else math.inf)
        clipped += bool(clip) and norm > clip
        opt.step()
        window.append(loss.item())
        norms.append(norm)
        bar.set_postfix(loss=f"{window[-1]:.4f}")
        if step % log_every == 0 or step == steps:
            mean = float(np.mean(window))
            result.history.append((step, mean, float(np.mean(norms))))
            emit(
                f"step {step:6d}  loss {mean:.4f}  baseline {result.baseline:.4f}  "
                f"ratio {mean / result.baseline:.3f}  |grad| {np.mean(norms):.3g}"
            )
            window, norms = [], []
    bar.close()
    result.final_loss = evaluate(model, T, np.random.default_rng(seed + 1))
    result.clipped_fraction = clipped / max(steps, 1)
    return result
