"""A smoothed character n-gram model: interpolated Kneser–Ney, the baseline a character
language model must beat.

For an order-``n`` model, the probability of character ``w`` after the context ``h``
(the ``n - 1`` characters before it) mixes level ``k = n`` down to level 0:

    P_k(w | h) = (max(c_k(hw) - D_k, 0) + D_k · N_k(h•) · P_{k-1}(w | h')) / c_k(h•)
    P_0(w)     = 1 / |V|

where ``h'`` is ``h`` without its first character, ``c_k(h•) = Σ_w c_k(hw)`` and
``N_k(h•)`` is the number of characters seen after ``h``. At the top level ``c_n`` is
the raw count of the n-gram in the training text; below it, ``c_k(x)`` is the number of
distinct characters seen just before ``x`` (its *continuation* count: how many contexts
``x`` completes, which is what matters once the longer context has been backed off
from). A context never seen leaves the level out (``P_k = P_{k-1}``). Each level
discounts its counts by ``D_k = n1 / (n1 + 2 n2)`` (``n1``, ``n2``: how many k-grams
have count 1 and 2; at least 0.1), the mass taken is given to the level below, so
every level sums to 1 over the alphabet ``V`` and every character of ``V``, seen in
training or not, keeps a probability above zero.

Counting is plain Python (dictionaries of strings): about 4 s of CPU for orders 1-8 of
a million characters.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

__all__ = ["KneserNey", "NgramCounts", "choose_order"]

MIN_DISCOUNT = 0.1


def _discount(counts: Iterable[int]) -> float:
    """Ney's estimate n1 / (n1 + 2 n2), at least :data:`MIN_DISCOUNT`."""
    tally = Counter(c for c in counts if c <= 2)
    n1, n2 = tally[1], tally[2]
    if n1 + 2 * n2 == 0:
        return 0.5
    return max(n1 / (n1 + 2 * n2), MIN_DISCOUNT)


def _contexts(table: dict[str, int]) -> dict[str, tuple[int, int]]:
    """For each context h: (Σ_w count(hw), number of w with count(hw) > 0)."""
    out: dict[str, list[int]] = {}
    for gram, c in table.items():
        entry = out.setdefault(gram[:-1], [0, 0])
        entry[0] += c
        entry[1] += 1
    return {h: (t, n) for h, (t, n) in out.items()}


class NgramCounts:
    """What Kneser–Ney needs of a training text, for every order up to ``max_order``:
    raw counts (``raw[k]``), continuation counts (``left[k]``), their per-context
    totals and type counts, and their discounts. One set of counts serves every model
    order up to ``max_order`` (see :func:`choose_order`)."""

    def __init__(self, text: str, max_order: int, alphabet: str) -> None:
        if max_order < 1:
            raise ValueError(f"the n-gram order must be >= 1, got {max_order}")
        unknown = set(text) - set(alphabet)
        if unknown:
            raise ValueError(f"characters outside the alphabet: {''.join(sorted(unknown))!r}")
        self.max_order, self.alphabet = max_order, alphabet
        self.raw: dict[int, dict[str, int]] = {}
        self.left: dict[int, dict[str, int]] = {}
        for k in range(1, max_order + 1):
            self.raw[k] = Counter(text[i : i + k] for i in range(len(text) - k + 1))
            # N1+(•x): distinct characters before x, from the (k+1)-grams x completes.
            if k > 1:
                self.left[k - 1] = Counter(g[1:] for g in self.raw[k])
        self.raw_ctx = {k: _contexts(t) for k, t in self.raw.items()}
        self.left_ctx = {k: _contexts(t) for k, t in self.left.items()}
        self.raw_d = {k: _discount(t.values()) for k, t in self.raw.items()}
        self.left_d = {k: _discount(t.values()) for k, t in self.left.items()}


class KneserNey:
    """An interpolated Kneser–Ney character model of ``order`` (see the module
    docstring) over ``counts.alphabet``. Build one with :meth:`fit`, or from shared
    counts with ``KneserNey(counts, order)``."""

    def __init__(self, counts: NgramCounts, order: int) -> None:
        if not 1 <= order <= counts.max_order:
            raise ValueError(f"order must be in 1..{counts.max_order}, got {order}")
        self.counts, self.order = counts, order
        self.alphabet = counts.alphabet

    @classmethod
    def fit(cls, text: str, order: int, alphabet: str) -> KneserNey:
        """The order-``order`` model of ``text`` over ``alphabet`` (which must hold
        every character of ``text``; it may hold more)."""
        return cls(NgramCounts(text, order, alphabet), order)

    def _level(self, k: int) -> tuple[dict[str, int], dict[str, tuple[int, int]], float]:
        c = self.counts
        if k == self.order:
            return c.raw[k], c.raw_ctx[k], c.raw_d[k]
        return c.left[k], c.left_ctx[k], c.left_d[k]

    def prob(self, context: str, char: str) -> float:
        """P(char | the last ``order - 1`` characters of ``context``); a shorter
        context uses the levels it has."""
        if char not in self.alphabet:
            raise ValueError(f"{char!r} is not in the model's alphabet")
        levels = min(self.order, len(context) + 1)
        p = 1.0 / len(self.alphabet)
        for k in range(1, levels + 1):
            h = context[len(context) - k + 1 :] if k > 1 else ""
            table, contexts, d = self._level(k)
            seen = contexts.get(h)
            if seen is None:
                continue
            total, types = seen
            p = (max(table.get(h + char, 0) - d, 0.0) + d * types * p) / total
        return p

    def distribution(self, context: str) -> np.ndarray:
        """P(w | context) for every w of the alphabet, in alphabet order (sums to 1)."""
        return np.array([self.prob(context, w) for w in self.alphabet])

    def bits(self, text: str, start: int = 1) -> float:
        """Total bits, -Σ log2 P(text[i] | text[:i]), over the positions ``i >= start``
        (the characters before ``start`` are context only)."""
        back = self.order - 1
        total = 0.0
        for i in range(start, len(text)):
            total -= math.log2(self.prob(text[max(0, i - back) : i], text[i]))
        return total

    def bpc(self, text: str, start: int = 1) -> float:
        """Bits per predicted character of ``text`` (positions ``start`` onwards)."""
        n = len(text) - start
        if n <= 0:
            raise ValueError(f"nothing to score: {len(text)} characters, start {start}")
        return self.bits(text, start) / n


def choose_order(
    train: str, tune: str, alphabet: str, max_order: int = 10
) -> tuple[KneserNey, dict[int, float]]:
    """Fit orders 1..``max_order`` to ``train`` and keep the one with the fewest bits
    per character on ``tune`` (text it was not fitted to); returns that model and
    every order's tuning figure."""
    counts = NgramCounts(train, max_order, alphabet)
    scores = {k: KneserNey(counts, k).bpc(tune) for k in range(1, max_order + 1)}
    best = min(scores, key=lambda k: (scores[k], k))
    return KneserNey(counts, best), scores
