"""Refusing sizes that cannot fit in memory, before allocating them.

A user who types ``--hidden 99999999999`` should read one line saying the model is too
large, not a NumPy traceback, and a size that fits in virtual but not physical memory
should not send the machine into swap. The jobs estimate what a run holds
(:func:`recurrent_bytes`) and call :func:`require` first.
"""

from __future__ import annotations

import os

__all__ = ["available_bytes", "human", "recurrent_bytes", "require"]

# Training holds each parameter about four times (value, gradient, two Adam moments)
# and, per time step, a few arrays per gate for backward.
_COPIES_PER_PARAMETER = 4
_ARRAYS_PER_GATE = 3


def available_bytes() -> int:
    """Memory the system can give this process now (Linux: MemAvailable), else the
    physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1


def human(nbytes: float) -> str:
    """``nbytes`` in B, KB, MB, GB, TB, ... (powers of 1024), three significant digits."""
    units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    size, unit = float(nbytes), 0
    while size >= 1024 and unit < len(units) - 1:
        size, unit = size / 1024, unit + 1
    return f"{size:.3g} {units[unit]}"


def recurrent_bytes(
    *,
    gates: int,
    input_size: int,
    hidden: int,
    layers: int = 1,
    steps: int = 1,
    batch: int = 1,
    extra_parameters: int = 0,
    itemsize: int = 4,
) -> int:
    """A rough upper estimate of what training a recurrent layer holds, in bytes.

    Parameters per layer: ``G H (I + H + 2)`` (``I = H`` above the first layer), plus
    ``extra_parameters`` (embeddings, readouts); each held about four times. Activations:
    ``T N G H`` per layer, a few arrays each, kept for backward.
    """
    params = extra_parameters
    for layer in range(layers):
        fan_in = input_size if layer == 0 else hidden
        params += gates * hidden * (fan_in + hidden + 2)
    activations = steps * batch * (gates + 1) * hidden * layers * _ARRAYS_PER_GATE
    inputs = steps * batch * input_size
    return (params * _COPIES_PER_PARAMETER + activations + inputs) * itemsize


def require(nbytes: int, what: str) -> None:
    """Raise ``ValueError`` (one line) if ``nbytes`` exceed the memory available;
    ``what`` names the thing being sized ("the model (--hidden 99999999999)")."""
    free = available_bytes()
    if nbytes > free:
        raise ValueError(
            f"{what} needs about {human(nbytes)} of memory, more than the {human(free)} "
            "available; use smaller sizes"
        )
