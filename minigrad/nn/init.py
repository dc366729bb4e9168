"""Parameter initialisation, in place, with PyTorch's names, defaults and formulas.

Every function fills ``t`` (a Tensor or ndarray) in place under ``no_grad``, keeps its
dtype, draws from ``generator`` (default: :func:`minigrad.rng.default_generator`) and
returns ``t``. Fans follow PyTorch: for a weight of shape ``(out, in, *k)``,
``fan_in = in * prod(k)`` and ``fan_out = out * prod(k)``.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

from ..autograd import no_grad
from ..rng import generator as random_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "henaff_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

T = TypeVar("T", Tensor, np.ndarray)


def _fill(t: T, values: Any) -> T:
    """Write ``values`` into ``t`` (cast to its dtype), outside the recorded graph."""
    if isinstance(t, Tensor):
        with no_grad():
            t.copy_(np.asarray(values, dtype=t.dtype))
    else:
        t[...] = values
    return t


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return random_generator(generator)


def _fans(t: Tensor | np.ndarray, who: str) -> tuple[int, int]:
    shape = t.shape
    if len(shape) < 2:
        raise ValueError(f"{who}: fan in and fan out need a tensor of 2 or more dims, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``, as ``torch.nn.init.calculate_gain``.

    linear/conv/sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope^2)) (slope ``param``, default 0.01); selu: 3/4.
    """
    linear = {"linear", "conv1d", "conv2d", "conv3d", "sigmoid"}
    linear |= {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"}
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, int | float):
            raise ValueError(f"calculate_gain: negative slope {param!r} is not a number")
        else:
            slope = param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def uniform_(
    t: T, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None
) -> T:
    """Fill with draws from U(a, b)."""
    return _fill(t, _rng(generator).uniform(a, b, t.shape))


def normal_(
    t: T, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None
) -> T:
    """Fill with draws from N(mean, std^2)."""
    return _fill(t, _rng(generator).normal(mean, std, t.shape))


def constant_(t: T, val: float) -> T:
    """Fill with ``val``."""
    return _fill(t, val)


def zeros_(t: T) -> T:
    """Fill with 0."""
    return _fill(t, 0.0)


def ones_(t: T) -> T:
    """Fill with 1."""
    return _fill(t, 1.0)


def eye_(t: T) -> T:
    """Fill a 2-D tensor with the identity: ones on the main diagonal, zeros elsewhere
    (for a rectangular tensor, ``min(rows, cols)`` ones)."""
    if len(t.shape) != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {t.shape}")
    return _fill(t, np.eye(*t.shape))


def xavier_uniform_(t: T, gain: float = 1.0, generator: np.random.Generator | None = None) -> T:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t, "xavier_uniform_")
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(t, -a, a, generator)


def xavier_normal_(t: T, gain: float = 1.0, generator: np.random.Generator | None = None) -> T:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t, "xavier_normal_")
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(t, 0.0, std, generator)


def _kaiming_std(t: Tensor | np.ndarray, a: float, mode: str, nonlinearity: str, who: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{who}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t, who)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        return 0.0  # a zero-element tensor: nothing to fill (PyTorch: a no-op)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    t: T,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> T:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain from ``calculate_gain``.

    With ``a = sqrt(5)`` (``Linear``'s default) this is U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(
    t: T,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> T:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(t, 0.0, std, generator)


def orthogonal_(t: T, gain: float = 1.0, generator: np.random.Generator | None = None) -> T:
    """A (semi-)orthogonal matrix times ``gain``, as PyTorch.

    The tensor is viewed as ``(rows, cols) = (shape[0], prod(shape[1:]))``; a Gaussian
    matrix is factored ``A = QR`` (transposed first when rows < cols) and ``Q`` is
    multiplied column-wise by ``sign(diag(R))`` so the result is uniformly distributed.
    """
    if len(t.shape) < 2:
        raise ValueError(f"orthogonal_: expected 2 or more dims, got shape {t.shape}")
    if math.prod(t.shape) == 0:
        return t
    rows = t.shape[0]
    cols = math.prod(t.shape) // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, gain * q.reshape(t.shape))


def henaff_(t: T, generator: np.random.Generator | None = None) -> T:
    """Fill the square ``t`` (n, n) with Henaff, Szlam & LeCun's (2016) skew-symmetric
    matrix A: 2x2 diagonal blocks [[0, theta_k], [-theta_k, 0]], theta_k ~ U(-pi, pi),
    zeros elsewhere (and in the last row and column when n is odd).

    exp(A) is block-diagonal with 2x2 rotations by theta_k: an orthogonal matrix whose
    eigenvalues e^(+-i theta_k) are spread over the unit circle. It is the initial A of
    expRNN (Lezcano-Casado & Martinez-Rubio 2019); written into the original of
    :func:`minigrad.nn.utils.parametrizations.orthogonal` it makes the weight exp(A).
    """
    if len(t.shape) != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"henaff_: needs a square matrix, got shape {tuple(t.shape)}")
    n = t.shape[0]
    a = np.zeros((n, n))
    theta = _rng(generator).uniform(-math.pi, math.pi, n // 2)
    k = np.arange(n // 2)
    a[2 * k, 2 * k + 1] = theta
    a[2 * k + 1, 2 * k] = -theta
    return _fill(t, a)
