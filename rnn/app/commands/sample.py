"""``rnn sample``: generate text from a trained checkpoint."""

from __future__ import annotations

import argparse
import sys

from ..command import (
    CLIError,
    UsageError,
    command,
    natural,
    nonempty_path,
    nonnegative_float,
    positive_int,
)


def _sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", metavar="CHECKPOINT", type=nonempty_path, help="a checkpoint of `train`"
    )
    parser.add_argument(
        "--checkpoint", metavar="PATH", type=nonempty_path, help="the same, as an option"
    )
    parser.add_argument(
        "--prime", help="text to start from (default: a newline, if the model knows it)"
    )
    parser.add_argument(
        "--temperature",
        type=nonnegative_float,
        default=0.8,
        help="softmax temperature; 0 picks the likeliest character (default: %(default)s)",
    )
    parser.add_argument(
        "--length",
        type=positive_int,
        default=500,
        help="characters to generate, at least 1 (default: %(default)s)",
    )
    parser.add_argument("--seed", type=natural, help="random seed (same seed, same text)")


@command("sample", help="generate text from a trained checkpoint", arguments=_sample_arguments)
def sample(args: argparse.Namespace) -> None:
    from ..sample import generate_chunks

    if args.path and args.checkpoint and args.path != args.checkpoint:
        raise UsageError("give the checkpoint once (positional or --checkpoint), not both")
    path = args.path or args.checkpoint
    if not path:
        raise UsageError(
            "which checkpoint? give its path (e.g. rnn sample out/train/checkpoint.npz)"
        )
    try:
        chunks = generate_chunks(path, args.prime, args.length, args.temperature, args.seed)
    except ValueError as e:
        raise CLIError(str(e)) from None
    # Each chunk is written as it is drawn (`| head -c 100` ends at once, Ctrl-C keeps
    # what was drawn); the text ends with a newline, as print() ends it.
    try:
        for chunk in chunks:
            _write(chunk)
            sys.stdout.flush()
    except ValueError as e:  # the model's outputs, found while drawing
        print(file=sys.stdout)
        raise CLIError(str(e)) from None
    except KeyboardInterrupt:
        print(file=sys.stdout, flush=True)  # the text drawn so far ends its line
        raise
    print()


def _write(text: str) -> None:
    """Write ``text`` to stdout as it is. Where stdout's encoding cannot represent one of
    its characters, the text before it is written and a ValueError names it: the text is
    the command's product, so it is not written with escapes in its place."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError as e:
        sys.stdout.write(text[: e.start])
        raise ValueError(
            f"stdout's encoding ({encoding}) cannot write {text[e.start]!r}, which the text "
            "holds; set PYTHONIOENCODING=utf-8 (or a UTF-8 locale) to write it"
        ) from None
    sys.stdout.write(text)
