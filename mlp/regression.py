"""Linear regression, the lecture's first network N(x; θ) = (x, 1)ᵀ θ, fitted by least squares.

With the design matrix A = [X, 1] (one row (x_jᵀ, 1) per sample) the training cost is
E(θ) = ||A θ − y||², its gradient ∇E(θ) = 2 Aᵀ(A θ − y) and its Hessian 2 AᵀA. The minimiser θ̂
solves ∇E(θ̂) = 0, the normal equations AᵀA θ̂ = Aᵀ y. (The layer φ(x; θ) = θ_w x + θ_b of deeper
networks is `mlp.Linear`; a Linear(d, 1) layer computes the same function as this network.)
"""
from __future__ import annotations

import numpy as np

from . import _validate


def add_bias_column(X: np.ndarray) -> np.ndarray:
    """Design matrix A = [X, 1]: X (N, d) -> A (N, d + 1), ones in the last column."""
    (X,) = _validate.regression(X)
    return np.hstack([X, np.ones((len(X), 1), dtype=X.dtype)])


def predict(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """N(x_j; θ) = (x_j, 1)ᵀ θ for every row: X (N, d), θ (d + 1,) -> (N,)."""
    X, theta = _validate.regression(X, theta=theta)
    return X @ theta[:-1] + theta[-1]


def cost(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """E(θ) = Σ_j (N(x_j; θ) − y_j)² = ||A θ − y||²: X (N, d), y (N,), θ (d + 1,) -> a number."""
    X, y, theta = _validate.regression(X, y, theta)
    r = X @ theta[:-1] + theta[-1] - y
    return float(r @ r)


def gradient(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """∇E(θ) = 2 Aᵀ (A θ − y), shape (d + 1,)."""
    X, y, theta = _validate.regression(X, y, theta)
    r = X @ theta[:-1] + theta[-1] - y
    return 2 * np.append(X.T @ r, r.sum())


def hessian(X: np.ndarray) -> np.ndarray:
    """∇²E = 2 AᵀA, shape (d + 1, d + 1); constant, since E is quadratic in θ."""
    A = add_bias_column(X)
    return 2 * A.T @ A


def fit_least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """θ̂ = argmin_θ ||A θ − y||², from a stable least-squares solver (the normal equations' solution)."""
    X, y = _validate.regression(X, y)
    A = add_bias_column(X)
    if len(X) < A.shape[1]:
        raise ValueError(f"least squares needs at least {A.shape[1]} samples for {X.shape[1]} features, got {len(X)}")
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return theta
