"""Grad modes (minigrad/modes.py): nesting, decorators (generator functions included),
per thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


def test_no_grad_and_enable_grad_nest():
    w = leaf(1.0)
    assert minigrad.is_grad_enabled()
    with minigrad.no_grad():
        assert not (w * 2).requires_grad
        with minigrad.enable_grad():
            assert (w * 2).requires_grad
            with minigrad.no_grad():
                assert not minigrad.is_grad_enabled()
            assert minigrad.is_grad_enabled()
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()


def test_grad_modes_as_decorators_restore_on_exception():
    w = leaf(1.0)

    @minigrad.no_grad()
    def frozen():
        return w * 2

    @minigrad.enable_grad()
    def recording():
        return w * 2

    @minigrad.no_grad()
    def failing():
        raise KeyError("boom")

    assert not frozen().requires_grad
    with minigrad.no_grad():
        assert recording().requires_grad
    with pytest.raises(KeyError):
        failing()
    assert minigrad.is_grad_enabled()


def test_grad_modes_decorate_generator_functions_at_every_resumption():
    # As torch.no_grad: the body runs in the mode at each resumption (send, throw,
    # close included), the caller's mode is in force between yields, and the
    # generator's return value comes through.
    w = leaf([1.0, 2.0])

    @minigrad.no_grad()
    def frozen(w):
        scale = yield w * 2
        try:
            yield w * scale
        except KeyError:
            yield minigrad.is_grad_enabled()
        return "done"

    it = frozen(w)
    first = next(it)
    assert not first.requires_grad and minigrad.is_grad_enabled()
    second = it.send(3.0)
    assert not second.requires_grad and second.tolist() == [3.0, 6.0]
    assert it.throw(KeyError("k")) is False
    with pytest.raises(StopIteration) as stop:
        next(it)
    assert stop.value.value == "done"
    assert minigrad.is_grad_enabled()

    with minigrad.no_grad():

        @minigrad.enable_grad
        def recording():
            yield (w * 2).requires_grad
            yield minigrad.is_grad_enabled()

        assert list(recording()) == [True, True]
        assert not minigrad.is_grad_enabled()


def test_grad_mode_is_per_thread():
    """A no_grad block in one thread leaves recording on in another (as PyTorch), and a
    new thread starts with recording on whatever the spawning thread's mode."""
    w = leaf([1.0, 2.0])
    inside, recorded, done = threading.Event(), {}, threading.Event()

    def frozen():
        with minigrad.no_grad():
            inside.set()
            done.wait(10)
            recorded["frozen"] = (w * 2).requires_grad

    def recording():
        inside.wait(10)
        recorded["other"] = (w * 2).requires_grad, minigrad.is_grad_enabled()
        done.set()

    threads = [threading.Thread(target=frozen), threading.Thread(target=recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert recorded == {"frozen": False, "other": (True, True)}
    with minigrad.no_grad():
        child = threading.Thread(target=lambda: recorded.update(child=(w * 2).requires_grad))
        child.start()
        child.join()
        assert not (w * 2).requires_grad
    assert recorded["child"] is True and minigrad.is_grad_enabled()


def test_one_grad_mode_object_entered_by_two_threads():
    mode, w = minigrad.no_grad(), leaf(1.0)
    barrier, seen = threading.Barrier(2), []

    def run():
        with mode:
            barrier.wait(10)
            seen.append((w * 2).requires_grad)
        seen.append(minigrad.is_grad_enabled())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [False, False, True, True]
