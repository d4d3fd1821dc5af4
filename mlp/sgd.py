"""Variants of gradient descent on the linear-regression cost: momentum (the heavy ball), measured exactly.

The heavy ball adds a fraction β of the last step to the gradient step:

    θ(k+1) = θ(k) − τ ∇E(θ(k)) + β (θ(k) − θ(k−1)).

On E(θ) = ||A θ − y||² (Hessian H = 2 AᵀA, eigenvalues λ_i) the error e(k) = θ(k) − θ̂ obeys, along
each eigenvector, the two-term recursion e(k+1) = (1 + β − τ λ_i) e(k) − β e(k−1), that is the 2 × 2
matrix [[1 + β − τ λ_i, −β], [1, 0]] acting on (e(k), e(k−1)). Its largest |eigenvalue| over all i is
the factor per step, the heavy ball's counterpart of notebook 04's ρ(τ) = max_i |1 − τ λ_i|
(`mlp.convergence.contraction_factor`, the case β = 0). The minibatch steps themselves, with or without
momentum, are the engine's (`mlp.optim`).
"""
from __future__ import annotations

import numpy as np

from . import _validate
from .convergence import hessian_eigenvalues


def heavy_ball_factor(X: np.ndarray, step_size: float, momentum: float) -> float:
    """ρ(τ, β): the largest |eigenvalue| of [[1 + β − τλ, −β], [1, 0]] over the eigenvalues λ of ∇²E = 2 AᵀA.

    X (N, d); step_size τ > 0; momentum β in [0, 1). The distance ‖θ(k) − θ̂‖ shrinks like ρ(τ, β)^k
    (up to a constant factor); β = 0 gives notebook 04's ρ(τ) = max_i |1 − τ λ_i|.
    """
    tau = _validate.positive(step_size, "step_size τ")
    if isinstance(momentum, (bool, str)) or not np.isscalar(momentum) or not 0 <= momentum < 1:
        raise ValueError(f"momentum β must be a number in [0, 1), got {momentum!r}")
    factors = []
    for lam in hessian_eigenvalues(X):
        matrix = np.array([[1 + momentum - tau * lam, -momentum], [1.0, 0.0]])
        factors.append(np.max(np.abs(np.linalg.eigvals(matrix))))
    return float(max(factors))


def best_heavy_ball(X: np.ndarray) -> tuple[float, float]:
    """(τ, β) that make the heavy ball's ρ(τ, β) smallest on E(θ) = ||A θ − y||² (Polyak 1964):

    τ = 4 / (√λ_max + √λ_min)², β = ((√κ − 1) / (√κ + 1))², which give ρ = √β = (√κ − 1) / (√κ + 1),
    κ = λ_max / λ_min. Gradient descent's best is ρ = (κ − 1) / (κ + 1).
    """
    values = hessian_eigenvalues(X)
    low, high = float(values[0]), float(values[-1])
    if not low > 0:
        raise ValueError("AᵀA is singular (λ_min = 0): no step size makes every direction converge")
    root_kappa = np.sqrt(high / low)
    return 4 / (np.sqrt(high) + np.sqrt(low)) ** 2, float(((root_kappa - 1) / (root_kappa + 1)) ** 2)
