"""What the run ran on: versions, CPUs, BLAS, load average."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import sys
from typing import Any

import numpy as np


def load_average() -> tuple[float, float, float] | None:
    """The 1, 5 and 15 minute load averages, or None where the OS has none."""
    try:
        return os.getloadavg()
    except (OSError, AttributeError):
        return None


def format_load(load: tuple[float, float, float] | None) -> str:
    if load is None:
        return "load average unavailable"
    return "load average {:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*load)


def _blas() -> Any:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return {k: blas.get(k) for k in ("name", "version")}
    except Exception as e:  # older NumPy: no dict mode
        return f"unavailable ({type(e).__name__})"


def machine_info() -> dict[str, Any]:
    """Date, Python, platform, CPUs, NumPy and its BLAS, optional packages, load."""
    info: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "blas": _blas(),
        "loadavg_start": load_average(),
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    for mod in ("torch", "autograd", "threadpoolctl"):
        try:
            info[mod] = importlib.metadata.version(mod)
        except importlib.metadata.PackageNotFoundError:
            info[mod] = None
    return info
