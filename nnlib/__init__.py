"""nnlib: small numpy reference implementations for the course *Feedforward Neural Networks*.

Modules have one job each; import them explicitly, e.g. ``from nnlib import activations``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
