"""What an activation buys: a ReLU network of one input is piecewise linear, with kinks.

In the first hidden layer, unit j computes max(θ_w,j x + θ_b,j, 0) and has its kink at
x = −θ_b,j / θ_w,j; deeper layers add kinks where their own inputs cross zero, which
`slope_changes` finds numerically. (LeakyReLU networks have the same kinks.)
`spread_units` moves every unit's switch point onto the data and `fit_output_layer` fits the last
layer by least squares (with a small ridge): together they show what shapes the hidden units can add up to.
"""
from __future__ import annotations

import numpy as np

from . import _validate
from .layers import Layer, Linear, make_activation
from .network import Sequential


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


def is_piecewise_linear(activation: str | type, lo: float = -4.0, hi: float = 4.0, num: int = 801) -> bool:
    """True if σ (a name of mlp.layers.ACTIVATIONS, or a class) is piecewise linear on [lo, hi] with at most one kink.

    Its slopes between `num` equally spaced points change at most at two neighbouring points (a kink
    inside a grid cell); ReLU, leaky ReLU and the identity are, sigmoid and tanh are not.
    """
    x = np.linspace(lo, hi, num)
    slopes = np.diff(make_activation(activation).forward(x[:, None])[:, 0]) / np.diff(x)
    return int(np.count_nonzero(np.abs(np.diff(slopes)) > 1e-9)) <= 2


def spread_units(model: Sequential, lo: float, hi: float, rng=None) -> Sequential:
    """Move every hidden unit's switch point (ReLU kink, sigmoid/tanh centre) to a random input in [lo, hi].

    For a network with one input: the bias of hidden unit j of each hidden Linear layer is set so that its
    pre-activation is zero at x = c_j, with c_j uniform on [lo, hi]: b_j = −(W h(c_j))_j, h the layer's input.
    In the first layer this is b_j = −w_j c_j. Changes `model` in place and returns it.
    """
    _first_linear(model)
    rng = np.random.default_rng(rng)
    for i, layer in enumerate(model.layers[:-1]):
        if isinstance(layer, Linear):
            c = rng.uniform(lo, hi, (layer.n_out, 1))
            h = Sequential(model.layers[:i]).forward(c) if i else c
            layer.params["bias"][:] = -np.einsum("jk,jk->j", h, layer.params["weight"])
    return model


def fit_output_layer(model: Sequential, x: np.ndarray, y: np.ndarray, ridge: float = 3e-3) -> Sequential:
    """Set the last layer φ^L of `model` to a least-squares fit of y on the last hidden layer's outputs, with a small ridge.

    x (N, n_0), y (N, 1). With H = the hidden outputs (N, n), h_j its column j and h̄_j that column's mean,
    the output weights w and bias b minimise

        ||H w + b − y||² + λ Σ_j ||h_j − h̄_j||² w_j²,        λ = `ridge` (0: notebook 01's least squares),

    that is (AᵀA + λ D) θ = Aᵀ y with A = [H, 1], θ = (w, b) and D = diag(||h_1 − h̄_1||², …, ||h_n − h̄_n||², 0)
    (the bias is not penalised), solved as the least squares of the stacked system [A; √(λD)] θ ≈ [y; 0],
    without forming AᵀA.
    Why the penalty: random hidden units are nearly linearly dependent on the data (a wide sigmoid is
    almost a straight line there), so the plain least-squares weights come out huge and cancel, pieces
    w_j h_j of size 1e8 adding up to a curve of size 1. The penalty costs a little training error and
    keeps every piece readable; weighting w_j² by how much h_j varies makes it independent of each
    unit's scale. Changes `model` in place and returns it.
    """
    last = model.layers[-1]
    if not isinstance(last, Linear) or last.n_out != 1 or len(model.layers) < 2:
        raise ValueError("expected a network with hidden layers and one output, ending in Linear(n -> 1)")
    if not ridge >= 0:
        raise ValueError(f"ridge must be a number ≥ 0 (0: plain least squares), got {ridge!r}")
    hidden = Sequential(model.layers[:-1]).forward(x)
    A = np.hstack([hidden, np.ones((len(hidden), 1))])
    spread = np.append(np.sum((hidden - hidden.mean(axis=0)) ** 2, axis=0), 0.0)
    stacked = np.vstack([A, np.diag(np.sqrt(ridge * spread))])
    theta = np.linalg.lstsq(stacked, np.append(y[:, 0], np.zeros(len(spread))), rcond=None)[0]
    last.params["weight"][0] = theta[:-1]
    last.params["bias"][0] = theta[-1]
    return model
