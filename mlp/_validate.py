"""Checks on what users pass in, with errors that say what is wrong and how to fix it.

Every public function of `mlp` calls these first, so that a wrong shape or dtype is reported in
the student's terms ("Linear expected 11 input features, got 12") instead of as a numpy
traceback from deep inside a matrix product.
"""
from __future__ import annotations

from typing import Union

import numpy as np

Seed = Union[int, np.random.Generator, None]  # what every `rng=` accepts: a seed, a Generator, or None for fresh randomness


def as_array(value, name: str) -> np.ndarray:
    """Return `value` as a numpy array, or raise TypeError naming `name`."""
    if isinstance(value, np.ndarray):
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numpy array (or a list of numbers), got {type(value).__name__}") from error
    if array.dtype == object:
        raise TypeError(f"{name} must be a numpy array of numbers, got {type(value).__name__} of mixed or ragged values")
    return array


def floating(x: np.ndarray, name: str) -> np.ndarray:
    """Raise TypeError unless `x` holds floating-point numbers."""
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name} must hold floating-point numbers, got dtype {x.dtype}: "
            f"convert it with {name}.astype(np.float64)"
        )
    return x


def batch(x, name: str, n_features: int | None = None, owner: str = "") -> np.ndarray:
    """Check a batch of shape (N, n_features) of floats and return it as an array.

    `owner` names the function or layer for the message, e.g. "Linear".
    """
    x = floating(as_array(x, name), name)
    who = f"{owner} expected" if owner else "expected"
    if x.ndim == 1:
        hint = f"{name}.reshape(-1, 1) for one feature or {name}.reshape(1, -1) for one sample"
        raise ValueError(f"{who} a batch of shape (N, features) but {name} is 1-D with shape {x.shape}: use {hint}")
    if x.ndim != 2:
        raise ValueError(f"{who} a batch of shape (N, features) but {name} has {x.ndim} dimensions, shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{who} at least one sample but {name} has shape {x.shape}")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(
            f"{who} {n_features} input features, got {x.shape[1]} ({name} has shape {x.shape}): "
            "check the layer sizes, or whether a bias column of ones was added twice"
        )
    return x


def finite(x: np.ndarray, name: str) -> np.ndarray:
    """Raise ValueError if `x` contains NaN or infinity, saying where the first one is."""
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{name} contains NaN or infinity (first at index {where}: {x[where]}): "
            "clean or drop those entries before using them"
        )
    return x


def positive(value, name: str) -> float:
    """Return `value` as a float, raising ValueError unless it is a finite number > 0."""
    if isinstance(value, bool) or not np.isscalar(value) or not np.isreal(value):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


def count(value, name: str, minimum: int = 1) -> int:
    """Return `value` as an int, raising unless it is a whole number >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless `a` and `b` have the same shape, with a hint for the (N,) vs (N, 1) mix-up."""
    if a.shape == b.shape:
        return
    message = f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must be equal"
    if b.ndim == 1 and a.shape == (b.shape[0], 1):
        message += f": use {name_b}.reshape(-1, 1) (numpy would otherwise broadcast to an (N, N) matrix)"
    elif a.ndim == 1 and b.shape == (a.shape[0], 1):
        message += f": use {name_a}.reshape(-1, 1)"
    raise ValueError(message)


def sizes(value, minimum: int = 2, example: str = "[11, 64, 1]") -> list[int]:
    """Layer widths [n_0, n_1, …, n_L] as a list of ints, or an error that shows what is expected."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"sizes must be a list of layer widths [n_inputs, ..., n_outputs] such as {example}, got {value!r}")
    widths = list(value)
    if len(widths) < minimum:
        what = "at least two entries [n_inputs, ..., n_outputs]" if minimum >= 2 else "at least one width"
        raise ValueError(f"sizes needs {what}, e.g. {example}, got {widths}")
    return [count(n, f"sizes[{i}]") for i, n in enumerate(widths)]


def regression(X, y=None, theta=None) -> tuple:
    """Check the data of a linear regression: X (N, d) finite floats, y (N,), θ (d + 1,) with the bias last.

    Returns (X,), (X, y), (X, theta) or (X, y, theta), whichever were given.
    """
    X = finite(batch(X, "X"), "X")
    out = [X]
    if y is not None:
        y = floating(as_array(y, "y"), "y")
        if y.shape != (len(X),):
            hint = ": use y.ravel()" if y.shape == (len(X), 1) else ""
            raise ValueError(f"y must have shape ({len(X)},), one target per row of X, got {y.shape}{hint}")
        out.append(finite(y, "y"))
    if theta is not None:
        theta = floating(as_array(theta, "theta"), "theta")
        if theta.shape != (X.shape[1] + 1,):
            raise ValueError(
                f"theta must have shape ({X.shape[1] + 1},): one weight per feature of X plus the bias last, got {theta.shape}"
            )
        out.append(theta)
    return tuple(out)
