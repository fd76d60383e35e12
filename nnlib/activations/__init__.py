"""Activation functions (激活函数), split by kind:

* :mod:`~nnlib.activations.functional`: stable ``sigmoid``, ``softmax``, ``log_softmax``, ``logsumexp``;
* :mod:`~nnlib.activations.base`: the protocol (``f``/``df`` and one validating wrapper);
* :mod:`~nnlib.activations.elementwise`: identity, step, sigmoid, tanh, hard sigmoid/tanh, ReLU,
  leaky ReLU, ELU, softplus, swish, GELU;
* :mod:`~nnlib.activations.learnable`: PReLU, RReLU, APL, SReLU (parameters with gradients);
* :mod:`~nnlib.activations.mixing`: maxout and softmax (no scalar derivative).

Every activation object has ``forward(z) -> (a, cache)``, ``backward(da, cache) -> dz`` (the
vector-Jacobian product ``dL/dz`` given ``da = dL/da``), ``__call__(z) -> a`` and, for element-wise
ones, ``derivative(z) -> f'(z)``; ``params``/``grads`` are dicts of arrays (empty unless learnable).
``get(name, **kwargs)`` builds one from its name, ``names()`` lists the names.

Conventions at kinks: where the function is not differentiable we return a one-sided derivative,
the value used in the sources' tables (ReLU'(0) = 0, hard-tanh'(±1) = 0, SReLU'(t_l) = a_l).
dtype: float64 by default; float32 in gives float32 out (parameters are cast to the input's dtype
in the computation, never stored in a lower precision).
"""

from __future__ import annotations

import inspect

from .._checks import lookup
from .base import Activation, Cache
from .elementwise import (
    ELU, GELU, HardSigmoid, HardTanh, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Step, Swish, Tanh,
)
from .functional import log_softmax, logsumexp, sigmoid, softmax
from .learnable import APL, PReLU, RReLU, SReLU
from .mixing import Maxout, Softmax

__all__ = [
    "Activation", "Cache",
    "Identity", "Step", "Sigmoid", "Tanh", "HardSigmoid", "HardTanh", "ReLU", "LeakyReLU",
    "PReLU", "RReLU", "ELU", "Softplus", "Swish", "GELU", "Maxout", "Softmax", "APL", "SReLU",
    "sigmoid", "softmax", "log_softmax", "logsumexp", "get", "names",
]


_REGISTRY: dict[str, type[Activation]] = {
    "identity": Identity, "linear": Identity,
    "step": Step, "binary_step": Step,
    "sigmoid": Sigmoid, "logistic": Sigmoid,
    "tanh": Tanh,
    "hard_sigmoid": HardSigmoid, "hard_logistic": HardSigmoid,
    "hard_tanh": HardTanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "rrelu": RReLU,
    "elu": ELU,
    "softplus": Softplus,
    "swish": Swish,
    "gelu": GELU,
    "maxout": Maxout,
    "softmax": Softmax,
    "apl": APL,
    "srelu": SReLU,
}


def names() -> list[str]:
    """All accepted activation names (aliases included), sorted."""
    return sorted(_REGISTRY)


def get(name, **kwargs) -> Activation:
    """A new activation from its name, e.g. ``get("leaky_relu", gamma=0.1)``.

    An ``Activation`` instance is returned unchanged (so ``MLP`` can take names or objects).
    """
    if isinstance(name, Activation):
        if kwargs:
            raise TypeError(f"get() got an Activation instance {name!r}; keyword arguments {sorted(kwargs)} are not allowed")
        return name
    cls = lookup(_REGISTRY, "activation", name)
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"activation {name!r} got unknown argument(s) {', '.join(unknown)}; "
            f"it accepts: {', '.join(accepted) if accepted else 'no arguments'}"
        )
    return cls(**kwargs)
