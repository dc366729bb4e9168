"""How far back does the gradient reach? ‖∂L/∂h_t‖ against the distance T − t.

For a loss L at the last step of a sequence of length T, backpropagation through time
carries the gradient back one step at a time. For a tanh RNN,
``h_t = tanh(a_t)`` with ``a_t = W_ih x_t + b + W_hh h_{t-1}``, so

    ∂L/∂h_{t-1} = W_hh^T diag(tanh'(a_t)) ∂L/∂h_t,    tanh'(a) = 1 - tanh(a)^2 ≤ 1,

and ``‖∂L/∂h_t‖ ≤ (‖W_hh‖_2)^{T-t} ‖∂L/∂h_T‖``: with the recurrent weights' largest
singular value below 1 the gradient vanishes geometrically with distance; above 1 it
can grow (until tanh saturates and tanh' shrinks it again). A ReLU RNN with
``W_hh = I`` (IRNN) has Jacobian ``diag(relu'(a_t)) ∈ {0, 1}`` at initialisation; an
orthogonal ``W_hh`` has all singular values 1. The LSTM adds an additive path through
its cell, ``∂c_t/∂c_{t-1} = diag(f_t)``, and the GRU one through
``h_t = (1 - z_t) n_t + z_t h_{t-1}``, so their gradient decays by gate values rather
than by products of weight matrices.

:func:`measure` builds each model, records the profile at initialisation, then after a
short training on the adding task (with and without gradient-norm clipping), and
returns plain data; :func:`format_table` prints it and :func:`plot` draws it (needs the
optional ``plots`` extra, matplotlib).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import minigrad
from minigrad import nn, optim

from ..layers import RNNBase
from .memory import recurrent_bytes, require
from .models import irnn, make_layer
from .progress import bar as progress_bar
from .step import Diverged, train_step
from .tasks import ADDING_BASELINE, adding_batch

__all__ = ["MODELS", "Curve", "Study", "format_table", "gradient_profile", "measure", "plot"]


def _orthogonal(scale: float) -> Callable[[int], RNNBase]:
    def build(hidden: int) -> RNNBase:
        layer = make_layer("rnn", 2, hidden)
        nn.init.orthogonal_(layer.weight_hh_l0, gain=scale)
        return layer

    return build


# name -> builder of a one-layer recurrent layer with input size 2 (the adding task).
MODELS: dict[str, Callable[[int], RNNBase]] = {
    "tanh": lambda hidden: make_layer("rnn", 2, hidden),
    "tanh-orth-0.5": _orthogonal(0.5),
    "tanh-orth-1.0": _orthogonal(1.0),
    "tanh-orth-1.5": _orthogonal(1.5),
    "irnn": lambda hidden: irnn(2, hidden),
    "lstm": lambda hidden: make_layer("lstm", 2, hidden),
    "gru": lambda hidden: make_layer("gru", 2, hidden),
}

STAGES = ("init", "trained", "trained+clip")


@dataclass
class Curve:
    """One profile: ``norms[k]`` is the mean over the batch of ‖∂L_n/∂h_t‖ at distance
    ``k = T - t`` (k = 0 is the last step). ``loss`` is the adding-task MSE on a fresh
    batch when the profile was taken; ``max_grad_norm`` and ``clipped`` describe the
    training that led here (empty for ``init``); ``note`` says if training diverged."""

    model: str
    stage: str
    norms: list[float]
    loss: float
    max_grad_norm: float = math.nan
    clipped: float = 0.0
    note: str = ""

    @property
    def ratio(self) -> float:
        """‖∂L/∂h_1‖ / ‖∂L/∂h_T‖: how much of the gradient survives T − 1 steps back."""
        return self.norms[-1] / self.norms[0] if self.norms[0] else math.nan


@dataclass
class Study:
    """Every curve of one :func:`measure` call and the settings that produced it."""

    T: int
    hidden: int
    train_steps: int
    lr: float
    clip: float | None
    seed: int
    curves: list[Curve] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: settings, and per curve its norms and ratio; a value that is not
        a finite number (a norm that overflowed, a measure not taken) becomes None."""
        d = asdict(self)
        for c, row in zip(self.curves, d["curves"], strict=True):
            row["ratio"] = c.ratio
        return _finite(d)


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (strict JSON)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def gradient_profile(
    layer: RNNBase, head: nn.Linear, x: np.ndarray, y: np.ndarray
) -> tuple[list[float], float]:
    """‖∂L_n/∂h_t‖ averaged over the batch, for t = T, T-1, ..., 1, and the MSE.

    ``x`` (T, N, 2), ``y`` (N, 1); L_n = (head(h_T) - y_n)^2 is each sequence's own
    loss (so the norms do not shrink with the batch size). For an LSTM, h_t is the
    hidden output, not the cell.
    """
    run = layer.run(minigrad.tensor(x, dtype=layer.dtype), keep_steps=True)
    states = [s[0] if isinstance(s, tuple) else s for s in run.steps[(0, 0)]]
    err = head(states[-1]) - y.astype(layer.dtype)
    loss = (err * err).sum()
    grads = minigrad.grad(loss, states)
    norms = [float(np.linalg.norm(g, axis=1).mean()) for g in reversed(grads)]
    return norms, float((err.data**2).mean())


def _train(
    layer: RNNBase,
    head: nn.Linear,
    steps: int,
    lr: float,
    clip: float | None,
    T: int,
    batch: int,
    rng: np.random.Generator,
    bar: str | None = None,
) -> tuple[float, float, str]:
    """Adam on the adding task; returns (max gradient norm, fraction clipped, note).
    ``bar``: the description of a progress bar on stderr (None: no bar)."""
    opt = optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=lr)
    biggest, clipped = 0.0, 0
    with progress_bar(steps, desc=bar, enabled=bar is not None) as shown:
        for step in range(1, steps + 1):
            x, y = adding_batch(T, batch, rng)
            out = head(layer(minigrad.tensor(x, dtype=layer.dtype))[0][-1])
            try:
                done = train_step(((out - y.astype(layer.dtype)) ** 2).mean(), opt, clip)
            except Diverged:
                return math.inf, clipped / step, f"diverged at step {step}"
            biggest = max(biggest, done.grad_norm)
            clipped += bool(clip) and done.grad_norm > clip
            shown.update(1)
    return biggest, clipped / max(steps, 1), ""


def measure(
    T: int = 100,
    hidden: int = 32,
    train_steps: int = 200,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    seed: int = 0,
    models: Sequence[str] | None = None,
    eval_batch: int = 64,
    progress: Callable[[str], None] | None = None,
    bars: bool = False,
) -> Study:
    """Gradient profiles of each model at init and after ``train_steps`` of Adam on the
    adding task (batches of 32), once without clipping and (if ``clip``) once with
    ‖g‖ ≤ ``clip``. Profiles are averaged over ``eval_batch`` sequences.

    Every model of a seed starts from the same weights in both trainings, and every
    profile is taken on the same evaluation batch, so the curves differ only by what
    the model is. ``train_steps=0`` measures at initialisation only. ``progress`` is
    called with each model's name as it starts; ``bars`` shows a progress bar (stderr)
    for each training. Sizes that cannot fit in memory raise ``ValueError``.
    """
    names = list(MODELS) if models is None else list(models)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    size = recurrent_bytes(
        gates=4, input_size=2, hidden=hidden, steps=T, batch=max(32, eval_batch), itemsize=8
    )
    require(size, f"the study (--T {T}, --hidden {hidden})")
    study = Study(T, hidden, train_steps, lr, clip, seed)
    x, y = adding_batch(T, eval_batch, np.random.default_rng(seed + 10_000))
    runs = [("trained", None)] + ([("trained+clip", clip)] if clip else [])
    # float64: a norm of 1e-60 is a measurement, not an underflow to 0 as in float32.
    # Diverging runs overflow on purpose (the point of comparing with clipping).
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype(np.float64)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            _measure_models(study, names, x, y, runs, batch=32, progress=progress, bars=bars)
    finally:
        minigrad.set_default_dtype(previous)
    return study


def _measure_models(
    study: Study,
    names: list[str],
    x: np.ndarray,
    y: np.ndarray,
    runs: list[tuple[str, float | None]],
    batch: int,
    progress: Callable[[str], None] | None,
    bars: bool = False,
) -> None:
    T, hidden, train_steps, lr, seed = (
        study.T,
        study.hidden,
        study.train_steps,
        study.lr,
        study.seed,
    )
    for name in names:
        if progress:
            progress(name)
        minigrad.manual_seed(seed)
        layer, head = MODELS[name](hidden), nn.Linear(hidden, 1)
        start = (layer.state_dict(), head.state_dict())
        study.curves.append(Curve(name, "init", *gradient_profile(layer, head, x, y)))
        if train_steps <= 0:
            continue
        for stage, max_norm in runs:
            layer.load_state_dict(start[0])
            head.load_state_dict(start[1])
            rng = np.random.default_rng(seed)
            bar = f"{name} {stage}" if bars else None
            biggest, frac, note = _train(layer, head, train_steps, lr, max_norm, T, batch, rng, bar)
            norms, loss = gradient_profile(layer, head, x, y)
            if not note and norms[-1] == 0.0:
                note = "no gradient reaches t=1 (dead units)"
            study.curves.append(Curve(name, stage, norms, loss, biggest, frac, note))


def _fmt(v: float) -> str:
    return f"{v:9.2e}" if math.isfinite(v) else f"{v!s:>9}"


def format_table(study: Study) -> str:
    """A text table: one row per curve with ‖∂L/∂h_t‖ at t = T, T/2 and 1, their
    ratio ‖∂L/∂h_1‖/‖∂L/∂h_T‖, the MSE (baseline 1/6) and the training's gradient norms."""
    T = study.T
    mid = T // 2
    head = (
        f"{'model':<14}{'stage':<14}{'t=T':>9} {f't={T - mid}':>9} {'t=1':>9} "
        f"{'ratio 1/T':>9}  {'MSE':>7}  {'max|g|':>9} {'clipped':>7}  note"
    )
    lines = [
        f"‖∂L/∂h_t‖ for a loss at step T={T} (adding task, hidden {study.hidden}, "
        f"{study.train_steps} Adam steps at lr {study.lr}, clip {study.clip or 'off'}, "
        f"seed {study.seed}); MSE baseline {ADDING_BASELINE:.3f}",
        head,
        "-" * len(head),
    ]
    for c in study.curves:
        trained = c.stage != "init"
        lines.append(
            f"{c.model:<14}{c.stage:<14}{_fmt(c.norms[0])} {_fmt(c.norms[mid])} "
            f"{_fmt(c.norms[-1])} {_fmt(c.ratio)}  {c.loss:7.4f}  "
            f"{_fmt(c.max_grad_norm) if trained else ' ' * 9} "
            f"{f'{c.clipped:6.0%}' if trained else ' ' * 6}   {c.note}".rstrip()
        )
    return "\n".join(lines)


PLOTS_HINT = "plotting needs matplotlib: pip install 'minigrad[plots]' (or pip install matplotlib)"


def plot(study: Study, path: str) -> None:
    """Draw ‖∂L/∂h_t‖ against T − t on a log scale, one panel per stage, and save to
    ``path`` (the format follows the suffix: .png, .svg, .pdf).

    Raises ``ImportError`` with an install hint when matplotlib is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(PLOTS_HINT) from exc
    stages = [s for s in STAGES if any(c.stage == s for c in study.curves)]
    fig, axes = plt.subplots(1, len(stages), figsize=(5 * len(stages), 4), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, stage in zip(axes, stages, strict=True):
        for c in (c for c in study.curves if c.stage == stage):
            norms = np.array(c.norms)
            ok = np.isfinite(norms) & (norms > 0)
            ax.plot(np.arange(len(norms))[ok], norms[ok], label=c.model)
        ax.set_yscale("log")
        ax.set_title(stage if stage == "init" else f"{stage} ({study.train_steps} steps)")
        ax.set_xlabel("distance T − t")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("‖∂L/∂h_t‖")
    axes[-1].legend(fontsize="small")
    fig.suptitle(f"gradient flow, adding task, T={study.T}, hidden {study.hidden}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
