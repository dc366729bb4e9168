"""``rnn graph``: draw the unrolled computation graph."""

from __future__ import annotations

import argparse
import subprocess

from ..command import (
    CLIError,
    UsageError,
    add_seed,
    check_writable,
    command,
    nonempty_path,
    positive_float,
    positive_int,
    write_atomically,
)
from ..models import CELLS

CELL_CHOICES = list(CELLS)  # the cell kinds: "rnn", "lstm", "gru", ...


def _graph_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--cell", choices=CELL_CHOICES, default="lstm", help="recurrent cell (default: %(default)s)"
    )
    add("--steps", type=positive_int, default=3, help="time steps to unroll (default: %(default)s)")
    add("--hidden", type=positive_int, default=4, help="hidden units (default: %(default)s)")
    add("--input", type=positive_int, default=3, help="input size (default: %(default)s)")
    add("--collapse", action="store_true", help="one node per time step (for long sequences)")
    add(
        "--grads",
        action="store_true",
        help="run backward from the last step's output and colour by log10 gradient norm",
    )
    add(
        "--scale",
        type=positive_float,
        default=1.0,
        help="multiply the recurrent weights (below 1 a tanh RNN's gradient fades; "
        "default: %(default)s)",
    )
    add("--layers", type=positive_int, default=1, help="stacked layers (default: %(default)s)")
    add(
        "--max-nodes",
        type=positive_int,
        default=2000,
        help="refuse larger full graphs (default: %(default)s)",
    )
    add_seed(parser)
    add(
        "-o",
        "--output",
        type=nonempty_path,
        default="unrolled.svg",
        help="file to write: .svg, .png, .pdf (need Graphviz's dot), .dot, or .html for the "
        "interactive explorer with backward replayed (default: %(default)s)",
    )


@command(
    "graph", help="draw the unrolled computation graph with Graphviz", arguments=_graph_arguments
)
def graph(args: argparse.Namespace) -> None:
    from minigrad import viz
    from minigrad.viz.save import FORMATS

    from ..graphs import unrolled_graph
    from ..memory import recurrent_bytes, require
    from ..models import cell_gates

    # Checked here, before the temporary file of the atomic write borrows the name.
    if not args.output.lower().endswith((*FORMATS, ".html", ".htm")):
        kinds = ", ".join((*FORMATS, ".html"))
        raise UsageError(f"-o {args.output}: cannot tell the format; use one of {kinds}")
    try:
        check_writable(args.output, "-o")
        require(
            args.layers
            * recurrent_bytes(
                gates=cell_gates(args.cell),
                input_size=args.input,
                hidden=args.hidden,
                steps=args.steps,
                itemsize=8,
            ),
            f"the graph (--hidden {args.hidden}, --steps {args.steps})",
        )
    except ValueError as e:
        raise CLIError(str(e)) from None
    if args.output.lower().endswith((".html", ".htm")):
        _explorer(args)
        return
    try:
        picture = unrolled_graph(
            args.cell,
            args.steps,
            input_size=args.input,
            hidden_size=args.hidden,
            num_layers=args.layers,
            collapse=args.collapse,
            grads=args.grads,
            recurrent_scale=args.scale,
            seed=args.seed,
            max_nodes=args.max_nodes,
        )
        # Written beside the target and moved onto it: a full disk leaves no partial file.
        path = write_atomically(args.output, lambda tmp: viz.save(picture, tmp))
    except (ValueError, RuntimeError) as e:
        # The drawing's own words for its arguments, as this command's options.
        message = str(e).replace("pass collapse=True", "pass --collapse")
        message = message.replace("max_nodes=", "--max-nodes ")
        raise CLIError(message.replace("raise max_nodes", "raise --max-nodes")) from None
    except OSError as e:
        raise CLIError(f"cannot write {args.output}: {e.strerror}") from None
    except subprocess.CalledProcessError as e:
        raise CLIError(
            f"Graphviz's dot failed on {args.output} (exit status {e.returncode})"
        ) from None
    print(f"wrote {path}")


def _explorer(args: argparse.Namespace) -> None:
    """``graph -o page.html``: the explorer page of the same model, backward traced."""
    from ..graphs import explorer_page

    try:
        page = explorer_page(
            args.cell,
            args.steps,
            input_size=args.input,
            hidden_size=args.hidden,
            num_layers=args.layers,
            recurrent_scale=args.scale,
            seed=args.seed,
            max_nodes=args.max_nodes,
        )
        path = page.save(args.output)
    except (ValueError, RuntimeError) as e:
        message = str(e).replace("max_nodes=", "--max-nodes ")
        if message.startswith("explore: the page would draw"):
            message = message.split(" (")[0] + "; use fewer --steps or raise --max-nodes"
        raise CLIError(message.replace("raise max_nodes", "raise --max-nodes")) from None
    except OSError as e:
        raise CLIError(f"cannot write {args.output}: {e.strerror}") from None
    print(f"wrote {path}")
