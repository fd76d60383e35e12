"""The activation protocol: a function ``f``, its derivative ``df``, and one validating wrapper.

An element-wise activation is two textbook formulas::

    f(z)      -> a = f(z)
    df(z, a)  -> f'(z)   (given a = f(z) too: σ' = a(1 − a) needs no second exp)

and the base class turns them into a pass over a batch, ``_forward(z) -> (a, cache)`` and
``_backward(da, cache) -> dz = da ⊙ f'(z)``. Activations whose backward pass is not ``da ⊙ f'``
(learnable parameters, neuron-mixing ones) override these two instead. Nothing else is ever
overridden: ``forward``/``backward`` (the public API) validate their arguments once and call the
pair, and ``MLP`` calls the pair directly after validating ``X`` once.
"""

from __future__ import annotations

import functools

import numpy as np

from .._checks import as_float_array, as_float_scalar, as_int_scalar, check_size

__all__ = ["Activation", "Cache", "NotElementwise"]


class Cache(tuple):
    """What ``forward`` hands to ``backward``: a tuple, tagged with the activation that made it and
    the shape of its output, so that a wrong cache is a clear error instead of an IndexError."""

    owner: "Activation"
    out_shape: tuple

    def __new__(cls, items, owner, out_shape):
        if not isinstance(items, tuple) or not isinstance(owner, Activation):
            raise TypeError(f"Cache(items, owner, out_shape) is made by forward(z): items must be a tuple and owner "
                            f"an Activation, got {type(items).__name__} and {type(owner).__name__}")
        if not (isinstance(out_shape, tuple) and all(isinstance(m, int) and m >= 0 for m in out_shape)):
            raise TypeError(f"out_shape must be a tuple of non-negative ints, got {out_shape!r:.40}")
        self = super().__new__(cls, items)
        self.owner, self.out_shape = owner, tuple(out_shape)
        return self

    def __reduce__(self):  # copy/deepcopy/pickle (a network holding its last caches is copied whole)
        return Cache, (tuple(self), self.owner, self.out_shape)


class Activation:
    """Base class. Element-wise subclasses implement ``f(z)`` and ``df(z, a)`` only."""

    name = "activation"
    elementwise = True
    min_ndim = 0  # element-wise activations accept scalars too (handy for plots and tables)

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # f and df are public (a reader tries act.f(z) on a list or an int array): each gets the checks of
        # forward(z) on z's type, dtype and shape, which cost O(1) on the clean arrays of the batch passes.
        for name in ("f", "df"):
            if name in vars(cls):
                setattr(cls, name, _checked(vars(cls)[name]))

    # -- the textbook formulas ----------------------------------------------------------------
    def f(self, z):
        """a = f(z), element-wise."""
        raise TypeError(f"{type(self).__name__} defines no formula f(z); use forward(z)")

    def df(self, z, a):
        """f'(z), element-wise, given a = f(z)."""
        raise TypeError(f"{type(self).__name__} defines no scalar derivative df(z, a); use backward(da, cache)")

    # -- a pass over a clean batch (shapes and dtypes already checked) ------------------------
    def _forward(self, z):
        a = self.f(z)
        return a, (z, a)

    def _backward(self, da, cache):
        z, a = cache
        return da * self.df(z, a)

    # -- the validating wrapper (public API) --------------------------------------------------
    def forward(self, z):
        """z: any shape → (a, cache), a = f(z) of the same shape."""
        a, cache = self._forward(self._check_z(z))
        return a, Cache(cache, self, np.shape(a))

    def backward(self, da, cache) -> np.ndarray:
        """da = dL/da (shape of a) → dz = dL/dz (the vector-Jacobian product)."""
        if not isinstance(cache, Cache) or cache.owner is not self:
            raise TypeError(
                f"cache must be the cache returned by this {type(self).__name__}'s forward(z), "
                f"got {type(cache).__name__}"
            )
        da = as_float_array(da, "da", allow_empty=True)
        if da.shape != cache.out_shape:
            raise ValueError(
                f"da has shape {da.shape} but the activation output a has shape {cache.out_shape}; "
                f"they must have the same shape"
            )
        return self._backward(da, tuple(cache))

    def __call__(self, z) -> np.ndarray:
        return self.forward(z)[0]

    def derivative(self, z) -> np.ndarray:
        """f'(z) element-wise (the diagonal of the Jacobian)."""
        z = self._check_z(z)
        return self.df(z, self.f(z))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _check_z(self, z, finite: bool = True) -> np.ndarray:
        z = as_float_array(z, "z", min_ndim=self.min_ndim, finite=finite)
        self._check_shape(z)
        return z

    def _check_shape(self, z: np.ndarray) -> None:
        """What an activation needs of the shape of a float array ``z`` (learnable ones: one unit per parameter)."""


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _checked(formula):
    """``formula`` (an ``f(z)`` or ``df(z, a)``) with ``z`` (and ``a``) checked as ``forward`` checks ``z``,
    except for NaN/inf (a formula maps them like any number). The clean float arrays of the batch passes
    get the O(1) shape check only."""
    def check(self, z, a=None):
        if type(z) is np.ndarray and z.dtype in _FLOATS and z.ndim >= self.min_ndim and z.size:
            self._check_shape(z)
        else:
            z = self._check_z(z, finite=False)
        if a is not None and not (type(a) is np.ndarray and a.dtype == z.dtype and a.shape == z.shape):
            a = as_float_array(a, "a", finite=False, dtype=z.dtype)
            if a.shape != z.shape:
                raise ValueError(f"a has shape {a.shape} but z has shape {z.shape}; a = f(z) has z's shape")
        return z, a

    if formula.__name__ == "f":
        @functools.wraps(formula)
        def checked_f(self, z):
            return formula(self, check(self, z)[0])
        return checked_f

    @functools.wraps(formula)
    def checked_df(self, z, a):
        if a is None:
            raise TypeError("a must be the activation's output f(z), an array of z's shape; got None")
        return formula(self, *check(self, z, a))
    return checked_df


class NotElementwise(Activation):
    """Base of the activations that mix the neurons of a sample (no scalar derivative)."""

    elementwise = False
    min_ndim = 1

    def derivative(self, z):
        raise TypeError(
            f"{self.name} is not element-wise, so it has no scalar derivative f'(z); "
            f"use backward(da, cache) (vector-Jacobian product)"
            + (" or jacobian(z)" if hasattr(self, "jacobian") else "")
        )


# -- helpers of the learnable activations -------------------------------------------------------
def param_size(size) -> int | None:
    """``size`` of a learnable activation: None (one shared parameter) or a number of neurons."""
    if size is None:
        return None
    return check_size(as_int_scalar(size, "size", min_value=1), f"size={size}")


def make_param(value, name: str, size: int | None) -> np.ndarray:
    """A learnable parameter: a float64 array of shape (size,) (one per neuron) or () (shared)."""
    if size is None:
        return np.array(as_float_scalar(value, name), dtype=np.float64)
    arr = as_float_array(value, name, ndim=(0, 1)).astype(np.float64)
    if arr.ndim == 1 and arr.shape != (size,):
        raise ValueError(f"{name} has shape {arr.shape} but size={size}; expected a scalar or shape ({size},)")
    return np.array(np.broadcast_to(arr, (size,)), dtype=np.float64)


def check_units(z: np.ndarray, size: int | None, who: str) -> None:
    if size is not None and (z.ndim == 0 or z.shape[-1] != size):
        raise ValueError(
            f"z has shape {z.shape} but {who} was built with size={size}; "
            f"expected z of shape (N, {size}) (one parameter per neuron on the last axis)"
        )


def sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a per-element gradient over the batch axes down to a parameter's shape."""
    if shape == ():
        return np.asarray(g.sum(), dtype=np.float64)
    return g.reshape(-1, shape[-1]).sum(axis=0).astype(np.float64)

