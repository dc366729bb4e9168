"""Long-dependency tasks, and training recurrent cells on them.

Two tasks need information from far back in the sequence, so they separate cells that
carry gradient across many steps (LSTM, GRU, well-initialised RNNs) from those whose
gradient vanishes (a plain tanh RNN). Each comes with the loss of the best
*memoryless* predictor, the baseline a model must beat to show it remembers:

- adding: ``y_hat = w . h_T + b`` read from the last state, loss MSE against the sum of
  the two marked values; the memoryless predictor (always 1) scores 1/6;
- copy: ``logits_t = W h_t + b`` at every step, loss the mean cross-entropy per step;
  the memoryless strategy scores ``n_copy ln 8 / (T + 2 n_copy)``.

Cells are ``rnn`` (tanh, PyTorch's default init), ``lstm``, ``gru`` and ``irnn``
(:func:`rnn.app.models.irnn`: a ReLU RNN with ``W_hh = I``, which starts as an
integrator that neither forgets nor vanishes).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor, nn, optim
from minigrad.functional import cross_entropy, mse_loss

from ..cells import CELL_KINDS
from ..constraints import orthogonal_recurrence
from ..init import initialise
from .memory import recurrent_bytes, require
from .models import CONFIGURATIONS, cell_gates, make_cell
from .progress import bar as progress_bar
from .progress import write
from .step import loss_function, train_step

__all__ = [
    "ADDING_BASELINE",
    "CELLS",
    "COPY_SYMBOLS",
    "OPTIMIZERS",
    "TASKS",
    "TaskModel",
    "TaskResult",
    "adding_batch",
    "baseline",
    "copy_baseline",
    "copy_batch",
    "evaluate",
    "make_cell",
    "train_task",
]

# The cell kinds and the named configurations (the IRNN).
CELLS = (*CELL_KINDS, *CONFIGURATIONS)
TASKS = ("adding", "copy")
OPTIMIZERS = {"adam": optim.Adam, "rmsprop": optim.RMSprop, "sgd": optim.SGD}

# Predicting 1 for a sum of two U(0, 1) values scores its variance, 2 * 1/12.
ADDING_BASELINE = 1.0 / 6.0

# Copy task alphabet: 0 blank, 1..8 data symbols, 9 the "now recall" delimiter.
COPY_SYMBOLS = 10
_BLANK, _DELIM, _N_DATA = 0, 9, 8


def adding_batch(T: int, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: x (T, batch, 2), y (batch, 1).

    Channel 0 holds values from U(0, 1); channel 1 marks two positions, one in each half
    of the sequence. The target is the sum of the two marked values, known only at the
    end, so the first mark must be remembered for up to T steps. Always predicting 1
    scores mean squared error 1/6 (:data:`ADDING_BASELINE`).
    """
    if T < 2:
        raise ValueError(f"adding_batch: T must be at least 2, got {T}")
    values = rng.random((T, batch))
    marks = np.zeros((T, batch))
    first = rng.integers(0, T // 2, batch)
    second = rng.integers(T // 2, T, batch)
    cols = np.arange(batch)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    y = (values[first, cols] + values[second, cols])[:, None]
    return np.stack([values, marks], axis=2), y


def copy_batch(
    T: int, batch: int, rng: np.random.Generator, n_copy: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """The copy-memory task: ids x and targets y, both (T + 2 * n_copy, batch).

    Input: ``n_copy`` random data symbols (1..8), ``T - 1`` blanks, the delimiter, then
    ``n_copy`` blanks. Target: blanks for the first ``T + n_copy`` steps, then the data
    symbols again. The symbols must be held for T steps.
    """
    if T < 1:
        raise ValueError(f"copy_batch: T must be at least 1, got {T}")
    total = T + 2 * n_copy
    data = rng.integers(1, _N_DATA + 1, (n_copy, batch))
    x = np.full((total, batch), _BLANK, dtype=np.int64)
    y = np.full((total, batch), _BLANK, dtype=np.int64)
    x[:n_copy] = data
    x[n_copy + T - 1] = _DELIM
    y[-n_copy:] = data
    return x, y


def copy_baseline(T: int, n_copy: int = 10) -> float:
    """Cross-entropy per step of the memoryless strategy: blanks until the delimiter,
    then a uniform guess over the 8 symbols: ``n_copy * ln 8 / (T + 2 n_copy)``."""
    return n_copy * math.log(_N_DATA) / (T + 2 * n_copy)


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

    ``init`` names initialisations of the recurrent layer from :data:`rnn.init.INITS`
    (applied in order after the layer's own); ``"chrono"`` needs ``t_max``.
    ``orthogonal`` (a map of :data:`rnn.constraints.ORTHOGONAL_MAPS`, e.g.
    ``"matrix_exp"``) keeps ``W_hh`` orthogonal during training
    (:func:`rnn.constraints.orthogonal_recurrence`), applied before ``init`` so that
    ``"henaff"`` initialises the skew-symmetric ``A`` of ``W_hh = exp(A)``.
    ``nonlinearity`` (``rnn`` cell only) is tanh (default), relu or modrelu.
    """

    def __init__(
        self,
        task: str,
        cell: str,
        hidden_size: int,
        init: str | Sequence[str] = "default",
        t_max: float | None = None,
        orthogonal: str | None = None,
        nonlinearity: str | None = None,
    ) -> None:
        super().__init__()
        baseline(task, 1)  # validates the name
        self.task = task
        inputs = COPY_SYMBOLS if task == "copy" else 2
        if task == "copy":
            self.embed = nn.Embedding(COPY_SYMBOLS, COPY_SYMBOLS)
            nn.init.eye_(self.embed.weight)
        layer = make_cell(cell, inputs, hidden_size, nonlinearity=nonlinearity)
        if orthogonal is not None:
            orthogonal_recurrence(layer, orthogonal)
        self.rnn = initialise(layer, init, t_max)
        self.head = nn.Linear(hidden_size, COPY_SYMBOLS if task == "copy" else 1)

    def forward(self, x: Any) -> Tensor:
        if self.task == "copy":
            out, _ = self.rnn(self.embed(x))
            T, N, H = out.shape
            return self.head(out.reshape(T * N, H)).reshape(T, N, COPY_SYMBOLS)
        dtype = self.head.weight.dtype
        x = x if isinstance(x, Tensor) else minigrad.tensor(x)
        out, _ = self.rnn(x if x.dtype == dtype else x.astype(dtype))
        return self.head(out[-1])

    def loss(self, x: Any, y: Any) -> Tensor:
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
    fresh sequences; ``baseline`` the memoryless loss; ``model`` the trained model;
    ``steps`` the steps taken (fewer than asked when a time limit stopped the run);
    ``wall`` and ``cpu`` the seconds of training and evaluation, elapsed and spent by
    this process (user + system), and ``load`` the 1-minute load average at the end;
    ``times`` the (wall, CPU) seconds at each ``history`` entry.
    """

    task: str
    cell: str
    T: int
    baseline: float
    final_loss: float = math.nan
    history: list[tuple[int, float, float]] = field(default_factory=list)
    clipped_fraction: float = 0.0
    model: TaskModel | None = None
    steps: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    load: float = math.nan
    times: list[tuple[float, float]] = field(default_factory=list)


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
    eager: bool = False,
    init: str | Sequence[str] = "default",
    t_max: float | None = None,
    optimizer: str = "adam",
    cpu_limit: float | None = None,
    on_window: Callable[[TaskResult], None] | None = None,
    orthogonal: str | None = None,
    nonlinearity: str | None = None,
) -> TaskResult:
    """Train ``cell`` on ``task`` at distance ``T``; return a :class:`TaskResult`.

    Each step draws a fresh batch, so training loss estimates the generalisation loss.
    ``optimizer`` is a name of :data:`OPTIMIZERS` (Adam, RMSprop or plain SGD) with step
    size ``lr``. ``init`` names initialisations of the recurrent layer
    (:func:`rnn.init.initialise`); ``t_max`` (chrono's longest time scale) defaults to
    the sequence length, ``T + 20`` for copy and ``T`` for adding; ``orthogonal``
    keeps ``W_hh`` orthogonal and ``nonlinearity`` picks the rnn cell's (see
    :class:`TaskModel`). With ``clip``, the
    gradient is rescaled to norm at most ``clip`` before each update
    (``g <- g min(1, clip / ||g||)``), which keeps a single exploding step from throwing
    the weights away. Every ``log_every`` steps a line comparing the loss with the
    baseline goes to ``log`` (default: written above the progress bar). ``cpu_limit``
    (seconds of this process's CPU time) ends training early, after a whole
    ``log_every`` window; ``on_window(result)`` is called after each window (to save a
    partial learning curve, say). A NaN or infinite loss, gradient or weight raises
    :class:`rnn.app.step.Diverged`. The step is compiled
    (:func:`~rnn.app.step.loss_function`) unless ``eager``.
    """
    _require_memory(task, cell, T, hidden, batch)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if t_max is None:
        t_max = T + 2 * 10 if task == "copy" else T
    model = TaskModel(task, cell, hidden, init, t_max, orthogonal, nonlinearity)
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    loss = loss_function(model.loss, eager)
    result = TaskResult(task, cell, T, baseline(task, T))
    bar = progress_bar(steps, desc=f"{task} {cell} T={T}", enabled=progress)
    emit = log or write
    window: list[float] = []
    norms: list[float] = []
    clipped = 0
    with bar:
        for step in range(1, steps + 1):
            x, y = _batch(task, T, batch, rng)
            # A diverging run overflows on its way to the non-finite loss that stops it.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                done = train_step(loss(Tensor(x), Tensor(y)), opt, clip, number=step)
            clipped += bool(clip) and done.grad_norm > clip
            window.append(done.loss)
            norms.append(done.grad_norm)
            bar.update(1)
            bar.set_postfix(loss=f"{done.loss:.4f}", refresh=False)
            result.steps = step
            if step % log_every == 0 or step == steps:
                result.history.append(_log_window(step, window, norms, result.baseline, emit))
                window, norms = [], []
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                result.times.append((wall, cpu))
                if on_window is not None:
                    on_window(result)
                if cpu_limit is not None and cpu >= cpu_limit:
                    break
    result.final_loss = evaluate(model, T, np.random.default_rng(seed + 1))
    result.clipped_fraction = clipped / max(result.steps, 1)
    result.model = model
    result.wall, result.cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result.load = os.getloadavg()[0]
    return result


def _require_memory(task: str, cell: str, T: int, hidden: int, batch: int) -> None:
    """Refuse (ValueError) sizes whose training cannot fit in memory."""
    copy = task == "copy"
    size = recurrent_bytes(
        gates=cell_gates(cell),
        input_size=COPY_SYMBOLS if copy else 2,
        hidden=hidden,
        steps=T + 2 * 10 if copy else T,
        batch=max(batch, 250),  # evaluation runs batches of 250
        itemsize=8,
    )
    require(size, f"the {task} task (--T {T}, --hidden {hidden}, --batch {batch})")


def _log_window(
    step: int,
    losses: list[float],
    norms: list[float],
    baseline: float,
    emit: Callable[[str], None],
) -> tuple[int, float, float]:
    """Report the mean loss and gradient norm since the last report; returns the
    history entry (step, mean loss, mean norm)."""
    mean, norm = float(np.mean(losses)), float(np.mean(norms))
    emit(
        f"step {step:6d}  loss {mean:.4f}  baseline {baseline:.4f}  "
        f"ratio {mean / baseline:.3f}  |grad| {norm:.3g}"
    )
    return step, mean, norm
