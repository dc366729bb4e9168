"""Neural-network building blocks: modules, parameters, layers, initialisation."""

from .module import Module, Parameter

__all__ = ["Module", "Parameter"]
