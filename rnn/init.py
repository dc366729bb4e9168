"""Initialisations that help a recurrent layer remember: chrono, orthogonal and identity.

Each function fills the recurrent parameters of a layer (:class:`~rnn.layers.RNNBase`,
every layer and direction) or of a one-step cell (:class:`~rnn.cells.CellBase`) in
place, draws from ``generator`` (default: :func:`minigrad.rng.default_generator`, so
``minigrad.manual_seed`` makes it reproducible), keeps the dtype, and returns the module.
The weight layout is PyTorch's (gate blocks of H rows stacked in ``weight_hh``), so a
state dict initialised here loads into ``torch.nn.LSTM``/``GRU`` with the same meaning.

- :func:`chrono_` (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?").
  A gate that keeps a fraction ``k`` of the state per step remembers for about
  ``1 / (1 - k)`` steps. Drawing ``u ~ U(1, T_max - 1)`` per unit and setting the keep
  gate's bias to ``log u`` gives ``k = sigmoid(log u) = u / (1 + u) = 1 - 1 / (1 + u)``
  at zero input: characteristic times ``1 + u`` spread over ``[2, T_max]``.

  * LSTM (gates i, f, g, o): ``b_f = log u`` and ``b_i = -b_f``, so a unit that keeps
    its cell long also writes into it little (``c' = f c + i g``).
  * GRU (gates r, z, n; ``h' = (1 - z) n + z h`` as PyTorch): here ``z`` multiplies the
    old state, so ``z`` is the keep gate and ``b_z = log u``. The paper writes its gated
    unit the other way round, ``h' = g n + (1 - g) h`` with ``g`` the *write* gate, and
    sets ``b_g = -log u``; since ``z = 1 - g`` and ``1 - sigmoid(a) = sigmoid(-a)``, the
    two are the same initialisation. The GRU has no separate input gate: ``1 - z`` is it.

  The whole bias goes into ``bias_ih``; the same block of ``bias_hh`` is set to 0 (the
  gate sees their sum). The other gates' biases are left as they were.
- :func:`orthogonal_` (Saxe et al. 2014; Henaff, Szlam & LeCun 2016): every H x H gate
  block of ``weight_hh`` an independent orthogonal matrix (``Q^T Q = I``) times ``gain``,
  so at initialisation the linear part of each step neither shrinks nor grows a vector.
- :func:`identity_` (Le, Jaitly & Hinton 2015, the IRNN): every gate block ``gain * I``.
- :func:`henaff_` (Henaff, Szlam & LeCun 2016): ``W_hh`` block-diagonal with 2x2
  rotations by angles ``theta_k ~ U(-pi, pi)``, i.e. ``exp(A)`` for the skew-symmetric
  ``A`` of :func:`minigrad.nn.init.henaff_`; on a weight kept orthogonal by
  :func:`rnn.constraints.orthogonal_recurrence`, ``A`` itself is written into the
  parametrization's original (expRNN's initialisation).

:func:`initialise` applies one or more of them by name (the command line's ``--init``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeVar

import numpy as np

from minigrad import Tensor, nn, no_grad
from minigrad.rng import generator as random_generator

from .cells import CellBase
from .constraints import recurrent_weight_names
from .layers import RNNBase

__all__ = [
    "CHRONO_GATES",
    "INITS",
    "chrono_",
    "henaff_",
    "identity_",
    "initialise",
    "orthogonal_",
]

M = TypeVar("M", RNNBase, CellBase)

# Names :func:`initialise` knows; "default" keeps the layer's own U(-1/sqrt(H), 1/sqrt(H)).
INITS = ("default", "chrono", "orthogonal", "identity", "henaff")

# Cell kind -> (index of the keep gate's block, index of the input gate's block or None),
# in PyTorch's gate order: LSTM (i, f, g, o), GRU (r, z, n).
CHRONO_GATES: dict[str, tuple[int, int | None]] = {"lstm": (1, 0), "gru": (1, None)}


def _recurrent(module: RNNBase | CellBase, who: str) -> list[tuple[Tensor, ...]]:
    """(weight_hh, bias_ih, bias_hh) of every layer and direction of ``module``."""
    if isinstance(module, CellBase):
        return [(module.weight_hh, module.bias_ih, module.bias_hh)]
    if isinstance(module, RNNBase):
        return [
            module.layer_parameters(k, d)[1:]
            for k in range(module.num_layers)
            for d in range(module.num_directions)
        ]
    raise TypeError(
        f"{who}: expected a recurrent layer or cell (rnn.RNN, LSTM, GRU or a *Cell), "
        f"got {type(module).__name__}"
    )


def _refuse_parametrized(module: RNNBase | CellBase, who: str) -> None:
    """ValueError when a recurrent weight of ``module`` is computed by a parametrization
    (:func:`rnn.constraints.orthogonal_recurrence`): writing the computed weight would
    change nothing, since the next access computes it again from its original."""
    plists = module.__dict__.get("parametrizations")
    if plists is None:
        return
    for name in recurrent_weight_names(module):
        if name in plists:
            raise ValueError(
                f"{who}: {type(module).__name__}.{name} is parametrized (computed from "
                f"parametrizations.{name}.original at each use), so writing it would do "
                "nothing; initialise before adding the parametrization, or use henaff_, "
                "which sets the original"
            )


def _write(p: Tensor, values: np.ndarray) -> None:
    with no_grad():
        p.copy_(np.asarray(values, dtype=p.dtype))


def _blocks(weight: Tensor, hidden: int) -> int:
    return weight.shape[0] // hidden


def chrono_(module: M, t_max: float, generator: np.random.Generator | None = None) -> M:
    """Chrono initialisation of an LSTM or GRU (layer or cell) for dependencies of up to
    ``t_max`` steps; see the module docstring for the formulas.

    Per unit, ``u ~ U(1, T_max - 1)`` and the keep gate's bias is ``log u`` (LSTM: ``f``,
    and ``b_i = -log u``; GRU: ``z``), so the unit's characteristic time ``1 + u`` lies
    in ``[2, T_max]``. Needs biases and ``t_max > 2``; raises ValueError otherwise and
    for a cell kind other than lstm and gru.
    """
    name = module.kind.name if isinstance(module, RNNBase | CellBase) else None
    if name not in CHRONO_GATES:
        raise ValueError(f"chrono_: defined for lstm and gru cells, got {name or module!r}")
    if not math.isfinite(t_max) or t_max <= 2:
        raise ValueError(f"chrono_: t_max must be a finite number > 2, got {t_max}")
    if not module.bias:
        raise ValueError("chrono_: the module has no biases (bias=False)")
    keep, write = CHRONO_GATES[name]
    rng = random_generator(generator)
    H = module.hidden_size
    for _, b_ih, b_hh in _recurrent(module, "chrono_"):
        b = np.log(rng.uniform(1.0, t_max - 1.0, H))
        ih, hh = b_ih.data.copy(), b_hh.data.copy()
        ih[keep * H : (keep + 1) * H], hh[keep * H : (keep + 1) * H] = b, 0.0
        if write is not None:
            ih[write * H : (write + 1) * H], hh[write * H : (write + 1) * H] = -b, 0.0
        _write(b_ih, ih)
        _write(b_hh, hh)
    return module


def orthogonal_(module: M, gain: float = 1.0, generator: np.random.Generator | None = None) -> M:
    """Each H x H gate block of every ``weight_hh`` an independent orthogonal matrix times
    ``gain``: ``W_g = gain * Q_g`` with ``Q_g^T Q_g = I``.

    ``Q_g`` is the Q factor of an H x H standard Gaussian matrix with its columns' signs
    fixed by ``sign(diag(R))``, which makes it uniformly (Haar) distributed, as
    :func:`minigrad.nn.init.orthogonal_`.
    """
    rng = random_generator(generator)
    _refuse_parametrized(module, "orthogonal_")
    for w, _, _ in _recurrent(module, "orthogonal_"):
        H = w.shape[1]
        blocks = []
        for _ in range(_blocks(w, H)):
            q, r = np.linalg.qr(rng.standard_normal((H, H)))
            blocks.append(q * np.sign(np.diag(r)))
        _write(w, gain * np.concatenate(blocks))
    return module


def identity_(module: M, gain: float = 1.0) -> M:
    """Each H x H gate block of every ``weight_hh`` equal to ``gain * I`` (the IRNN's
    recurrent weights for a ReLU ``RNN``: ``h_t = relu(W_ih x_t + b + h_{t-1})``)."""
    _refuse_parametrized(module, "identity_")
    for w, _, _ in _recurrent(module, "identity_"):
        H = w.shape[1]
        _write(w, gain * np.tile(np.eye(H), (_blocks(w, H), 1)))
    return module


def henaff_(module: M, generator: np.random.Generator | None = None) -> M:
    """Henaff's rotations in every square ``weight_hh``: with ``A`` block-diagonal 2x2
    ``[[0, theta_k], [-theta_k, 0]]``, ``theta_k ~ U(-pi, pi)``, the weight becomes
    ``exp(A)`` (2x2 rotations by ``theta_k``), or, when the weight is parametrized as
    orthogonal, its original becomes ``A`` (so ``W_hh = exp(A)`` as well, and training
    moves ``A``). ValueError for a cell kind with several gate blocks.
    """
    for w, _, _ in _recurrent(module, "henaff_"):
        if w.shape[0] != w.shape[1]:
            raise ValueError(
                f"henaff_: Henaff's rotations need a square weight_hh (one gate block: the "
                f"rnn and irnn cells), got {w.shape} in {type(module).__name__}"
            )
    names = recurrent_weight_names(module)
    for name in names:
        plists = module.__dict__.get("parametrizations")
        if plists is not None and name in plists:
            nn.init.henaff_(plists[name].original, generator)
        else:
            w = getattr(module, name)
            a = nn.init.henaff_(np.zeros(w.shape), generator)
            _write(w, _rotations(a))
    return module


def _rotations(a: np.ndarray) -> np.ndarray:
    """exp(A) for A block-diagonal with 2x2 blocks [[0, t], [-t, 0]]: [[cos t, sin t],
    [-sin t, cos t]] on the same blocks, 1 on a trailing odd diagonal entry."""
    n = a.shape[0]
    w = np.eye(n)
    k = np.arange(n // 2)
    theta = a[2 * k, 2 * k + 1]
    w[2 * k, 2 * k] = w[2 * k + 1, 2 * k + 1] = np.cos(theta)
    w[2 * k, 2 * k + 1], w[2 * k + 1, 2 * k] = np.sin(theta), -np.sin(theta)
    return w


def initialise(
    module: M,
    names: str | Iterable[str],
    t_max: float | None = None,
    generator: np.random.Generator | None = None,
) -> M:
    """Apply the initialisations ``names`` (from :data:`INITS`, in the order given) to
    ``module``: ``"chrono"`` needs ``t_max``; ``"default"`` changes nothing. ValueError
    for an unknown name, naming the known ones."""
    for name in [names] if isinstance(names, str) else list(names):
        if name == "chrono":
            if t_max is None:
                raise ValueError("initialise: 'chrono' needs t_max")
            chrono_(module, t_max, generator)
        elif name == "orthogonal":
            orthogonal_(module, generator=generator)
        elif name == "identity":
            identity_(module)
        elif name == "henaff":
            henaff_(module, generator)
        elif name != "default":
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {name!r}")
    return module
