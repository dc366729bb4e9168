"""BLAS (and torch) threads, set explicitly.

On a shared machine, BLAS threads competing for the cores make every step slower by a
factor that depends on the load, not on the code. The benchmark therefore sets the thread
count itself: through the environment before NumPy is first imported (the only way that
works for every BLAS), and again at run time through threadpoolctl when it is installed.
This module imports nothing that imports NumPy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENV_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
DEFAULT = 1
_limits: list[Any] = []  # keeps threadpoolctl's limiter alive for the whole run
_env_in_time: list[bool] = []  # whether set_env ran before NumPy was imported


def from_argv(argv: list[str]) -> int:
    """The value of ``--blas-threads N`` (or ``--blas-threads=N``) in argv, else 1."""
    for i, arg in enumerate(argv):
        if arg == "--blas-threads" and i + 1 < len(argv) and argv[i + 1].isdigit():
            return int(argv[i + 1])
        if arg.startswith("--blas-threads=") and arg.split("=", 1)[1].isdigit():
            return int(arg.split("=", 1)[1])
    return DEFAULT


def set_env(n: int) -> bool:
    """Set every BLAS thread variable to n; returns whether NumPy was already imported
    (then the variables come too late and only :func:`pin` can still act)."""
    for var in ENV_VARS:
        os.environ[var] = str(n)
    _env_in_time.append("numpy" not in sys.modules)
    return not _env_in_time[-1]


def pin(n: int, torch_threads: int | None) -> dict[str, Any]:
    """Limit BLAS to n threads now (threadpoolctl, when installed) and torch to
    ``torch_threads`` (when torch is imported); report what is in force."""
    report: dict[str, Any] = {
        "requested": n,
        "env": {v: os.environ.get(v) for v in ENV_VARS},
        "env_before_numpy": bool(_env_in_time and _env_in_time[0]),
    }
    try:
        import threadpoolctl
    except ImportError:
        report["threadpoolctl"] = None
    else:
        _limits.append(threadpoolctl.threadpool_limits(limits=n, user_api="blas"))
        report["threadpoolctl"] = [
            {k: pool.get(k) for k in ("internal_api", "num_threads", "version")}
            for pool in threadpoolctl.threadpool_info()
            if pool.get("user_api") == "blas"
        ]
    if torch_threads is not None and "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(torch_threads)
        report["torch"] = torch.get_num_threads()
    return report


def describe(report: dict[str, Any]) -> str:
    """One line: how many BLAS (and torch) threads, and how that was enforced."""
    pools = report.get("threadpoolctl")
    if pools:
        how = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools)
        text = f"BLAS threads {report['requested']} (threadpoolctl: {how})"
    elif report["env_before_numpy"]:
        text = f"BLAS threads {report['requested']} (environment, set before NumPy was imported)"
    else:
        text = "BLAS threads NOT pinned (NumPy imported first and threadpoolctl not installed)"
    if "torch" in report:
        text += f", torch threads {report['torch']}"
    return text
