"""Every implementation of the step, what it needs to run, and which can run here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from . import autograd_step, minigrad_steps, numpy_steps, torch_steps
from .workloads import Problem, Step

REFERENCE = "manual"


def _importable(module: str) -> Callable[[], str | None]:
    def check() -> str | None:
        try:
            importlib.import_module(module)
        except ImportError as e:
            return f"skipped: {module} not importable ({e})"
        return None

    return check


def _compile_present() -> str | None:
    return None if minigrad_steps.has_compile() else minigrad_steps.COMPILE_MISSING


@dataclass(frozen=True)
class Implementation:
    """A step factory, and a check that returns why it cannot run here (or None)."""

    make: Callable[[Problem], Step]
    missing: Callable[[], str | None]
    summary: str


IMPLEMENTATIONS: dict[str, Implementation] = {
    "manual": Implementation(
        numpy_steps.make_manual,
        lambda: None,
        "rnn.manual fast sequence functions + NumPy readout and loss (the reference, 1.0)",
    ),
    "eager": Implementation(
        minigrad_steps.make_eager, lambda: None, "minigrad eager: rnn layers on the tape"
    ),
    "compiled": Implementation(
        minigrad_steps.make_compiled, _compile_present, "the same loss through minigrad.compile"
    ),
    "torch-loop": Implementation(
        torch_steps.make_torch_loop, _importable("torch"), "torch.nn.*Cell in a loop over time"
    ),
    "torch-fused": Implementation(
        torch_steps.make_torch_fused, _importable("torch"), "torch.nn.LSTM/GRU/RNN"
    ),
    "autograd": Implementation(
        autograd_step.make_autograd, _importable("autograd"), "HIPS autograd, value_and_grad"
    ),
}


def available(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The implementations that can run here (the reference first), and a note for each
    one skipped."""
    ok, skipped = [REFERENCE], {}
    for name in names:
        if name == REFERENCE:
            continue
        note = IMPLEMENTATIONS[name].missing()
        if note is None:
            ok.append(name)
        else:
            skipped[name] = note
    return ok, skipped
