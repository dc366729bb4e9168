"""minigrad.viz.layout: steps laid out in time order, and a long collapsed run wrapped into
rows read left to right, top down.
"""

from __future__ import annotations

import numpy as np
import pytest
from viz_cases import needs_dot, params, rnn

import minigrad
import minigrad.viz as viz
from minigrad.viz.draw import drawing
from minigrad.viz.walk import walk


def _step_boxes(graph) -> dict[str, list[float]]:
    from minigrad.viz.layout import lay_out

    geo = lay_out(graph)
    return {c["label"]: c["bb"] for c in geo["clusters"] if c["label"].startswith("t=")}


@needs_dot
@pytest.mark.parametrize("grads", [False, True])
def test_unrolled_steps_are_laid_out_in_time_order(grads):
    import rnn as layers

    minigrad.manual_seed(3)
    layer = layers.RNN(3, 4, dtype=np.float64)
    with minigrad.no_grad():
        layer.weight_hh_l0.mul_(0.5)
    out, _ = layer(minigrad.tensor(np.random.default_rng(0).normal(size=(6, 1, 3))))
    loss = out[-1].sum()
    if grads:
        viz.track_grads(loss)
        loss.backward()
    boxes = _step_boxes(viz.draw(loss, grads=grads))
    lefts = [boxes[f"t={t}"][0] for t in range(6)]
    rights = [boxes[f"t={t}"][2] for t in range(6)]
    # each step starts and ends to the right of the one before: none slides in between
    assert lefts == sorted(lefts) and len(set(lefts)) == 6, lefts
    assert rights == sorted(rights) and len(set(rights)) == 6, rights


@needs_dot
def test_a_long_collapsed_run_wraps_into_rows_in_time_order():
    from minigrad.viz.layout import lay_out

    p = params(1)
    h = rnn(300, p)
    geo = lay_out(viz.draw(h, params=p, collapse=True))
    width, height = geo["size"]
    assert width < 4 * height, geo["size"]  # a block, not a line
    view = drawing(walk(h), p, True, False)
    vid = {int(v.label.split("\\n")[0][2:]): v.vid for v in view.verts if v.label.startswith("t=")}
    pos = [geo["nodes"][vid[t]] for t in range(300)]
    # reading order: rows of 21 steps from the top down, left to right within a row
    rows = [pos[k : k + 21] for k in range(0, 300, 21)]
    for row in rows:
        xs = [x for x, _, _, _ in row]
        assert xs == sorted(xs)
    heights = [sum(y for _, y, _, _ in row) / len(row) for row in rows]
    assert heights == sorted(heights)
