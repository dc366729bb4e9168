"""Progress of the training jobs: one bar style for all of them, on stderr.

The bar counts optimiser steps (unit ``step``); lines written with :func:`write` go
above it to stdout, so a bar never splits a log line, and are flushed at once, so that
without a terminal (a pipe, a log file, a batch job) each line appears when it is
written rather than when the run ends.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["BASELINES_STATUS", "bar", "status", "write"]

#: What a job says on stderr before it measures the baselines (seconds of quiet work
#: after training: the n-gram orders fitted and the compressors run).
BASELINES_STATUS = "measuring the baselines on the validation text (n-gram, gzip, bz2, xz) ..."


def bar(total: int, *, initial: int = 0, desc: str | None = None, enabled: bool = True) -> tqdm:
    """A progress bar over ``total`` steps starting at ``initial`` (off unless ``enabled``)."""
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="step",
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
    )


def write(message: str) -> None:
    """Print ``message`` to stdout above any running bar, and flush it. Characters that
    stdout's encoding cannot represent (a sample of a non-ASCII text on an ASCII or
    Latin-1 stdout) are written as backslash escapes, as Python writes them to stderr:
    a log line never stops a run."""
    try:
        tqdm.write(message, file=sys.stdout)
    except UnicodeEncodeError as e:  # raised before anything of the line is written
        escaped = message.encode(e.encoding, "backslashreplace").decode(e.encoding)
        tqdm.write(escaped, file=sys.stdout)
    sys.stdout.flush()


def status(message: str, enabled: bool = True) -> None:
    """Say on stderr, beside the progress bars, what a job is busy with when it will be
    quiet for a while (off unless ``enabled``, as the bars)."""
    if enabled:
        tqdm.write(message, file=sys.stderr)
        sys.stderr.flush()
