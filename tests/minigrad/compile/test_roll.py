"""Rolled programs: the time steps of a long sequence run as one loop, make the same
calls as the straight lines, and hold their buffers in one arena allocated after
planning."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from minigrad.compile.arena import Arena
from minigrad.compile.roll import MIN_RUN, _step_of, roll


def _block(t: int, names: tuple[str, str, str], extra: str = "") -> list[str]:
    a, b, o = names
    return [f"# mul layer=0/t={t}", f"multiply({a}, {b}, {o})" + extra]


def test_matching_blocks_become_one_loop_over_the_arrays_they_name() -> None:
    env = {f"v{i}": np.full(2, float(i)) for i in range(40)}
    env["w"] = np.ones(2)
    lines = ["# addmm layer=0", "matmul(v0, w, v1)"]
    for t in range(6):
        lines += _block(t, (f"v{2 + t}", "w", f"v{10 + t}"))
    rolled = roll(lines, env, set())
    loops = [x for x in rolled if x.startswith("for ")]
    assert len(loops) == 1 and "matmul(v0, w, v1)" in rolled
    (name_a, name_o) = loops[0].split("zip(")[1].rstrip("):").split(", ")
    assert [float(a[0]) for a in env[name_a]] == [2, 3, 4, 5, 6, 7]
    assert [float(a[0]) for a in env[name_o]] == [10, 11, 12, 13, 14, 15]
    assert "    multiply(_r0, w, _r1)" in rolled  # the shared weight keeps its name


def test_short_runs_assigned_names_and_differing_lines_stay_straight() -> None:
    env = {f"v{i}": np.zeros(2) for i in range(40)}
    short = [x for t in range(MIN_RUN - 1) for x in _block(t, (f"v{t}", "v30", f"v{10 + t}"))]
    assert roll(short, env, set()) == short
    # a name the program assigns while it runs is never read from a list
    assigned = [x for t in range(6) for x in _block(t, (f"v{t}", "v30", f"v{10 + t}"))]
    assert roll(assigned, env, {f"v{t}" for t in range(6)}) == assigned
    # one block's line differs in anything but the names: it splits the run
    odd = [x for t in range(8) for x in _block(t, (f"v{t}", "v30", f"v{10 + t}"))]
    odd[2 * 4 + 1] = "multiply(v4, v30, v14); negative(v14, v14)"
    out = roll(odd, env, set())
    assert sum(x.startswith("for ") for x in out) == 1  # t=0..3 rolled, t=5..7 too short
    assert "multiply(v4, v30, v14); negative(v14, v14)" in out


@pytest.mark.parametrize("cls", [rnn.GRU, rnn.LSTM, rnn.RNN])
def test_a_rolled_long_sequence_agrees_with_eager(cls: type) -> None:
    minigrad.manual_seed(0)
    layer = cls(3, 5, dtype=np.float64)
    x = minigrad.tensor(np.random.default_rng(0).normal(size=(12, 2, 3)))

    def loss(x: minigrad.Tensor) -> minigrad.Tensor:
        return (layer(x)[0] ** 2).sum()

    step = minigrad.compile(loss)
    got = step(x)
    got.backward()
    grads = [p.grad.copy() for p in layer.parameters()]
    program = next(iter(step.programs.values()))
    assert "for _r0" in program.source  # both functions hold a loop over the steps
    assert program.source.split("def backward")[1].count("for _r0") >= 1
    layer.zero_grad()
    want = loss(x)
    want.backward()
    np.testing.assert_allclose(got.data, want.data, rtol=1e-13)
    for g, p in zip(grads, layer.parameters(), strict=True):
        np.testing.assert_allclose(g, p.grad, rtol=1e-12, atol=1e-14)


def test_the_arena_is_real_after_planning_and_views_keep_their_layout() -> None:
    arena = Arena()
    at = arena.reserve(4 * 6 * 8), arena.reserve(10)
    arena.open()
    a = arena.buffer(at[0], 24, np.dtype(np.float64)).reshape(4, 6)
    view = a[1:, ::2].T
    env = {"a": a, "v": view, "pair": (view, 3), "other": np.ones(3)}
    grads = [a[0]]
    assert arena.is_phantom(view) and not arena.is_phantom(env["other"])
    arena.materialize(env, grads)
    assert not arena.is_phantom(env["v"]) and not arena.is_phantom(grads[0])
    assert env["v"].shape == (3, 3) and env["v"].strides == view.strides
    env["a"][...] = np.arange(24.0).reshape(4, 6)
    np.testing.assert_array_equal(env["v"], np.arange(24.0).reshape(4, 6)[1:, ::2].T)
    np.testing.assert_array_equal(env["pair"][0], env["v"])
    np.testing.assert_array_equal(grads[0], np.arange(6.0))
    assert np.shares_memory(env["v"], env["a"]) and arena.nbytes % 64 == 0


def test_views_of_one_layout_become_one_array_and_others_stay_apart() -> None:
    arena = Arena()
    arena.reserve(4 * 6 * 8)
    arena.open()
    a = arena.buffer(0, 24, np.dtype(np.float64)).reshape(4, 6)
    row, again = a[1], a[1]  # two phantom objects of one layout
    flat, first = a.reshape(-1)[:12:2], a[0]  # one offset, strides apart
    frozen = a[1]
    frozen.flags.writeable = False
    env = {"row": row, "again": again, "loop": [again, flat], "first": first, "frozen": frozen}
    arena.materialize(env, [])
    assert env["row"] is env["again"] is env["loop"][0]
    assert env["first"] is not env["loop"][1] and env["first"] is not env["row"]
    assert env["frozen"] is not env["row"] and not env["frozen"].flags.writeable
    env["row"][...] = 2.0
    assert (env["frozen"] == 2.0).all() and (env["first"] == 0.0).all()


def test_views_of_every_kind_are_rebuilt_where_they_were_on_the_real_block() -> None:
    arena = Arena()
    arena.reserve(4 * 6 * 8)
    arena.open()
    a = arena.buffer(0, 24, np.dtype(np.float64)).reshape(4, 6)
    frozen = a[2:, 1:]
    frozen.flags.writeable = False
    views = (a, a[1:, ::2].T, a.reshape(-1)[5:], a[3, 2:3], frozen, a[:0], a[3])
    env = {f"v{i}": v for i, v in enumerate(views)}
    arena.materialize(env, [])
    real = np.frombuffer(arena.real, np.float64)[:24]
    real[:] = np.arange(24.0)
    expect = np.arange(24.0).reshape(4, 6)
    wanted = (expect, expect[1:, ::2].T, expect.reshape(-1)[5:], expect[3, 2:3])
    wanted += (expect[2:, 1:], expect[:0], expect[3])
    for i, w in enumerate(wanted):
        np.testing.assert_array_equal(env[f"v{i}"], w)
    assert not env["v4"].flags.writeable and env["v0"].flags.writeable


@pytest.mark.parametrize(
    ("comment", "t"),
    [
        ("# tanh layer=0/t=3", 3),
        ("# d getitem layer=1/direction=reverse/t=999/gate=n", 999),
        ("# t=12", None),  # no scope: only the op's name
        ("# addmm layer=0", None),
        ("# add layer=0/at=4/t=x", None),
        ("# mul t=7", 7),
    ],
)
def test_the_time_step_is_read_from_the_scope_of_an_op_comment(comment: str, t) -> None:
    assert _step_of(comment) == t


def test_blocks_of_different_steps_roll_while_the_same_step_stays_one_block() -> None:
    env = {f"v{i}": np.zeros(2) for i in range(60)}
    env["w"] = np.ones(2)
    lines = []
    for t in range(5):  # two ops per step, the second comment names the same step
        lines += _block(t, (f"v{t}", "w", f"v{10 + t}"))
        lines += [f"# add layer=0/t={t}/gate=z", f"add(v{10 + t}, w, v{20 + t})"]
    rolled = roll(lines, env, set())
    body = [x for x in rolled if x.startswith("    ")]
    assert sum(x.startswith("for ") for x in rolled) == 1
    assert body == ["    multiply(_r0, w, _r1)", "    add(_r1, w, _r2)"]
