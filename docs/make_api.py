"""Write docs/api.md, the API reference, from the packages' ``__all__`` and docstrings.

    python docs/make_api.py            # rewrite docs/api.md
    python docs/make_api.py --check    # exit 1 if docs/api.md is out of date

Every public name (every entry of a public module's ``__all__``) gets its signature and
the first paragraph of its docstring; a registered op is marked primitive or composite,
and its docstring's first paragraph states its derivative rule (``vjp: ...``). Both
modes exit 1, naming the ops, when a registered op is not listed or its line states no
rule. The test suite runs ``--check``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path

API = Path(__file__).resolve().parent / "api.md"

# (module, one-line description); each module's __all__ is documented in this order.
MODULES = [
    ("minigrad", "the Tensor, factories, grad modes, scopes and top-level ops"),
    ("minigrad.functional", "composites where torch.nn.functional has them"),
    ("minigrad.softmax", "the softmax family: logsumexp, log_softmax, softmax"),
    ("minigrad.losses", "the losses: nll, cross-entropy, MSE, binary cross-entropy"),
    ("minigrad.ops", "the primitive ops (each with its vjp)"),
    ("minigrad.ops.registry", "the op table: how an op defines and registers itself"),
    ("minigrad.func", "function transforms: vjp, jvp, grad, jacrev, jacfwd, hessian, hvp"),
    ("minigrad.nn", "modules, parameters and layers"),
    ("minigrad.nn.init", "parameter initialisation"),
    ("minigrad.nn.utils", "gradient clipping and parametrizations"),
    ("minigrad.nn.utils.parametrize", "a tensor computed from an unconstrained parameter"),
    ("minigrad.nn.utils.parametrizations", "orthogonal weights: W = exp(A), A skew-symmetric"),
    ("minigrad.optim", "optimizers and learning-rate schedules"),
    ("minigrad.io", "checkpoints"),
    ("minigrad.rng", "the default random generator"),
    ("minigrad.threads", "BLAS threads"),
    ("minigrad.gradcheck", "finite-difference gradient checking"),
    ("minigrad.viz", "drawing the recorded graph"),
    ("minigrad.compile", "capture a step once, replay it as planned NumPy calls"),
    ("minigrad.autograd", "backward() and grad(), what users call to differentiate"),
    ("minigrad.engine", "the backward engine, one reverse walk over the tape on arrays"),
    ("minigrad.modes", "grad modes: whether ops record, per thread"),
    ("minigrad.tape", "what ops record: nodes, scopes, the leaf protocol"),
    ("minigrad.inplace", "in-place updates of a tensor, checked before they write"),
    ("minigrad.logic", "comparisons, bitwise operators, any/all, argmax/argmin"),
    ("minigrad.versions", "in-place version tracking, refusing stale saved values"),
    ("minigrad.size", "sizes and shapes as a user writes and reads them"),
    ("minigrad.dtypes", "the default dtype, and data turned into arrays"),
    ("minigrad.axes", "axis arguments: NumPy's names and PyTorch's aliases"),
    ("minigrad.gradients", "how backward holds and sums gradients"),
    ("minigrad.forward", "forward mode: tangents carried beside values"),
    ("minigrad.differentiable", "the backward walk on tensors, for create_graph"),
    ("minigrad.pytree", "nested containers of tensors for the transforms"),
    ("rnn", "recurrent cells and layers"),
    ("rnn.cells", "one-step cells and their step functions"),
    ("rnn.kinds", "the description of a cell kind and the table of kinds"),
    ("rnn.layers", "multi-step, multi-layer, bidirectional layers"),
    ("rnn.unrolling", "what a layer prepares to unroll: scope paths, names, the bound step"),
    (
        "rnn.init",
        "initialisations that help a layer remember: chrono, orthogonal, identity, henaff",
    ),
    ("rnn.constraints", "recurrent weights kept orthogonal during training"),
    ("rnn.arguments", "checks of what a layer is called with"),
    ("rnn.manual", "hand-derived NumPy forward and BPTT (the reference)"),
    ("rnn.compare", "autodiff against manual BPTT"),
    ("rnn.tbptt", "truncated backpropagation through time"),
    ("rnn.dynamics", "the step as a dynamical system: Jacobians, spectra, fixed points"),
    ("rnn.app.data", "text, vocabularies and batches"),
    ("rnn.app.models", "reference models"),
    ("rnn.app.step", "one optimiser step, refusing non-finite ones"),
    ("rnn.app.progress", "progress of the training jobs"),
    ("rnn.app.memory", "refusing sizes that cannot fit in memory"),
    ("rnn.app.tasks", "long-dependency tasks and training on them"),
    ("rnn.app.graphs", "pictures of the layers' unrolled graphs"),
    ("rnn.app.gradflow", "the vanishing/exploding-gradient study"),
    ("rnn.app.dynamics", "the dynamics study: exponents, products, fixed points"),
    ("rnn.app.dynamics_plots", "pictures of the dynamics study"),
    ("rnn.app.taskfile", "models saved by rnn task --save"),
    ("rnn.app.corpus", "the text of a character model, split so validation is held out"),
    ("rnn.app.ngram", "a Kneser-Ney character n-gram model"),
    ("rnn.app.baselines", "compressors and the n-gram beside a character model's figure"),
    ("rnn.app.taskrecord", "task runs as JSON records (rnn task --history)"),
    ("rnn.app.runconfig", "what defines a training run: its config, its text, bits per character"),
    ("rnn.app.train", "the character-level language model's training loop"),
    ("rnn.app.trainrecord", "records of training runs (rnn train --history)"),
    ("rnn.app.checkpoint", "training checkpoints: the format, written and read"),
    ("rnn.app.sample", "text generation from a checkpoint"),
    ("rnn.app.demo", "the demo job"),
    ("rnn.app.command", "what the subcommands share"),
    ("rnn.app.cli", "the command line"),
    ("rnn.app.launch", "starting the command line"),
]


def summary(obj: object) -> str:
    """The first paragraph of ``obj``'s docstring, on one line."""
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def value(obj: object) -> str:
    """A short, stable description of a module-level value."""
    if isinstance(obj, dict):
        # sorted: the order of insertion changes when a test swaps an entry out and in
        return "mapping of " + ", ".join(f"`{k}`" for k in sorted(obj, key=str))
    if isinstance(obj, set | frozenset):
        # sorted: a set of functions iterates in the order of their addresses
        items = sorted(re.sub(r" at 0x[0-9a-f]+", "", repr(x)) for x in obj)
        text = "{" + ", ".join(items) + "}" if items else "set()"
    else:
        text = re.sub(r" at 0x[0-9a-f]+", "", repr(obj))
    return f"`{text if len(text) <= 80 else text[:77] + '...'}`"


def signature(name: str, obj: object) -> str:
    if inspect.isclass(obj) or callable(obj):
        try:
            return f"{name}{inspect.signature(obj)}"
        except (TypeError, ValueError):
            return name
    return name


def op_kind(name: str, obj: object) -> str | None:
    """ "primitive op" or "composite op" for a registered op (whose docstring's first
    paragraph states its derivative rule), else None."""
    from minigrad.ops.registry import REGISTRY

    op = REGISTRY.get(name)
    if op is None or op.forward is not obj:
        return None
    return "primitive op" if op.is_primitive else "composite op"


def unruled(text: str) -> list[str]:
    """The registered ops that ``text`` (the rendered reference) does not list with a
    derivative rule: no ``(primitive op)``/``(composite op)`` line, or no ``vjp:`` in it."""
    from minigrad.ops.registry import REGISTRY

    ruled = set()
    for line in text.splitlines():
        m = re.match(r"- `(\w+)\(.*\((?:primitive|composite) op\): (.*)$", line)
        if m and "vjp:" in m.group(2):
            ruled.add(m.group(1))
    return sorted(set(REGISTRY) - ruled)


def render() -> str:
    lines = [
        "# API reference",
        "",
        "Generated by `python docs/make_api.py` from each module's `__all__` and docstrings;",
        "the test suite checks that it is up to date. Shapes and equations are in the",
        "docstrings (`help(name)` in Python).",
        "",
    ]
    for module_name, about in MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", [])
        if not names:
            continue
        lines += [f"## `{module_name}`: {about}", ""]
        for name in names:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                lines.append(f"- `{module_name}.{name}`: module; {summary(obj)}")
                continue
            kind = "class" if inspect.isclass(obj) else ("function" if callable(obj) else "value")
            kind = op_kind(name, obj) or kind
            text = summary(obj) if kind != "value" else value(obj)
            lines.append(f"- `{signature(name, obj)}` ({kind}): {text}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is stale")
    args = parser.parse_args(argv)
    text = render()
    missing = unruled(text)
    if missing:
        print(
            f"{API}: ops listed without a derivative rule (the first paragraph of their "
            f"docstring needs 'vjp: ...'): {', '.join(missing)}",
            file=sys.stderr,
        )
        return 1
    if args.check:
        if not API.exists() or API.read_text(encoding="utf-8") != text:
            print(f"{API} is out of date: run python docs/make_api.py", file=sys.stderr)
            return 1
        return 0
    API.write_text(text, encoding="utf-8")
    print(API)
    return 0


if __name__ == "__main__":
    sys.exit(main())
