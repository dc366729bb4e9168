"""Neural-network building blocks: modules, parameters, layers, initialisation, clipping."""

from . import init, utils
from .containers import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .module import IncompatibleKeys, Module, Parameter
from .utils import clip_grad_norm_, clip_grad_value_

__all__ = [
    "Dropout",
    "Embedding",
    "IncompatibleKeys",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "Sequential",
    "clip_grad_norm_",
    "clip_grad_value_",
    "init",
    "utils",
]
