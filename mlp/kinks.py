"""What an activation buys: a ReLU network of one input is piecewise linear, with kinks.

In the first hidden layer, unit j computes max(θ_w,j x + θ_b,j, 0) and has its kink at
x = −θ_b,j / θ_w,j; deeper layers add kinks where their own inputs cross zero, which
`slope_changes` finds numerically. (LeakyReLU networks have the same kinks.)
"""
from __future__ import annotations

import numpy as np

from . import _validate
from .layers import Layer, Linear


def _first_linear(model) -> Linear:
    first = model.layers[0] if hasattr(model, "layers") else model
    if not isinstance(first, Linear) or first.n_in != 1:
        raise ValueError(f"expected a network with one input whose first layer is Linear(1 -> n), got {first!r}")
    return first


def first_layer_kinks(model, lo: float = -np.inf, hi: float = np.inf) -> np.ndarray:
    """Kinks of the first hidden layer: x_j = −θ_b,j / θ_w,j for every unit with θ_w,j ≠ 0, sorted, in [lo, hi].

    model: a network with one input (first layer Linear(1 -> n)). Returns an array of shape (k,).
    """
    first = _first_linear(model)
    w, b = first.params["weight"][:, 0], first.params["bias"]
    kinks = np.sort(-b[w != 0] / w[w != 0])
    return kinks[(kinks >= lo) & (kinks <= hi)]


def slope_changes(model: Layer, lo: float, hi: float, num: int = 100_001, tol: float = 1e-6) -> np.ndarray:
    """Where the slope of x ↦ N(x; θ) (one input, one output) changes on [lo, hi], found numerically.

    Evaluates N on `num` equally spaced points, takes the slopes s_i of the pieces between neighbours and
    flags the points where |s_{i+1} − s_i| > tol · max(1, max|s|). A kink inside a grid cell flags both
    ends of the cell, so a run of neighbouring flags is read as kinks at the centres of successive pairs.
    Kinks closer than about two grid cells apart may still be missed. Returns the kinks, shape (k,).
    Meant for ReLU networks; for a smooth activation the slope changes everywhere.
    """
    _first_linear(model)
    num = _validate.count(num, "num", minimum=3)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo = {lo} and hi = {hi}")
    x = np.linspace(lo, hi, num)
    f = model.forward(x[:, None])
    if f.shape[1] != 1:
        raise ValueError(f"expected a network with one output, got {f.shape[1]}")
    slopes = np.diff(f[:, 0]) / np.diff(x)
    flagged = np.flatnonzero(np.abs(np.diff(slopes)) > tol * max(1.0, np.abs(slopes).max())) + 1
    if flagged.size == 0:
        return np.empty(0)
    runs = np.split(flagged, np.flatnonzero(np.diff(flagged) > 1) + 1)
    return np.array([x[run[i:i + 2]].mean() for run in runs for i in range(0, len(run), 2)])
