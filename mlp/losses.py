"""Training costs E(θ) = Σ_j 𝓛(N(x_j; θ), y_j) and their gradient with respect to the prediction.

A loss is anything with forward(y_hat, y) -> a number and backward() -> dE/dŷ (the protocol `Loss`);
`symbol` names the number it returns in printouts ("E" for the sum, "E/N" for the mean).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from . import _validate


@runtime_checkable
class Loss(Protocol):
    """A training cost: forward(ŷ, y) returns it, backward() its gradient dE/dŷ (shape of ŷ)."""

    symbol: str

    def forward(self, y_hat: np.ndarray, y: np.ndarray) -> float: ...

    def backward(self) -> np.ndarray: ...


class SquaredError:
    """Squared error E = Σ_j ||ŷ_j − y_j||², the lecture's training cost.

    forward(y_hat, y): y_hat, y of shape (N, m) -> E, a float
    backward():        dE/dŷ = 2 (ŷ − y), shape (N, m)
    reduction="mean" gives the mean squared error E/N = (1/N) Σ_j ||ŷ_j − y_j||² instead, and its
    gradient 2 (ŷ − y) / N: the same minimiser, and numbers that do not grow with N.
    """

    def __init__(self, reduction: str = "sum") -> None:
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        self.reduction = reduction
        self.symbol = "E/N" if reduction == "mean" else "E"
        self.residual: np.ndarray | None = None

    def forward(self, y_hat: np.ndarray, y: np.ndarray) -> float:
        """E = Σ_j ||ŷ_j − y_j||² (E/N for reduction="mean"); keeps ŷ − y for backward."""
        y_hat = _validate.floating(_validate.as_array(y_hat, "y_hat"), "y_hat")
        y = _validate.floating(_validate.as_array(y, "y"), "y")
        _validate.same_shape(y_hat, y, "y_hat", "y")
        if y_hat.ndim != 2:
            raise ValueError(f"y_hat and y must be batches of shape (N, m), got shape {y_hat.shape}")
        if y_hat.size == 0:
            raise ValueError(f"y_hat and y are empty (shape {y_hat.shape}): E needs at least one sample")
        _validate.finite(y, "y")
        self.residual = y_hat - y
        flat = self.residual.ravel()
        cost = float(flat @ flat)
        return cost / len(y) if self.reduction == "mean" else cost

    __call__ = forward

    def backward(self) -> np.ndarray:
        """dE/dŷ = 2 (ŷ − y), divided by N for reduction="mean"; shape (N, m)."""
        if self.residual is None:
            raise RuntimeError("SquaredError.backward was called before forward: compute the loss first")
        scale = 2.0 / len(self.residual) if self.reduction == "mean" else 2.0
        return scale * self.residual

    def __repr__(self) -> str:
        return f"SquaredError(reduction={self.reduction!r})"
