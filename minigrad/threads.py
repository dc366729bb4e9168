"""How many threads NumPy's BLAS library (OpenBLAS, MKL, BLIS, ...) may use.

Recurrent models multiply small matrices (a batch of 32 by a hidden size of 128, say),
where starting and synchronising BLAS threads costs more than the threads save; on a
busy machine, threads that compete with other work made a training step 5-13x slower
in our measurements. One thread is the right choice for such work::

    import minigrad
    minigrad.set_num_threads(1)

The examples and the ``rnn`` command line do this unless the user has chosen a number
through ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS``. Large
matrix products (thousands by thousands) are the exception: they gain from threads.
The limit acts on the BLAS libraries already loaded, at any time (NumPy need not be
imported first), through ``threadpoolctl``.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["THREAD_VARIABLES", "get_num_threads", "set_num_threads", "threads_chosen_by_user"]

# The environment variables by which a user chooses BLAS threading.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def set_num_threads(n: int) -> None:
    """Let NumPy's BLAS use at most ``n`` threads from now on (process-wide)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int | None:
    """The most threads any loaded BLAS library may use (None if none is loaded)."""
    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(counts) if counts else None


def threads_chosen_by_user() -> bool:
    """Whether one of :data:`THREAD_VARIABLES` is set in the environment."""
    return any(os.environ.get(name) for name in THREAD_VARIABLES)
