"""Gradient descent on the linear-regression cost E(θ) = ||A θ − y||², and when it converges.

E is a quadratic with the constant Hessian H = ∇²E = 2 AᵀA (A = [X, 1], see `mlp.linear`). Along
one step θ − τ g with g = ∇E(θ), Taylor's formula is exact for a quadratic:

    E(θ − τ g) = E(θ) − τ ||g||² + (τ²/2) gᵀ H g  ≤  E(θ) − τ (1 − τ L / 2) ||g||²,

with L the largest eigenvalue of H (the smoothness constant). So every step lowers E when
0 < τ < 2/L; above 2/L the iterates blow up along the top eigenvector. The smallest eigenvalue μ
sets the speed: with τ = 1/L the distance to θ̂ shrinks like (1 − μ/L)^k, so the condition number
L/μ says roughly how many steps gradient descent needs. Networks with hidden layers use `mlp.optim.train` instead.
"""
from __future__ import annotations

import numpy as np

from . import _validate, linear


def hessian_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of ∇²E = 2 AᵀA for X (N, d), in increasing order, shape (d + 1,)."""
    return np.linalg.eigvalsh(linear.hessian(X))


def smoothness(X: np.ndarray) -> float:
    """L = the largest eigenvalue of ∇²E = 2 AᵀA: gradient descent is stable for τ < 2/L."""
    return float(hessian_eigenvalues(X)[-1])


def stable_step_bound(X: np.ndarray) -> float:
    """2/L: every step size τ below it lowers E(θ) at every step; above it gradient descent diverges."""
    return 2.0 / smoothness(X)


def condition_number(X: np.ndarray) -> float:
    """L/μ, the largest over the smallest eigenvalue of ∇²E; ∞ when AᵀA is singular."""
    eigenvalues = hessian_eigenvalues(X)
    return float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else float("inf")


def gradient_descent(X: np.ndarray, y: np.ndarray, step_size: float, num_steps: int,
                     theta0: np.ndarray | None = None) -> np.ndarray:
    """The iterates θ(k+1) = θ(k) − τ ∇E(θ(k)) for E(θ) = ||A θ − y||², k = 0 … num_steps.

    X (N, d), y (N,), step_size τ > 0, theta0 (d + 1,) (default: zeros, bias last).
    Returns the trajectory, shape (num_steps + 1, d + 1), row k = θ(k). It never stops early:
    with τ > 2/L the rows grow (and may overflow to inf); `mlp.optim.train` is the loop that stops
    with a DivergenceError.

    E is quadratic, so its gradient is affine, ∇E(θ) = ∇E(θ(0)) + H (θ − θ(0)) with H = 2 AᵀA:
    after one pass over the data for ∇E(θ(0)) and H, each step costs a (d + 1) × (d + 1) product.
    """
    tau = _validate.positive(step_size, "step_size τ")
    num_steps = _validate.count(num_steps, "num_steps", minimum=0)
    X, y = linear._check(X, y)
    theta0 = np.zeros(X.shape[1] + 1) if theta0 is None else linear._check(X, theta=theta0)[1]
    gradient0, hessian = linear.gradient(X, y, theta0), linear.hessian(X)
    trajectory = np.empty((num_steps + 1, len(theta0)))
    trajectory[0] = theta = theta0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, num_steps + 1):
            theta = theta - tau * (gradient0 + hessian @ (theta - theta0))
            trajectory[k] = theta
    return trajectory


def costs_along(X: np.ndarray, y: np.ndarray, trajectory: np.ndarray) -> np.ndarray:
    """E(θ(k)) = ||A θ(k) − y||² for every row θ(k) of a trajectory (K, d + 1); returns shape (K,)."""
    trajectory = _validate.floating(_validate.as_array(trajectory, "trajectory"), "trajectory")
    X, y = linear._check(X, y)
    if trajectory.ndim != 2 or trajectory.shape[1] != X.shape[1] + 1:
        raise ValueError(
            f"trajectory must hold one θ(k) of {X.shape[1] + 1} entries per row, shape (K, {X.shape[1] + 1}), "
            f"got shape {trajectory.shape}"
        )
    A = linear.add_bias_column(X)
    with np.errstate(over="ignore", invalid="ignore"):
        residuals = (A @ theta - y for theta in trajectory)  # one matrix-vector product per θ(k): fastest here
        return np.array([r @ r for r in residuals])


def cost_grid(x: np.ndarray, y: np.ndarray, slopes: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """E(θ) for θ = (slope, intercept) on a grid, for one feature: x (N, 1), y (N,).

    Returns E of shape (len(intercepts), len(slopes)), row i for intercepts[i], ready for
    `plt.contour(slopes, intercepts, E)`. Expands Σ_j (s x_j + b − y_j)² into sums over the data,
    s² Σx² + 2 s b Σx + N b² − 2 s Σxy − 2 b Σy + Σy², so the grid costs no more than the data.
    """
    x, y = linear._check(x, y)
    if x.shape[1] != 1:
        raise ValueError(f"cost_grid draws E over (slope, intercept) for one feature: x must have shape (N, 1), got {x.shape}")
    x = x[:, 0]
    s, b = np.meshgrid(np.asarray(slopes, dtype=np.float64), np.asarray(intercepts, dtype=np.float64))
    return (s**2 * (x @ x) + 2 * s * b * x.sum() + len(x) * b**2
            - 2 * s * (x @ y) - 2 * b * y.sum() + y @ y)
