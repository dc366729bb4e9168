"""minigrad.viz.grads: gradient norms recorded by hooks, and the gradient view of
minigrad.viz.draw that colours each step and node by them.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from viz_cases import params, rnn

import minigrad
import minigrad.viz as viz
from minigrad.viz.colours import NONFINITE, viridis
from minigrad.viz.grads import grad_norm


def _fills(src: str, labels: list[str]) -> list[str]:
    out = []
    for want in labels:
        (line,) = [ln for ln in src.splitlines() if f'[label="{want}' in ln]
        out.append(re.search(r'fillcolor="(#\w+)"', line).group(1))
    return out


def test_grads_fade_across_steps_for_small_recurrent_weights():
    T = 8
    p = params(1, scale=0.2)
    h = rnn(T, p)
    loss = h.sum()
    assert viz.track_grads(loss) == 8 * T + 1
    loss.backward()
    src = viz.draw(loss, params=p, collapse=True, grads=True).source
    norms = [
        float(re.search(r"‖grad‖ = ([\d.e+-]+)", ln).group(1))
        for ln in src.splitlines()
        if re.match(r'\s*s\d+ \[label="t=', ln)
    ]
    assert len(norms) == T
    assert all(a < b for a, b in itertools.pairwise(norms)), norms  # vanishing
    fills = _fills(src, [f"t={t}" for t in range(T)])
    assert len(set(fills)) == T
    assert "legend [label=<<TABLE" in src and "log10 ‖grad‖" in src
    unrolled = viz.draw(loss, params=p, grads=True).source
    tanh_fills = [
        re.search(r'fillcolor="(#\w+)"', ln).group(1)
        for ln in unrolled.splitlines()
        if 'label="tanh' in ln
    ]
    assert len(set(tanh_fills)) == T


def test_recorded_norms_are_the_gradient_norms():
    p = params(1)
    h = rnn(3, p)
    h.retain_grad()
    loss = (h * h).sum()
    viz.track_grads(loss)
    loss.backward()
    assert grad_norm(h._node) == pytest.approx(np.linalg.norm(h.grad))
    assert grad_norm(p["weight_hh"]) == pytest.approx(np.linalg.norm(p["weight_hh"].grad))


def test_track_grads_hooks_each_node_once():
    loss = rnn(2, params(1)).sum()
    assert viz.track_grads(loss) == viz.track_grads(loss) == 17
    assert len(loss._node.hooks) == 1


def test_grads_without_tracking_says_what_to_call():
    p = params(1)
    loss = rnn(2, p).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"call minigrad.viz.track_grads\(output\) before"):
        viz.draw(loss, grads=True)


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_an_infinite_or_nan_norm_has_its_own_colour_and_leaves_the_scale_alone(bad):
    # w = (1, bad): dL/d(w*w) = (1, 1) has norm sqrt(2), dL/dL = 1, and w.grad = 2w is
    # not finite. Before, the scale ran to inf (or NaN) and every node was drawn purple.
    w = minigrad.tensor(np.array([1.0, bad]), requires_grad=True)
    loss = (w * w).sum()
    viz.track_grads(loss)
    loss.backward()
    src = viz.draw(loss, params={"w": w}, grads=True).source
    mul, total, leaf = _fills(src, ["mul", "sum", "w"])
    assert (mul, total) == (viridis(1.0), viridis(0.0))  # log10 sqrt(2) and log10 1
    assert leaf == NONFINITE
    assert "inf or NaN" in src and ">0.0<" in src and ">0.2<" in src
    assert "inf<" not in src.replace("inf or NaN", "") and "nan<" not in src


def test_a_finite_picture_has_no_nonfinite_legend_row():
    loss = rnn(3, params(1)).sum()
    viz.track_grads(loss)
    loss.backward()
    assert "inf or NaN" not in viz.draw(loss, grads=True).source


def test_a_compiled_calls_output_says_its_node_gradients_are_not_recorded():
    # Before, track_grads hooked an eager re-run that backward never visits, and
    # draw(grads=True) then said to call track_grads before backward, as had been done.
    p = params(1)
    f = minigrad.compile(lambda: rnn(3, p).sum())
    for _ in range(2):  # captured, then replayed
        loss = f()
    with pytest.raises(ValueError, match=r"track_grads: output 0 comes from a compiled call"):
        viz.track_grads(loss)
    loss.backward()
    with pytest.raises(ValueError, match=r"draw\(grads=True\): output 0 comes from a compiled"):
        viz.draw(loss, grads=True)
    assert 'label="t=2"' in viz.draw(loss).source  # the graph itself is still drawn
    uncompiled = f.fn()
    viz.track_grads(uncompiled)
    uncompiled.backward()
    assert "‖grad‖" in viz.draw(uncompiled, grads=True).source


def test_grads_tracked_but_before_backward_says_backward_has_not_run():
    # Before, it said to call track_grads before backward, which had just been done.
    loss = rnn(2, params(1)).sum()
    viz.track_grads(loss)
    with pytest.raises(RuntimeError, match=r"track_grads hooked it, but output.backward\(\)"):
        viz.draw(loss, grads=True)
    loss.backward()
    assert "‖grad‖" in viz.draw(loss, grads=True).source
