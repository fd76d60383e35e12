"""nnlib's matrix products do not report the stale-stack NaN of OpenBLAS's AVX-512 float32 kernel.

OpenBLAS's ``sgemv_t`` kernel for SkylakeX-class CPUs sums two output rows in vector lanes, two of which
hold stack bytes it never wrote (see ``nnlib._kernels.exact_products``). When those bytes form a
signalling NaN the CPU sets the invalid-operation flag and numpy warns about an exact product; the suite
turns that warning into an error, so a few float32 tests failed now and then, in whichever worker
process had such bytes on its stack. Here the stale bytes are put there on purpose: a few bytes of
x86-64 machine code fill the free stack below the caller with a signalling NaN, and the next product
finds them.
"""

from __future__ import annotations

import ctypes
import mmap
import platform
import sys
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from nnlib.layers import Dense, dense_backward, dense_forward
from nnlib.network import MLP
from nnlib.perceptron import delta_rule_predict, mp_neuron, perceptron_predict

SIGNALLING_NAN = 0x7FA00000  # float32: exponent all ones, quiet bit clear, payload non-zero
QUIET_NAN = 0x7FC00000

pytestmark = pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64",
                                reason="the stack filler is x86-64 machine code in an executable mmap")


def _stack_filler(pattern):
    """A C-callable function that fills the 64 KiB below its stack pointer with the 32-bit ``pattern``.

    mov ecx, 16384; lea rdi, [rsp - 65536]; mov eax, pattern; cld; rep stosd; ret
    """
    code = (bytes([0xB9, 0x00, 0x40, 0x00, 0x00, 0x48, 0x8D, 0xBC, 0x24, 0x00, 0x00, 0xFF, 0xFF, 0xB8])
            + pattern.to_bytes(4, "little") + bytes([0xFC, 0xF3, 0xAB, 0xC3]))
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    fill = ctypes.CFUNCTYPE(None)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    fill.page = page  # the code stays mapped as long as the function lives
    return fill


@pytest.fixture(scope="module")
def fill_stack():
    return _stack_filler(SIGNALLING_NAN)


def _no_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def _skylakex_openblas():
    return any(p.get("internal_api") == "openblas" and p.get("architecture") in ("SkylakeX", "Cooperlake", "SapphireRapids")
               and "numpy.libs" in p.get("filepath", "") for p in threadpool_info())


def test_the_stale_nan_reaches_numpys_own_product(fill_stack):
    """The premise: on the AVX-512 kernel, a plain float32 product right after the filler warns, and a
    quiet NaN (which raises no flag) does not. If a future OpenBLAS fixes its kernel this test fails, and
    ``exact_products`` can go."""
    if not _skylakex_openblas():
        pytest.skip("numpy's OpenBLAS does not run the SkylakeX kernel on this CPU, so it has nothing stale to read")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1, 5)).astype(np.float32)
    W = rng.standard_normal((7, 5)).astype(np.float32)
    fill_stack()
    with pytest.warns(RuntimeWarning, match="invalid value encountered in matmul"):
        z = a @ W.T
    np.testing.assert_allclose(z, a.astype(np.float64) @ W.T.astype(np.float64), rtol=1e-6)
    _stack_filler(QUIET_NAN)()
    _no_warning(lambda: a @ W.T)


# Inner dimension 5 with 2, 3, 6 or 7 outputs is what the kernel gets wrong; 4 and 8 are controls.
SHAPES = [(1, 5, 2), (1, 5, 3), (1, 5, 6), (1, 5, 7), (1, 5, 4), (3, 5, 8)]


@pytest.mark.parametrize("N,K,M", SHAPES, ids=lambda v: str(v))
def test_dense_layer_products_are_quiet_and_exact(fill_stack, N, K, M):
    rng = np.random.default_rng(N * 100 + K * 10 + M)
    a = rng.standard_normal((N, K)).astype(np.float32)
    W = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal(M).astype(np.float32)
    delta = rng.standard_normal((N, M)).astype(np.float32)
    a64, W64 = a.astype(np.float64), W.astype(np.float64)

    fill_stack()
    z, cache = _no_warning(lambda: dense_forward(a, W, b))
    np.testing.assert_allclose(z, a64 @ W64.T + b, rtol=1e-5, atol=1e-6)
    fill_stack()
    da_prev, dW, db = _no_warning(lambda: dense_backward(delta, cache))
    np.testing.assert_allclose(da_prev, delta.astype(np.float64) @ W64, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dW, delta.T.astype(np.float64) @ a64, rtol=1e-5, atol=1e-6)

    layer = Dense(W, b)
    fill_stack()
    out = _no_warning(lambda: layer.forward(a))
    np.testing.assert_allclose(out, a64 @ W64.T + b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("N", [2, 3, 6, 7])
def test_network_and_perceptron_products_are_quiet(fill_stack, N):
    rng = np.random.default_rng(N)
    X = rng.standard_normal((N, 5)).astype(np.float32)
    w = rng.standard_normal(5).astype(np.float32)

    fill_stack()
    on = _no_warning(lambda: perceptron_predict(X, w, 0.25))
    np.testing.assert_array_equal(on, (X.astype(np.float64) @ w + 0.25 >= 0).astype(np.int64))
    fill_stack()
    y = _no_warning(lambda: delta_rule_predict(X, w, np.float32(0.5)))
    np.testing.assert_allclose(y, X.astype(np.float64) @ w + 0.5, rtol=1e-5, atol=1e-6)
    B = (X > 0).astype(np.float32)
    fill_stack()
    fires = _no_warning(lambda: mp_neuron(B, w, 0.5))
    np.testing.assert_array_equal(fires, (B.astype(np.float64) @ w >= 0.5).astype(np.int64))

    net = MLP([5, N, 3], ["tanh", "identity"], "mse", rng=0, dtype=np.float32)
    fill_stack()
    out = _no_warning(lambda: net.forward(X))
    W1, b1 = (np.asarray(p, np.float64) for p in (net.layers[0].W, net.layers[0].b))
    W2, b2 = (np.asarray(p, np.float64) for p in (net.layers[1].W, net.layers[1].b))
    np.testing.assert_allclose(out, np.tanh(X.astype(np.float64) @ W1.T + b1) @ W2.T + b2, rtol=1e-4, atol=1e-5)

