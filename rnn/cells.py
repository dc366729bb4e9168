"""RNN, LSTM and GRU cells: one time step each, written only from minigrad ops.

There is no hand-written backward here. Backpropagation through time is what the
engine does with the unrolled graph these steps record.

Each cell kind is described once, by a :class:`CellKind` in :data:`CELL_KINDS` (defined in
:mod:`rnn.kinds`, registered at the end of this module): its gate count, its state
(``("h",)`` or ``("h", "c")``), its step function written from ops, its ``*Cell`` module,
how its biases fold, and its hand-derived reference in :mod:`rnn.manual`. The layers,
:mod:`rnn.compare` and the tests read everything cell-specific from there;
:func:`register_cell_kind` adds a kind at run time.

The step functions take the *input projection* ``xw = x W_ih^T + b_ih`` already
computed, because a layer computes it for all time steps in one matmul; the cell
modules compute it for their single step. Both call the same step function, so the
equations below are written once. Shapes: x (N, I), h and c (N, H), xw (N, G*H),
and the transposed recurrent weight ``w_hh_t = W_hh^T`` (H, G*H).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.functional import linear
from minigrad.nn import Module, Parameter
from minigrad.ops import addmm
from minigrad.ops.pieces import slices
from minigrad.rng import default_generator

from . import manual
from .arguments import refuse_pair, to_real_tensor
from .kinds import CELL_KINDS, CellKind, cell_kind, register_cell_kind, unregister_cell_kind

__all__ = [
    "CELL_KINDS",
    "CellBase",
    "CellKind",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "cell_kind",
    "gru_step",
    "lstm_step",
    "modrelu",
    "register_cell_kind",
    "rnn_step",
    "split_gates",
    "unregister_cell_kind",
]


def modrelu(z: Tensor, b: Tensor) -> Tensor:
    """modReLU (Arjovsky, Shah & Bengio 2016): ``sign(z) relu(|z| + b)``, b (H,) per unit.

    It keeps z's sign and shrinks its magnitude by ``-b`` (zero inside the dead band
    ``|z| < -b``), so for small |b| it is nearly the identity: with an orthogonal W_hh the
    step ``h' = modrelu(W_hh h + ...)`` then nearly preserves the state's norm, and its
    derivative, ``[|z| + b > 0]``, is 1 on the active side, not the shrinking
    ``1 - tanh^2``. A composite: sign's derivative is 0, and
    ``d/dz = sign(z) [|z| + b > 0] sign(z) = [|z| + b > 0]`` (0 at z = 0),
    ``d/db = sign(z) [|z| + b > 0]``.
    """
    return z.sign() * (z.abs() + b).relu()


# The nonlinearities of an RNN; modrelu takes the unit's threshold as a second argument
# (the layer's bias_hh, see :func:`rnn_step`).
NONLINEARITIES: dict[str, Callable[..., Tensor]] = {
    "tanh": minigrad.tanh,
    "relu": minigrad.relu,
    "modrelu": modrelu,
}
# Uniform range of a modReLU threshold at initialisation, as expRNN's
# (Lezcano-Casado & Martinez-Rubio 2019): b ~ U(-0.01, 0.01).
MODRELU_BIAS_INIT = 0.01

# ------------------------------------------------------------------------------ steps


def rnn_step(
    xw: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None, nonlinearity: str = "tanh"
) -> Tensor:
    """Elman step: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)`` with act tanh or relu;
    with modrelu, b_hh is the threshold: ``h' = modrelu(W_ih x + b_ih + W_hh h; b_hh)``."""
    pre = addmm(xw, h, w_hh_t)
    if nonlinearity == "modrelu":
        return modrelu(pre, 0.0 if b_hh is None else b_hh)  # no biases: threshold 0, h' = z
    if b_hh is not None:
        pre = pre + b_hh
    return NONLINEARITIES[nonlinearity](pre)


def check_nonlinearity(where: str, nonlinearity: str) -> None:
    """ValueError naming the valid nonlinearities for another name."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"{where}: nonlinearity must be one of {', '.join(NONLINEARITIES)}, "
            f"got {nonlinearity!r}"
        )


def threshold_bias(nonlinearity: str) -> bool:
    """Whether bias_hh is a threshold inside the nonlinearity (modrelu) rather than a
    term added to the pre-activation (which a layer may fold into its input projection)."""
    return nonlinearity == "modrelu"


def init_thresholds(bias: Parameter) -> None:
    """modReLU thresholds b ~ U(-0.01, 0.01) (expRNN's initialisation), in place."""
    k = MODRELU_BIAS_INIT
    with minigrad.no_grad():
        bias.copy_(default_generator().uniform(-k, k, bias.shape).astype(bias.dtype))


def lstm_step(
    xw: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor, b_hh: Tensor | None
) -> tuple[Tensor, Tensor]:
    """LSTM step, gates in PyTorch's order (i, f, g, o)::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      input gate
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)      forget gate
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)         candidate
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)      output gate
        c' = f * c + i * g
        h' = o * tanh(c')

    The additive path ``c' = f * c + ...`` is why gradients survive many steps:
    dc/dc' is f, not a product with a squashing derivative.

    The pre-activations (N, 4H) are cut into the adjacent i|f blocks, g and o; one
    sigmoid runs over i|f (N, 2H), another over o, so every block goes through exactly
    one transcendental pass, as in hand-written code. (A sigmoid over all four blocks
    would record two ops fewer but pay a wasted pass over g in both directions: at the
    batch and hidden sizes of a char-LSTM, 32 x 128, that pass costs more than the two
    ops.) The cell update ``f * c + i * g`` is a ``mul`` and one ``addcmul`` node.
    """
    gates = addmm(xw, h, w_hh_t)
    if b_hh is not None:
        gates = gates + b_hh
    a_if, g, o = slices(gates, *_lstm_blocks(gates.shape[-1] // 4))
    i, f = split_gates(a_if.sigmoid(), "if")
    o = o.sigmoid()
    c = minigrad.addcmul(f * c, i, g.tanh())
    h = o * c.tanh()
    return h, c


@functools.lru_cache(maxsize=64)
def _lstm_blocks(H: int) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """Indices and scope names of the i|f blocks (N, 2H), g and o of gates (N, 4H)."""
    (g, o), names = _gate_slices("ifgo", "go", H)
    return ((Ellipsis, slice(0, 2 * H)), g, o), ("gate=i|f", *names)


def split_gates(x: Tensor, names: str, only: str | None = None) -> list[Tensor]:
    """``x`` (N, G*H) cut into G slices (N, H) along its last axis, one per gate named
    in ``names`` (or only those named in ``only``, in order); each slice is recorded
    in scope ``"gate=<name>"`` under the current one, so the graph drawing labels it by
    its gate (``i = getitem``) instead of a bare ``getitem``. One call records them all."""
    indices, scopes = _gate_slices(names, only, x.shape[-1] // len(names))
    return slices(x, indices, scopes)


@functools.lru_cache(maxsize=256)
def _gate_slices(
    names: str, only: str | None, size: int
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The index ``[..., k*size:(k+1)*size]`` and the scope name of each gate kept, built
    once: the tape keeps one index per slice it records, and one shared object per gate
    leaves the garbage collector one object fewer to scan each."""
    kept = [(k, name) for k, name in enumerate(names) if only is None or name in only]
    return (
        tuple((Ellipsis, slice(k * size, (k + 1) * size)) for k, _ in kept),
        tuple(f"gate={name}" for _, name in kept),
    )


def gru_step(xw: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    """GRU step, gates in PyTorch's order (r, z, n)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      reset gate
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)      update gate
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   candidate
        h' = (1 - z) * n + z * h  =  n + z * (h - n)

    r and z come from one add and one sigmoid over all three gate blocks,
    ``sigmoid(xw + hh)`` (N, 3H), whose n block is not used: n needs ``x_n`` and ``h_n``
    apart. The wasted H columns cost less than the four recorded ops (two slices each of
    ``xw`` and ``hh``) that adding only the r|z blocks would take; the unused block gets
    a zero gradient, so every gradient is exactly that of the equations above. The
    candidate's pre-activation ``x_n + r * h_n`` is one ``addcmul`` node and the update
    ``n + z * (h - n)`` one ``lerp`` node.
    """
    hh = h @ w_hh_t if b_hh is None else addmm(b_hh, h, w_hh_t)
    r, z = split_gates((xw + hh).sigmoid(), "rzn", only="rz")
    (x_n,) = split_gates(xw, "rzn", only="n")
    (h_n,) = split_gates(hh, "rzn", only="n")
    n = minigrad.addcmul(x_n, r, h_n).tanh()
    return minigrad.lerp(n, h, z)


# The same three steps in the one form every kind's step has:
#   step(xw, state, w_hh_t, b_hh, **options) -> new state, a tuple like state.


def _rnn_state_step(xw, state, w_hh_t, b_hh, nonlinearity="tanh"):
    return (rnn_step(xw, state[0], w_hh_t, b_hh, nonlinearity),)


def _lstm_state_step(xw, state, w_hh_t, b_hh):
    return lstm_step(xw, state[0], state[1], w_hh_t, b_hh)


def _gru_state_step(xw, state, w_hh_t, b_hh):
    return (gru_step(xw, state[0], w_hh_t, b_hh),)


# ------------------------------------------------------------------------------ modules


def init_uniform(shape: tuple[int, ...], hidden_size: int, dtype: np.dtype) -> Parameter:
    """A parameter drawn from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's RNN default."""
    k = 1.0 / np.sqrt(hidden_size)
    return Parameter(default_generator().uniform(-k, k, shape).astype(dtype))


def check_dtype(dtype: Any) -> np.dtype:
    """float32 (the default) or float64."""
    d = minigrad.get_default_dtype() if dtype is None else np.dtype(dtype)
    if d not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {d}")
    return d


class CellBase(Module):
    """One step of the cell kind named by the class attribute ``cell``.

    Parameters ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh``
    (G*H,) as in ``torch.nn.RNNCell/LSTMCell/GRUCell``. ``cell(x, state)`` takes x (N, I)
    or unbatched (I,), and the state: h (N, H) for an ``("h",)`` kind, a tuple (h, c) for an
    ``("h", "c")`` kind, or None for zeros; it returns the new state in the same form.
    """

    cell = "rnn"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(
                f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}"
            )
        d = check_dtype(dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gh = self.kind.gates * hidden_size
        self.weight_ih = init_uniform((gh, input_size), hidden_size, d)
        self.weight_hh = init_uniform((gh, hidden_size), hidden_size, d)
        if bias:
            self.bias_ih = init_uniform((gh,), hidden_size, d)
            self.bias_hh = init_uniform((gh,), hidden_size, d)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    @property
    def kind(self) -> CellKind:
        """This cell's :class:`CellKind`."""
        return cell_kind(self.cell)

    @property
    def gates(self) -> int:
        return self.kind.gates

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"

    def forward(self, x: Any, state: Any = None) -> Any:
        kind = self.kind
        x, batched = self._check_input(x)
        states = self._check_state(state, x.shape[0], batched)
        options = {o: getattr(self, o) for o in kind.options}
        new = kind.step(self._projection(x), states, self.weight_hh.T, self.bias_hh, **options)
        new = new if batched else tuple(s.squeeze(0) for s in new)
        return new[0] if len(new) == 1 else new

    def _check_input(self, x: Any) -> tuple[Tensor, bool]:
        """Check x's shape and dtype; add a batch axis to unbatched input."""
        name = type(self).__name__
        x = to_real_tensor(name, "the input", x, self.weight_ih.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {x.shape}"
            )
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(
                f"{name}: input dtype {x.dtype} != parameter dtype {self.weight_ih.dtype}"
            )
        batched = x.ndim == 2
        return (x if batched else x.unsqueeze(0)), batched

    def _check_state(self, state: Any, n: int, batched: bool) -> tuple[Tensor, ...]:
        """One (n, H) tensor per state of the kind (zeros for None)."""
        name, names = type(self).__name__, self.kind.state
        if len(names) == 1:
            refuse_pair(name, f"the state is {names[0]}", state, "an LSTM cell takes (h, c)")
            parts: Any = (state,)
        elif state is None:
            parts = (None,) * len(names)
        elif isinstance(state, (tuple, list)) and len(state) == len(names):
            parts = state
        else:
            raise TypeError(f"{name}: the state must be a tuple ({', '.join(names)})")
        dtype = self.weight_ih.dtype
        want = (n, self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for s in parts:
            if s is None:
                out.append(minigrad.zeros(n, self.hidden_size, dtype=dtype))
                continue
            s = to_real_tensor(name, "the state", s, dtype)
            if s.shape != want:
                raise ValueError(f"{name}: expected hidden state of shape {want}, got {s.shape}")
            out.append(s if batched else s.unsqueeze(0))
        return tuple(out)

    def _projection(self, x: Tensor) -> Tensor:
        return linear(x, self.weight_ih, self.bias_ih)


class RNNCell(CellBase):
    """Elman RNN cell: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu), or with
    ``nonlinearity="modrelu"`` ``h' = modrelu(W_ih x + b_ih + W_hh h; b_hh)`` (see
    :func:`modrelu`; bias_hh is then the per-unit threshold, initialised U(-0.01, 0.01)).

    Call ``h = cell(x, h)`` with x (N, I) or (I,), h (N, H) or (H,) or None (zeros).
    """

    cell = "rnn"
    nonlinearity = "tanh"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = None,
    ) -> None:
        check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity
        if bias and threshold_bias(nonlinearity):
            init_thresholds(self.bias_hh)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"

    def forward(self, x: Any, h: Any = None) -> Tensor:
        return super().forward(x, h)


class LSTMCell(CellBase):
    """LSTM cell (gates i, f, g, o; see :func:`lstm_step`).

    Call ``h, c = cell(x, (h, c))``; the state may be omitted (zeros).
    """

    cell = "lstm"

    def forward(self, x: Any, state: tuple[Any, Any] | None = None) -> tuple[Tensor, Tensor]:
        return super().forward(x, state)


class GRUCell(CellBase):
    """GRU cell (gates r, z, n; see :func:`gru_step`). Call ``h = cell(x, h)``."""

    cell = "gru"

    def forward(self, x: Any, h: Any = None) -> Tensor:
        return super().forward(x, h)


for _kind in (
    CellKind("rnn", 1, ("h",), _rnn_state_step, RNNCell, True, manual.steps.RNN, ("nonlinearity",)),
    CellKind("lstm", 4, ("h", "c"), _lstm_state_step, LSTMCell, True, manual.steps.LSTM),
    CellKind("gru", 3, ("h",), _gru_state_step, GRUCell, False, manual.steps.GRU),
):
    register_cell_kind(_kind, built_in=True)
