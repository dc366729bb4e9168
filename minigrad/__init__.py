"""minigrad: a small, fast, honest reverse-mode automatic differentiation engine on NumPy.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from . import compile, func, functional, nn, ops, optim
from .autograd import current_scope, enable_grad, grad, is_grad_enabled, no_grad, scope
from .creation import (
    arange,
    eye,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck
from .io import load, save
from .logic import all, allclose, any, argmax, argmin, argsort, isclose, nonzero
from .rng import manual_seed
from .tensor import Tensor, get_default_dtype, set_default_dtype
from .threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

# The top-level ops (``minigrad.exp``, ``minigrad.stack``...) are those registered
# with ``top_level=True``.
globals().update({op.name: op.forward for op in ops.definitions() if op.top_level})

__all__ = [
    "GradcheckError",
    "Tensor",
    "all",
    "allclose",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "compile",
    "current_scope",
    "enable_grad",
    "eye",
    "full",
    "full_like",
    "func",
    "functional",
    "get_default_dtype",
    "get_num_threads",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "isclose",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "nonzero",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "save",
    "scope",
    "set_default_dtype",
    "set_num_threads",
    "tensor",
    "zeros",
    "zeros_like",
]
__all__ += [op.name for op in ops.definitions() if op.top_level]
__all__.sort()
