"""Small reference models built from the layers: a character-level language model,
a sequence classifier (many-to-one) and an encoder-decoder (seq2seq); and the one
named model configuration beyond the library's cells, the IRNN."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor, nn

from ..cells import CELL_KINDS, cell_kind
from ..layers import RNN, RNNBase, layer_class
from .memory import recurrent_bytes

__all__ = [
    "CELLS",
    "CONFIGURATIONS",
    "IRNN_INPUT_STD",
    "CharLM",
    "Seq2Seq",
    "SequenceClassifier",
    "irnn",
    "make_cell",
    "make_layer",
]

# The cell kinds the models accept: rnn.cells.CELL_KINDS (name -> CellKind), so a kind
# registered at run time is accepted too.
CELLS = CELL_KINDS

# IRNN input weights: N(0, 0.001^2) as in Le et al.; small enough that the identity
# recurrence dominates at the start.
IRNN_INPUT_STD = 1e-3


def make_layer(cell: str, input_size: int, hidden_size: int, **kwargs: Any) -> RNNBase:
    """The layer of the cell kind ``cell`` ("rnn", "lstm", "gru", ...; see
    :func:`rnn.layers.layer_class`); ``ValueError`` naming the kinds for another name."""
    return layer_class(cell)(input_size, hidden_size, **kwargs)


def cell_gates(cell: str) -> int:
    """How many gate blocks of H rows the weights of ``cell`` (a cell kind or one of
    :data:`CONFIGURATIONS`) stack: G in ``(G*H, in)``."""
    kind = CONFIGURATIONS[cell][0] if cell in CONFIGURATIONS else cell
    return cell_kind(kind).gates


def charlm_bytes(
    cell: str, vocab_size: int, hidden: int, layers: int, steps: int, batch: int, itemsize: int
) -> int:
    """An upper estimate of the memory that training a :class:`CharLM` of these sizes
    holds (see :func:`rnn.app.memory.recurrent_bytes`)."""
    emb = min(hidden, 64)
    return (
        recurrent_bytes(
            gates=cell_gates(cell),
            input_size=emb,
            hidden=hidden,
            layers=layers,
            steps=steps,
            batch=batch,
            extra_parameters=vocab_size * emb + (hidden + 1) * vocab_size,
            itemsize=itemsize,
        )
        + steps * batch * vocab_size * itemsize * 3
    )


def irnn(input_size: int, hidden_size: int, generator: np.random.Generator | None = None) -> RNN:
    """The IRNN of Le, Jaitly & Hinton (2015): a one-layer ReLU ``RNN`` with
    ``W_hh = I``, biases 0 and ``W_ih ~ N(0, 0.001^2)``.

    Then ``h_t = relu(W_ih x_t + h_{t-1})`` starts as an integrator, and at
    initialisation ∂h_t/∂h_{t-1} = diag(relu'(a_t)), whose entries are 0 or 1: active
    units pass the gradient back unchanged.
    """
    layer = RNN(input_size, hidden_size, nonlinearity="relu")
    nn.init.normal_(layer.weight_ih_l0, 0.0, IRNN_INPUT_STD, generator=generator)
    nn.init.eye_(layer.weight_hh_l0)
    nn.init.zeros_(layer.bias_ih_l0)
    nn.init.zeros_(layer.bias_hh_l0)
    return layer


def _ids(ids: Any) -> Any:
    """Token ids as given: a Tensor stays one (its values are not read here, so a
    compiled step replays new ids); anything else becomes an array."""
    return ids if isinstance(ids, Tensor) else np.asarray(ids)


class CharLM(nn.Module):
    """Next-character model: embedding -> recurrent layer(s) -> linear readout.

    ``logits, state = model(ids, state)`` with ids (T, N) integers, logits (T, N, V).
    The readout is one matmul over all T*N positions.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 128,
        num_layers: int = 1,
        cell: str = "lstm",
        embedding_dim: int | None = None,
        dropout: float = 0.0,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.vocab_size, self.cell = vocab_size, cell
        emb = embedding_dim or min(hidden_size, 64)
        self.embed = nn.Embedding(vocab_size, emb, dtype=dtype)
        self.rnn = make_layer(
            cell, emb, hidden_size, num_layers=num_layers, dropout=dropout, dtype=dtype
        )
        self.head = nn.Linear(hidden_size, vocab_size, dtype=dtype)

    def forward(self, ids: Any, state: Any = None) -> tuple[Tensor, Any]:
        ids = _ids(ids)
        T, N = ids.shape
        out, state = self.rnn(self.embed(ids), state)
        logits = self.head(out.reshape(T * N, -1)).reshape(T, N, self.vocab_size)
        return logits, state

    @minigrad.no_grad()
    def sample(
        self,
        prime: np.ndarray,
        length: int,
        temperature: float = 1.0,
        generator: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Generate ``length`` ids after the ``prime`` ids, sampling from
        softmax(logits / temperature) (temperature 0 picks the most likely id): the
        first ``length`` of :meth:`draws`."""
        ids = self.draws(prime, temperature, generator)
        return np.fromiter(itertools.islice(ids, length), dtype=np.int64, count=length)

    def draws(
        self,
        prime: np.ndarray,
        temperature: float = 1.0,
        generator: np.random.Generator | None = None,
    ) -> Iterator[int]:
        """The ids that follow the ``prime`` ids, drawn one at a time from
        softmax(logits / temperature) (temperature 0 picks the most likely id), for as
        long as they are asked for. Each step runs in evaluation mode and records no
        graph (both set around the step alone: the caller runs between two draws), so
        memory stays the same however many are drawn."""
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if len(prime) == 0:
            raise ValueError("sample: the prime needs at least one character")
        rng = generator or np.random.default_rng()
        return self._draws(np.asarray(prime, dtype=np.int64)[:, None], temperature, rng)

    def _draws(
        self, prime: np.ndarray, temperature: float, rng: np.random.Generator
    ) -> Iterator[int]:
        logits, state = self._evaluate(prime, None)
        while True:
            z = logits.data[-1, 0].astype(np.float64)
            if not np.isfinite(z).all():
                raise ValueError(
                    "sample: the model's outputs are not finite (NaN or infinite): are its "
                    "weights? (a checkpoint of a run that diverged, or a damaged file)"
                )
            with np.errstate(over="ignore", invalid="ignore"):
                s = z / temperature if temperature else z
                s -= s.max()
            if temperature == 0 or not np.isfinite(s).all():
                # 0, or a temperature so small that the scaled logits overflow: the limit
                # of softmax(z / t) as t -> 0, the most likely id
                nxt = int(np.argmax(z))
            else:
                p = np.exp(s)
                nxt = int(rng.choice(len(p), p=p / p.sum()))
            yield nxt
            logits, state = self._evaluate(np.array([[nxt]]), state)

    def _evaluate(self, ids: np.ndarray, state: Any) -> tuple[Tensor, Any]:
        """``self(ids, state)`` in evaluation mode, without a graph (and without NumPy's
        warnings: outputs that are not finite are refused by name after it)."""
        was_training = self.training
        if was_training:
            self.eval()
        try:
            with minigrad.no_grad(), np.errstate(all="ignore"):
                return self(ids, state)
        finally:
            if was_training:
                self.train()


class SequenceClassifier(nn.Module):
    """Many-to-one: read a sequence x (T, N, I), classify from the last hidden state.

    Returns logits (N, C). With ``lengths``, the state at each sequence's own end is used.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "gru",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.rnn = make_layer(cell, input_size, hidden_size, dtype=dtype)
        self.head = nn.Linear(hidden_size, num_classes, dtype=dtype)

    def forward(self, x: Any, lengths: Any = None) -> Tensor:
        _, state = self.rnn(x, lengths=lengths)
        h_n = state[0] if isinstance(state, tuple) else state
        return self.head(h_n[-1])


class Seq2Seq(nn.Module):
    """Encoder-decoder over token ids: the encoder's final state starts the decoder.

    ``logits = model(src, tgt_in)`` with src (S, N) and tgt_in (T, N) ids (teacher
    forcing: tgt_in is the target shifted right behind a start token); logits (T, N, V).
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 64,
        embedding_dim: int = 32,
        cell: str = "gru",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embedding_dim, dtype=dtype)
        self.encoder = make_layer(cell, embedding_dim, hidden_size, dtype=dtype)
        self.decoder = make_layer(cell, embedding_dim, hidden_size, dtype=dtype)
        self.head = nn.Linear(hidden_size, vocab_size, dtype=dtype)

    def encode(self, src: Any) -> Any:
        _, state = self.encoder(self.embed(_ids(src)))
        return state

    def decode(self, tgt_in: Any, state: Any) -> tuple[Tensor, Any]:
        ids = _ids(tgt_in)
        out, state = self.decoder(self.embed(ids), state)
        T, N = ids.shape
        return self.head(out.reshape(T * N, -1)).reshape(T, N, self.vocab_size), state

    def forward(self, src: Any, tgt_in: Any) -> Tensor:
        return self.decode(tgt_in, self.encode(src))[0]

    @minigrad.no_grad()
    def greedy(self, src: Any, start: int, steps: int) -> np.ndarray:
        """Decode ``steps`` ids greedily from the start token; returns (steps, N)."""
        state = self.encode(src)
        N = np.asarray(src).shape[1]
        tok = np.full((1, N), start, dtype=np.int64)
        out = []
        for _ in range(steps):
            logits, state = self.decode(tok, state)
            tok = logits.data.argmax(axis=-1)
            out.append(tok[0])
        return np.stack(out)


# Named layer configurations beyond the cell kinds: name -> (cell kind, builder).
CONFIGURATIONS: dict[str, tuple[str, Callable[..., RNNBase]]] = {"irnn": ("rnn", irnn)}


def make_cell(
    cell: str,
    input_size: int,
    hidden_size: int,
    generator: np.random.Generator | None = None,
    nonlinearity: str | None = None,
) -> RNNBase:
    """A one-layer recurrent layer by name: a cell kind ("rnn" is tanh with PyTorch's
    initialisation, "lstm", "gru", ...) or a named configuration of
    :data:`CONFIGURATIONS` ("irnn"); ``generator`` seeds a configuration's own
    initialisation. ``nonlinearity`` (tanh, relu or modrelu) is for the "rnn" kind only."""
    if nonlinearity is not None and cell != "rnn":
        raise ValueError(f"a nonlinearity is chosen for the rnn cell only, got cell {cell!r}")
    if cell in CONFIGURATIONS:
        return CONFIGURATIONS[cell][1](input_size, hidden_size, generator)
    if cell not in CELL_KINDS:
        names = ", ".join([*CELL_KINDS, *CONFIGURATIONS])
        raise ValueError(f"cell must be one of {names}, got {cell!r}")
    extra = {} if nonlinearity is None else {"nonlinearity": nonlinearity}
    return make_layer(cell, input_size, hidden_size, **extra)
