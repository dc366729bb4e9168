"""``rnn dynamics``: the step as a dynamical system (see :mod:`rnn.app.dynamics`)."""

from __future__ import annotations

import argparse
import os
import sys

from ..command import (
    CLIError,
    UsageError,
    add_quiet,
    add_seed,
    check_folder,
    command,
    nonempty_path,
    positive_float,
    positive_int,
    refuse_same_file,
    show_progress,
    write_atomically,
)
from ..memory import require

CELLS = ("rnn", "lstm", "gru", "irnn")


def _dynamics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cell",
        choices=CELLS,
        default="rnn",
        help="a fresh cell (tanh RNN, LSTM, GRU, or IRNN: ReLU with W_hh = I) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--hidden",
        type=positive_int,
        default=None,
        help="hidden units of a fresh cell (default: 32)",
    )
    parser.add_argument(
        "--T", type=positive_int, default=200, help="sequence length (default: %(default)s)"
    )
    parser.add_argument(
        "--init",
        choices=("default", "orthogonal"),
        default="default",
        help="recurrent weights: the cell's own init, or an orthogonal matrix per gate "
        "block (default: %(default)s)",
    )
    parser.add_argument(
        "--scale",
        type=positive_float,
        default=1.0,
        help="multiply the recurrent weights W_hh by this (default: %(default)s)",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="PATH",
        type=nonempty_path,
        help="analyse the one-layer model of an `rnn train` checkpoint or an "
        "`rnn task --save` file instead of a fresh cell",
    )
    parser.add_argument(
        "--k",
        type=positive_int,
        default=None,
        help="only the k largest Lyapunov exponents (default: all)",
    )
    parser.add_argument(
        "--starts",
        type=positive_int,
        default=64,
        help="visited states the fixed-point search starts from (default: %(default)s)",
    )
    add_seed(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        type=nonempty_path,
        help="write spectrum.png, products.png and fixed_points.png into DIR (needs matplotlib)",
    )
    add_quiet(parser)


def _require_memory(
    args: argparse.Namespace, states: int, gates: int, hidden: int, inputs: int
) -> None:
    """ValueError (one line) when the analysis cannot fit in memory. It holds, in float64,
    the weights a few times, every step Jacobian (T, D, D) twice while they are joined
    (about 2.2 times their size measured), and the fixed-point search's (starts, D, D)
    matrices a few times."""
    D = states * hidden
    weights = gates * hidden * (inputs + hidden + 2)
    need = 8 * (3 * weights + D * D * (2 * args.T + 4 * args.starts))
    require(need, f"the analysis (--T {args.T}, state size D = {D}, --starts {args.starts})")


@command(
    "dynamics",
    help="Lyapunov spectrum, Jacobian-product singular values and fixed points of a cell",
    arguments=_dynamics_arguments,
)
def dynamics(args: argparse.Namespace) -> None:
    import numpy as np

    from ...cells import cell_kind
    from .. import dynamics as study
    from ..progress import bar

    if args.T < 2:
        raise UsageError(f"--T (the sequence length) must be at least 2, got {args.T}")
    if args.checkpoint and (
        args.cell != "rnn" or args.init != "default" or args.scale != 1.0 or args.hidden
    ):
        raise UsageError(
            "--checkpoint analyses a saved model: drop --cell, --hidden, --init and --scale"
        )
    if args.hidden is None:
        args.hidden = 32
    if args.output:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            from ..gradflow import PLOTS_HINT

            raise CLIError(PLOTS_HINT) from None
        check_folder(args.output, "-o")
        from ..dynamics_plots import FIGURES

        for name in FIGURES:  # written over the checkpoint, were it one of them
            path = os.path.join(args.output, name)
            checkpoint = [("the --checkpoint", args.checkpoint)]
            refuse_same_file("-o", path, checkpoint, f"{name} would replace it")
    try:
        if args.checkpoint:
            subject = study.from_checkpoint(args.checkpoint, args.T, args.seed)
        else:
            kind = cell_kind("rnn" if args.cell == "irnn" else args.cell)
            _require_memory(args, len(kind.state), kind.gates, args.hidden, 2)
            subject = study.build(args.cell, args.hidden, args.T, args.init, args.scale, args.seed)
        layer = subject.layer
        _require_memory(
            args, len(layer.kind.state), layer.kind.gates, layer.hidden_size, subject.x.shape[2]
        )
    except ValueError as e:
        raise CLIError(str(e)) from None
    D = len(subject.layer.kind.state) * subject.layer.hidden_size
    if args.k is not None and args.k > D:
        raise UsageError(f"--k {args.k} is larger than the state size D = {D}")
    progress = bar(4, desc=subject.name, enabled=show_progress(args))
    with progress:

        def stage(name: str) -> None:
            if progress.n or name != "Lyapunov spectrum":
                progress.update(1)
            progress.set_description(f"{subject.name}: {name}")

        try:
            with np.errstate(over="raise"):
                result = study.analyse(
                    subject, k=args.k, starts=args.starts, seed=args.seed, stage=stage
                )
        except FloatingPointError:
            raise CLIError(
                f"the analysis overflows float64 with the recurrent weights scaled by "
                f"{args.scale:g}; use a smaller --scale"
                if args.scale != 1.0
                else "the analysis overflows float64 with this model's weights"
            ) from None
        except ValueError as e:
            raise CLIError(str(e)) from None
        progress.update(1)
    print(study.format_table([result]))
    fixed = result.fixed
    for point, (eig, label, count) in enumerate(
        zip(fixed.eigenvalues, fixed.labels, fixed.counts, strict=True)
    ):
        print(
            f"fixed point {point}: {label}, |λ|max {abs(eig[0]):.4f}, "
            f"reached from {count} of {args.starts} starts"
        )
    if fixed.unconverged:
        print(f"{fixed.unconverged} starts did not converge (slow regions, not fixed points)")
    if args.output:
        for name, draw in FIGURES.items():
            path = os.path.join(args.output, name)
            try:
                write_atomically(path, lambda tmp, draw=draw: draw([result], str(tmp)))
            except OSError as e:
                raise CLIError(f"cannot write {path}: {e.strerror}") from None
            print(f"wrote {path}", file=sys.stderr)
