"""The Kneser–Ney character model: a distribution for every context, every character
possible, the figures of a hand computation, the order chosen on tuning text."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnn.app.ngram import KneserNey, NgramCounts, choose_order

texts = st.text(alphabet="abc d\n", min_size=2, max_size=80)


@given(text=texts, order=st.integers(1, 5), context=st.text(alphabet="abc dxy\n", max_size=6))
def test_probabilities_sum_to_one_over_the_alphabet_for_any_context(text, order, context):
    alphabet = "\n abcdxy"  # more characters than the text has
    model = KneserNey.fit(text, order, alphabet)
    p = model.distribution(context)
    assert p.shape == (len(alphabet),)
    assert abs(p.sum() - 1.0) < 1e-12
    assert (p > 0).all()  # unseen characters too


def test_every_context_seen_in_training_gives_a_distribution():
    text = "the cat sat on the mat; the dog sat on the log.\n" * 3
    alphabet = "".join(sorted(set(text))) + "XYZ"
    for order in (1, 2, 3, 4, 6):
        model = KneserNey.fit(text, order, alphabet)
        contexts = {text[i : i + k] for k in range(order) for i in range(len(text) - k)}
        for h in contexts:
            assert abs(model.distribution(h).sum() - 1.0) < 1e-12, (order, h)
        assert min(model.prob(h, "X") for h in contexts) > 0


def test_unigram_by_hand():
    # counts a:2 b:1; n1 = 1, n2 = 1 so D = 1/3; P(w) = (max(c - D, 0) + D*2*(1/3)) / 3
    model = KneserNey.fit("aab", 1, "abc")
    assert model.prob("", "a") == pytest.approx(17 / 27)
    assert model.prob("", "b") == pytest.approx(8 / 27)
    assert model.prob("", "c") == pytest.approx(2 / 27)


def test_bigram_by_hand():
    # "abab": bigrams ab:2, ba:1 (D2 = 1/3); continuation counts a:1, b:1 (D1 = 1),
    # so P1(b) = (0 + 1*2*(1/2)) / 2 = 1/2 and P2(b|a) = (2 - 1/3 + (1/3)*1*(1/2)) / 2.
    model = KneserNey.fit("abab", 2, "ab")
    assert model.prob("a", "b") == pytest.approx(11 / 12)
    assert model.prob("a", "a") == pytest.approx(1 / 12)
    assert model.prob("", "b") == pytest.approx(1 / 2)  # no context: the level below
    assert model.prob("zz", "b") == model.prob("", "b")  # an unseen context backs off


def test_bits_sum_the_log_probabilities_of_the_positions_scored():
    model = KneserNey.fit("abcabcabd", 3, "abcd")
    text = "abcad"
    by_hand = -sum(math.log2(model.prob(text[max(0, i - 2) : i], text[i])) for i in range(1, 5))
    assert model.bits(text) == pytest.approx(by_hand)
    assert model.bpc(text) == pytest.approx(by_hand / 4)
    with pytest.raises(ValueError, match="nothing to score"):
        model.bpc("a")


def test_characters_outside_the_alphabet_are_refused():
    with pytest.raises(ValueError, match="outside the alphabet"):
        KneserNey.fit("abz", 2, "ab")
    with pytest.raises(ValueError, match="not in the model's alphabet"):
        KneserNey.fit("ab", 2, "ab").prob("a", "z")
    with pytest.raises(ValueError, match=r"order must be in 1\.\.2"):
        KneserNey(NgramCounts("ab", 2, "ab"), 3)


def test_the_order_is_chosen_on_the_tuning_text():
    rng = np.random.default_rng(0)
    # Each character is fixed by the two before it: order 3 knows it, lower orders cannot.
    seq = list(rng.choice(list("abcd"), 2))
    for _ in range(3000):
        seq.append("abcd"[("abcd".index(seq[-1]) * 3 + "abcd".index(seq[-2])) % 4])
        if rng.random() < 0.05:  # restart somewhere random now and then
            seq[-1] = str(rng.choice(list("abcd")))
    text = "".join(seq)
    model, scores = choose_order(text[:2500], text[2500:], "abcd", max_order=5)
    assert set(scores) == {1, 2, 3, 4, 5}
    assert scores[3] < min(scores[1], scores[2]) - 1.0
    assert model.order == min(scores, key=scores.get) >= 3
    assert model.bpc(text[2500:]) == pytest.approx(scores[model.order])
