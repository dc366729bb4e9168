"""The dynamics study: a recurrent layer's step as a dynamical system (see :mod:`rnn.dynamics`).

For one model and one input sequence it measures

- the Lyapunov spectrum (growth rates per step of the tangent directions);
- the singular values of the products J_T ⋯ J_{T-k+1} against k, which carry ∂L/∂s_T back
  to ∂L/∂s_{T-k}, beside the gradient norms ‖∂L/∂h_{T-k}‖ that ``rnn gradflow`` measures
  (:func:`rnn.app.gradflow.gradient_profile`) on the same layer;
- fixed points under a constant input, started from states the trajectory visits,
  with the eigenvalues of their Jacobians.

A model is built as in ``rnn task`` (:func:`rnn.app.tasks.make_cell`: tanh RNN, LSTM, GRU
or IRNN) with an optional remedy for the recurrent weights, or read from a checkpoint of
``rnn train`` (the char-LM's recurrent layer, driven by text it samples itself) or of
``rnn task --save`` (driven by the task's inputs). :func:`format_table` prints results
and :mod:`rnn.app.dynamics_plots` draws them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import minigrad
from minigrad import nn

from .. import dynamics
from ..init import orthogonal_
from ..layers import RNNBase
from .data import Vocabulary
from .gradflow import gradient_profile
from .models import CharLM
from .tasks import TaskModel, adding_batch, copy_batch, make_cell

__all__ = [
    "INITS",
    "Analysis",
    "Subject",
    "analyse",
    "build",
    "char_subject",
    "format_table",
    "from_checkpoint",
    "task_subject",
]

INITS = ("default", "orthogonal")

# An exponent counts as positive above this: an exact 0 (a direction kept as it is, as
# the IRNN's active units do) comes out of the QR steps as ±1e-16 or so.
POSITIVE = 1e-6

# Product lengths k (spread geometrically over 1..T) whose singular values are computed.
PRODUCTS = 12

# Sequences over which the gradient norms are averaged (gradflow's measure).
GRADIENT_BATCH = 16


@dataclass
class Subject:
    """A layer to analyse with its inputs: ``x`` (T, N, I) (sequence 0 drives the
    Jacobians, all N the gradient norms), ``x_const`` (I,) the constant input for fixed
    points, and a ``name`` for tables and legends."""

    name: str
    layer: RNNBase
    x: np.ndarray
    x_const: np.ndarray


@dataclass
class Analysis:
    """What :func:`analyse` measured for one :class:`Subject`."""

    name: str
    dim: int
    exponents: np.ndarray
    products: dynamics.ProductSpectrum
    gradient_norms: np.ndarray  # ‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖, k = 0..T-1
    fixed: dynamics.FixedPoints


def _remedy(layer: RNNBase, init: str, scale: float) -> None:
    """``orthogonal``: each gate block of W_hh an orthogonal matrix
    (:func:`rnn.init.orthogonal_`); then W_hh *= scale."""
    w = layer.weight_hh_l0
    if init == "orthogonal":
        orthogonal_(layer)
    elif init != "default":
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    w.data *= scale


def build(
    cell: str, hidden: int, T: int, init: str = "default", scale: float = 1.0, seed: int = 0
) -> Subject:
    """A fresh float64 layer of ``cell`` ("rnn", "lstm", "gru", "irnn") with input size 2,
    driven by adding-task sequences of length T; the constant input is an unmarked 0.5."""
    minigrad.manual_seed(seed)
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype(np.float64)
    try:
        layer = make_cell(cell, 2, hidden)
    finally:
        minigrad.set_default_dtype(previous)
    _remedy(layer, init, scale)
    x, _ = adding_batch(T, GRADIENT_BATCH, np.random.default_rng(seed))
    name = cell if (init, scale) == ("default", 1.0) else f"{cell} {init} x{scale:g}"
    return Subject(name, layer, x, np.array([0.5, 0.0]))


def task_subject(model: TaskModel, name: str, T: int, seed: int = 0) -> Subject:
    """The recurrent layer of a :class:`~rnn.app.tasks.TaskModel`, driven by its task's
    inputs (the copy task's ids through the model's embedding); the constant input is an
    unmarked 0.5 (adding) or the blank (copy)."""
    rng = np.random.default_rng(seed)
    if model.task == "adding":
        x, _ = adding_batch(T, GRADIENT_BATCH, rng)
        return Subject(name, model.rnn, x, np.array([0.5, 0.0]))
    ids, _ = copy_batch(T, GRADIENT_BATCH, rng)
    blank = model.embed(np.array([0])).data[0]
    return Subject(name, model.rnn, model.embed(ids).data, blank)


def char_subject(model: CharLM, vocab: Vocabulary, name: str, T: int, seed: int = 0) -> Subject:
    """The recurrent layer of a one-layer :class:`~rnn.app.models.CharLM`, driven by the
    embeddings of T characters it samples itself after a space (the constant input of the
    fixed points); ValueError for a model with more layers."""
    if model.rnn.num_layers != 1:
        raise ValueError(f"the model has {model.rnn.num_layers} layers; dynamics studies one layer")
    start = vocab.chars.index(" ") if " " in vocab.chars else 0
    rng = np.random.default_rng(seed)
    ids = np.concatenate([[start], model.sample(np.array([start]), T - 1, generator=rng)])
    x = model.embed(ids[:, None]).data
    return Subject(name, model.rnn, x, model.embed(np.array([start])).data[0])


def from_checkpoint(path: str, T: int, seed: int = 0) -> Subject:
    """The recurrent layer of a checkpoint of ``rnn train`` (:func:`char_subject`) or of
    ``rnn task --save`` (:func:`task_subject`). ValueError (one line, naming the file)
    when the file is not such a checkpoint or its model has more than one layer."""
    from .checkpoint import load_checkpoint, model_from_checkpoint
    from .taskfile import is_task_checkpoint, load_task_model, read

    state = read(path)
    if is_task_checkpoint(state):
        model, config = load_task_model(state, path)
        return task_subject(model, f"{config['cell']} ({config['task']})", T, seed)
    model, vocab = model_from_checkpoint(load_checkpoint(path))
    try:
        return char_subject(model, vocab, f"char-{model.cell}", T, seed)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _starts(states: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` states visited by the trajectory, slightly perturbed."""
    picks = states[rng.integers(1, len(states), count)]
    return picks + 0.01 * rng.standard_normal(picks.shape)


def analyse(
    subject: Subject,
    k: int | None = None,
    starts: int = 64,
    seed: int = 0,
    stage: Callable[[str], None] | None = None,
) -> Analysis:
    """Exponents (top ``k``, all when None), product spectra anchored at the end, gradient
    norms and fixed points from ``starts`` visited states; ``stage`` is told each part."""
    stage = stage or (lambda _: None)
    layer, x0 = subject.layer, subject.x[:, 0]
    fmap = dynamics.step_map(layer)
    stage("Lyapunov spectrum")
    exponents = dynamics.lyapunov_spectrum(fmap, x0, k=k)
    stage("Jacobian products")
    ks = np.unique(np.geomspace(1, len(x0), num=min(len(x0), PRODUCTS)).round().astype(int))
    products = dynamics.jacobian_product_spectrum(fmap, x0, distances=ks, anchor="end")
    stage("gradient norms")
    norms = _gradient_norms(layer, subject.x)
    stage("fixed points")
    rng = np.random.default_rng(seed)
    states = dynamics.trajectory(fmap, x0)
    fixed = dynamics.fixed_points(fmap, subject.x_const, _starts(states, starts, rng))
    return Analysis(subject.name, fmap.dim, exponents, products, norms, fixed)


def _gradient_norms(layer: RNNBase, x: np.ndarray) -> np.ndarray:
    """gradflow's ‖∂L/∂h_{T-k}‖ for a random linear readout of h_T, relative to k = 0,
    in float64 (on a float64 copy of the layer) so that small norms do not underflow."""
    layer = copy.deepcopy(layer)
    for p in layer.parameters():
        p.data = p.data.astype(np.float64)
    head = nn.Linear(layer.hidden_size, 1, dtype=np.float64)
    y = np.zeros((x.shape[1], 1))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        norms, _ = gradient_profile(layer, head, x.astype(np.float64), y)
    norms = np.array(norms)
    return norms / norms[0] if norms[0] else norms


def _fmt(v: float) -> str:
    return f"{v:+8.4f}" if math.isfinite(v) else f"{v!s:>8}"


def format_table(analyses: list[Analysis]) -> str:
    """One row per analysis: D, λ_max, λ_min, Σλ, how many λ > 1e-6, log σ_max of the product
    over the whole sequence and the gradient ratio beside it, fixed points found."""
    head = (
        f"{'model':<22}{'D':>4} {'λ_max':>8} {'λ_min':>8} {'Σλ':>9} {'λ>0':>4}  "
        f"{'log σ_max(T)':>12} {'log ‖g_1‖/‖g_T‖':>15}  fixed points"
    )
    lines = ["Lyapunov exponents in nats per step; products J_T⋯J_1 over the whole sequence", head]
    lines.append("-" * len(head))
    for a in analyses:
        lam = a.exponents
        sigma = a.products.log_singular_values[-1, 0]
        with np.errstate(divide="ignore"):
            ratio = float(np.log(a.gradient_norms[-1]))
        n_stable = int(a.fixed.stable.sum())
        fixed = (
            f"{len(a.fixed.points)} ({n_stable} stable, {len(a.fixed.points) - n_stable} unstable)"
        )
        lines.append(
            f"{a.name:<22}{a.dim:>4} {_fmt(lam[0])} {_fmt(lam[-1])} {lam.sum():+9.3f} "
            f"{int((lam > POSITIVE).sum()):>4}  {sigma:12.2f} {ratio:15.2f}  {fixed}"
        )
    return "\n".join(lines)
