"""The tape's state (minigrad/tape.py): scopes (nesting, context-local) and what ops
record."""

from __future__ import annotations

import contextvars
import threading

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, ops


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


# ------------------------------------------------------------------------ scopes


def test_scopes_nest_and_tag_nodes():
    x = leaf(1.0)
    with minigrad.scope("layer0"):
        with minigrad.scope("t=3"):
            y = x * 2.0
            assert minigrad.current_scope() == ("layer0", "t=3")
        z = y + 1.0
    w = z * 1.0
    assert y._node.scope == ("layer0", "t=3")
    assert z._node.scope == ("layer0",)
    assert w._node.scope == ()


def test_scope_is_context_local():
    seen = {}

    def in_thread():
        seen["thread"] = minigrad.current_scope()
        with minigrad.scope("worker"):
            seen["node"] = (leaf(1.0) * 2.0)._node.scope

    with minigrad.scope("main"):
        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        ctx = contextvars.copy_context()

        def enter_other():
            with minigrad.scope("other"):
                return minigrad.current_scope(), (leaf(1.0) * 2.0)._node.scope

        assert ctx.run(enter_other) == (("main", "other"), ("main", "other"))
        assert ctx.run(minigrad.current_scope) == ("main",)
        assert minigrad.current_scope() == ("main",)
    assert seen == {"thread": (), "node": ("worker",)}
    assert minigrad.current_scope() == ()


def test_scope_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), minigrad.scope("t=0"):
        1 / 0  # noqa: B018
    assert minigrad.current_scope() == ()


def test_ops_record_nothing_without_grad():
    x = Tensor(np.ones(2))
    y = ops.tanh(x * 2.0)
    assert y._node is None and not y.requires_grad
