"""minigrad: a small, fast, honest reverse-mode automatic differentiation engine on NumPy.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from . import compile, functional, nn, ops, optim
from .autograd import current_scope, enable_grad, grad, is_grad_enabled, no_grad, scope
from .creation import (
    arange,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck
from .io import load, save
from .ops import (
    abs,
    chunk,
    clip,
    concatenate,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    relu,
    sigmoid,
    split,
    sqrt,
    stack,
    take,
    tanh,
    unbind,
    where,
)
from .rng import manual_seed
from .tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "abs",
    "arange",
    "chunk",
    "clip",
    "compile",
    "concatenate",
    "current_scope",
    "enable_grad",
    "exp",
    "eye",
    "full",
    "functional",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "load",
    "log",
    "manual_seed",
    "matmul",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "rand",
    "randn",
    "relu",
    "save",
    "scope",
    "set_default_dtype",
    "sigmoid",
    "split",
    "sqrt",
    "stack",
    "take",
    "tanh",
    "tensor",
    "unbind",
    "where",
    "zeros",
    "zeros_like",
]
