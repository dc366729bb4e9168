"""Primitive ops and the composites written from them.

Each op is defined once, in one module of this package, by a function whose forward
and derivative rule stand together; its registration (:mod:`.registry`) exports it
here, installs its Tensor methods and gives the test suite its row. The names this
package exports are the registered ops plus :func:`record` and :func:`unbroadcast`.
"""

# Importing a module registers its ops.
from . import (  # noqa: F401
    activations,
    arith,
    augmented,
    casts,
    contract,
    elementwise,
    explog,
    expm,
    indexing,
    interpolate,
    joins,
    layout,
    linalg,
    loss,
    multiply_add,
    norms,
    pieces,
    piecewise,
    reduce,
    select,
    shape,
    special,
    stats,
    trig,
    unary,
)
from .core import record, unbroadcast
from .registry import REGISTRY, OpDef, composite, definitions, primitive  # noqa: F401

globals().update({op.name: op.forward for op in definitions() if op.module.startswith(__name__)})

__all__ = ["record", "unbroadcast"]
__all__ += [op.name for op in definitions() if op.module.startswith(__name__)]
__all__.sort()
