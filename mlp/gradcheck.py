"""Gradient checking: compare backpropagated gradients with centred finite differences.

    ∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / (2h),   error O(h²)

In float64 with h = 1e-6 a correct gradient agrees to a relative error (see rel_error) of about
1e-8 or better; a wrong one is off by far more. Keep inputs away from kinks (ReLU at 0), where f is not
differentiable and finite differences straddle the corner.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _validate

TOLERANCE = 1e-6  # relative error above which a gradient is reported wrong


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred differences of the scalar f() with respect to every entry of the array x.

    x is changed in place, one entry at a time, and restored; f must read x (e.g. a layer's
    parameter array or an input that f closes over). Returns an array shaped like x.
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays (float32 finite differences are too coarse), got {x.dtype}")
    grad = np.empty_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can change in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_jacobian(f: Callable[[], np.ndarray], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred-difference Jacobian J[i, j] ≈ ∂f()_i/∂x_j of the array-valued f() with respect to x.

    Both are flattened (row-major): J has shape (f().size, x.size). Like numerical_gradient, x is
    changed in place one entry at a time and restored, so f must read x.
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays (float32 finite differences are too coarse), got {x.dtype}")
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_jacobian needs a contiguous array it can change in place")
    columns = []
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = np.array(f(), dtype=np.float64).reshape(-1)
        flat[i] = old - h
        f_minus = np.array(f(), dtype=np.float64).reshape(-1)
        flat[i] = old
        columns.append((f_plus - f_minus) / (2 * h))
    return np.stack(columns, axis=1)


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max_i |a_i − b_i| / max_i (|a_i| + |b_i|): 0 for equal arrays, at most 1, blind to the overall scale.

    Measured against the largest entry, so entries that are exactly 0 in one array and 1e-11 in
    the other (a dead ReLU unit, finite-difference noise) do not count as a 100 % error.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    scale = float(np.max(np.abs(a) + np.abs(b))) if a.size else 0.0
    return float(np.max(np.abs(a - b))) / scale if scale > 0 else 0.0


@dataclass
class Check:
    """One compared gradient: name, relative error, the worst entry's index and its two values."""

    name: str
    error: float
    index: tuple
    analytic: float
    numeric: float
    tolerance: float
    problem: str = ""

    @property
    def passed(self) -> bool:
        return not self.problem and self.error <= self.tolerance

    def __str__(self) -> str:
        if self.problem:
            return f"  FAIL  {self.name}: {self.problem}"
        verdict = "ok  " if self.passed else "FAIL"
        line = f"  {verdict}  {self.name:<14} relative error {self.error:.1e}"
        if not self.passed:
            line += f"  worst at {self.index}: backward gives {self.analytic:.6g}, finite differences {self.numeric:.6g}"
        return line


class Report:
    """The verdict of a gradient check: one line per gradient; truthy when all of them pass."""

    def __init__(self, title: str, checks: list[Check]) -> None:
        self.title, self.checks = title, checks

    def __bool__(self) -> bool:
        return all(c.passed for c in self.checks)

    def __getitem__(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def __str__(self) -> str:
        tol = self.checks[0].tolerance if self.checks else TOLERANCE
        head = f"{self.title}: {'all gradients agree' if self else 'some gradients are wrong'} (tolerance {tol:.0e})"
        return "\n".join([head, *map(str, self.checks)])

    __repr__ = __str__


def _compare(name: str, analytic, numeric: np.ndarray, tolerance: float) -> Check:
    if analytic is None:
        return Check(name, np.inf, (), np.nan, np.nan, tolerance, "no gradient was returned or stored (got None)")
    analytic = np.asarray(analytic)
    if analytic.shape != numeric.shape:
        return Check(name, np.inf, (), np.nan, np.nan, tolerance,
                     f"gradient has shape {analytic.shape}, expected {numeric.shape} (the shape of {name})")
    if analytic.size == 0:
        return Check(name, 0.0, (), 0.0, 0.0, tolerance)
    if not np.all(np.isfinite(analytic)):
        return Check(name, np.inf, (), np.nan, np.nan, tolerance, "gradient contains NaN or infinity")
    difference = np.abs(analytic - numeric)
    worst = np.unravel_index(int(np.argmax(difference)), difference.shape)
    return Check(name, rel_error(analytic, numeric), tuple(int(i) for i in worst), float(analytic[worst]),
                 float(numeric[worst]), tolerance)


def _require_float64(model) -> None:
    """Raise TypeError, saying how to fix it, unless every parameter of `model` is float64."""
    for name, theta in getattr(model, "params", {}).items():
        if np.asarray(theta).dtype != np.float64:
            raise TypeError(f"gradient checks need float64 (float32 finite differences are too coarse), but parameter "
                            f"{name!r} is {np.asarray(theta).dtype}: build the layer or network with dtype=np.float64")


def check_layer(layer, x: np.ndarray, seed: int = 20_231, tolerance: float = TOLERANCE) -> Report:
    """Check a layer's backward against finite differences at the batch x (N, n_in), in float64.

    Uses E = Σ (layer.forward(x) ⊙ g) for a fixed random g, so that dE/dz = g: backward(g) must
    return dE/dx and fill layer.grads with dE/dθ for every entry of layer.params. The default seed
    of g is deliberately not 0, the seed students use most: with g equal to x, a square layer's
    dzᵀx would be symmetric and a transposed dE/dθ_w would pass unnoticed.
    Returns a Report (print it for the verdict, `assert` it in a test).
    """
    _require_float64(layer)
    x = _validate.batch(x, "x").astype(np.float64, copy=True)
    g = np.random.default_rng(seed).standard_normal(np.shape(layer.forward(x)))
    dx = layer.backward(g)
    grads = dict(getattr(layer, "grads", {}) or {})
    checks = [_compare("x", dx, numerical_gradient(lambda: float(np.sum(layer.forward(x) * g)), x), tolerance)]
    for name, theta in getattr(layer, "params", {}).items():
        numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x) * g)), theta)
        checks.append(_compare(name, grads.get(name), numeric, tolerance))
    layer.forward(x)  # leave the layer as backward expects it
    return Report(f"gradient check of {type(layer).__name__}", checks)


def check_loss(loss, y_hat: np.ndarray, y: np.ndarray, tolerance: float = TOLERANCE) -> Report:
    """Check loss.backward() = dE/dŷ against finite differences of loss.forward(ŷ, y)."""
    y_hat = np.array(y_hat, dtype=np.float64)
    loss.forward(y_hat, y)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(y_hat, y), y_hat)
    return Report(f"gradient check of {type(loss).__name__}", [_compare("y_hat", analytic, numeric, tolerance)])


def check_network(model, loss, X: np.ndarray, y: np.ndarray, tolerance: float = TOLERANCE) -> Report:
    """Check ∇E(θ) from model.backward against finite differences of E(θ) = loss(model(X), y), per parameter."""
    _require_float64(model)
    X = np.array(X, dtype=np.float64)

    def cost() -> float:
        return loss.forward(model.forward(X), y)

    cost()
    dx = model.backward(loss.backward())
    grads = {name: g.copy() for name, g in model.grads.items()}
    checks = [_compare("x", dx, numerical_gradient(cost, X), tolerance)]
    for name, theta in model.params.items():
        checks.append(_compare(name, grads.get(name), numerical_gradient(cost, theta), tolerance))
    return Report("gradient check of the network", checks)
