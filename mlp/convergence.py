"""When gradient descent converges: the linear-regression cost E(θ) = ||A θ − y||² as the worked case.

E is a quadratic with the constant Hessian H = ∇²E = 2 AᵀA (A = [X, 1], see `mlp.regression`).
Along one step θ − τ g with g = ∇E(θ), Taylor's formula is exact for a quadratic:

    E(θ − τ g) = E(θ) − τ ||g||² + (τ²/2) gᵀ H g  ≤  E(θ) − τ (1 − τ λ_max / 2) ||g||²,

with λ_max the largest eigenvalue of H (the largest curvature of E). So every step lowers E when
0 < τ < 2/λ_max; above 2/λ_max the iterates blow up along the top eigenvector (from almost every
start). The smallest eigenvalue λ_min sets the speed: with τ = 1/λ_max the distance to θ̂ shrinks
like (1 − λ_min/λ_max)^k, so the condition number κ = λ_max/λ_min says roughly how many steps
gradient descent needs. The descent itself, for any network, is `mlp.optim`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate, regression


def hessian_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of ∇²E = 2 AᵀA for X (N, d), in increasing order, shape (d + 1,)."""
    return np.linalg.eigvalsh(regression.hessian(X))


def lambda_max(X: np.ndarray) -> float:
    """λ_max, the largest eigenvalue of ∇²E = 2 AᵀA: gradient descent is stable for τ < 2/λ_max."""
    return float(hessian_eigenvalues(X)[-1])


def stable_step_bound(X: np.ndarray) -> float:
    """2/λ_max: every step size τ below it lowers E(θ) at every step; above it gradient descent diverges."""
    return 2.0 / lambda_max(X)


def condition_number(X: np.ndarray) -> float:
    """κ = λ_max/λ_min, the largest over the smallest eigenvalue of ∇²E; ∞ when AᵀA is singular."""
    eigenvalues = hessian_eigenvalues(X)
    return float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else float("inf")


def regression_trajectory(X: np.ndarray, y: np.ndarray, step_size: float, num_steps: int,
                          theta0: np.ndarray | None = None) -> np.ndarray:
    """Gradient descent on the linear-regression cost only: the iterates θ(k+1) = θ(k) − τ ∇E(θ(k)) for
    E(θ) = ||A θ − y||², k = 0 … num_steps (for any network, `mlp.optim`).

    X (N, d), y (N,), step_size τ > 0, theta0 (d + 1,) (default: zeros, bias last).
    Returns the trajectory, shape (num_steps + 1, d + 1), row k = θ(k). It never stops early:
    with τ > 2/λ_max the rows grow (and may overflow to inf); `mlp.optim.train` is the loop that
    stops with a DivergenceError.

    E is quadratic, so its gradient is affine, ∇E(θ) = ∇E(θ(0)) + H (θ − θ(0)) with H = 2 AᵀA:
    after one pass over the data for ∇E(θ(0)) and H, each step costs a (d + 1) × (d + 1) product.
    """
    tau = _validate.positive(step_size, "step_size τ")
    num_steps = _validate.count(num_steps, "num_steps", minimum=0)
    X, y = _validate.regression(X, y)
    theta0 = np.zeros(X.shape[1] + 1) if theta0 is None else _validate.regression(X, theta=theta0)[1]
    gradient0, hessian = regression.gradient(X, y, theta0), regression.hessian(X)
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
    X, y = _validate.regression(X, y)
    if trajectory.ndim != 2 or trajectory.shape[1] != X.shape[1] + 1:
        raise ValueError(
            f"trajectory must hold one θ(k) of {X.shape[1] + 1} entries per row, shape (K, {X.shape[1] + 1}), "
            f"got shape {trajectory.shape}"
        )
    A = regression.add_bias_column(X)
    with np.errstate(over="ignore", invalid="ignore"):
        residuals = (A @ theta - y for theta in trajectory)  # one matrix-vector product per θ(k): fastest here
        return np.array([r @ r for r in residuals])


def cost_grid(x: np.ndarray, y: np.ndarray, slopes: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """E(θ) for θ = (slope, intercept) on a grid, for one feature: x (N, 1), y (N,).

    Returns E of shape (len(intercepts), len(slopes)), row i for intercepts[i], ready for
    `plt.contour(slopes, intercepts, E)`. Expands Σ_j (s x_j + b − y_j)² into sums over the data,
    s² Σx² + 2 s b Σx + N b² − 2 s Σxy − 2 b Σy + Σy², so the grid costs no more than the data.
    """
    x, y = _validate.regression(x, y)
    if x.shape[1] != 1:
        raise ValueError(f"cost_grid draws E over (slope, intercept) for one feature: x must have shape (N, 1), got {x.shape}")
    x = x[:, 0]
    s, b = np.meshgrid(np.asarray(slopes, dtype=np.float64), np.asarray(intercepts, dtype=np.float64))
    return (s**2 * (x @ x) + 2 * s * b * x.sum() + len(x) * b**2
            - 2 * s * (x @ y) - 2 * b * y.sum() + y @ y)


@dataclass(frozen=True)
class Landscape:
    """E(θ) = Σ_j (θ_1 x_j + θ_2 − y_j)² of a one-feature regression on a grid, with its curvature.

    slopes (n,), intercepts (n,), costs (n, n) with costs[i, j] = E(slopes[j], intercepts[i]);
    theta_hat (2,) the minimiser, cost_hat = E(θ̂), lambda_max and lambda_min the largest and the
    smallest eigenvalue of the Hessian, theta0 (2,) the start of every path.
    """

    x: np.ndarray
    y: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    costs: np.ndarray
    theta_hat: np.ndarray
    cost_hat: float
    lambda_max: float
    lambda_min: float
    theta0: np.ndarray


def landscape(x: np.ndarray, y: np.ndarray, theta0=(0.0, 0.0), num: int = 60) -> Landscape:
    """The Landscape of the one-feature regression x (N, 1), y (N,) on a square window that frames
    θ(0), θ̂ and the first step with τ = 2/λ_max (the widest swing a stable τ makes), with a margin.

    The window is square, so that with equal axis scales round valleys look round and the gradient
    (always perpendicular to the contours) looks perpendicular too.
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)  # columns sliced from a table are strided: slower
    theta_hat = regression.fit_least_squares(x, y)
    low, high = hessian_eigenvalues(x)[[0, -1]]
    swing = regression_trajectory(x, y, 2.0 / high, 1, theta0)[1]
    corners = np.array([theta0, theta_hat, swing])
    centre = (corners.min(axis=0) + corners.max(axis=0)) / 2
    half = 0.6 * np.max(corners.max(axis=0) - corners.min(axis=0))
    slopes = np.linspace(centre[0] - half, centre[0] + half, num)
    intercepts = np.linspace(centre[1] - half, centre[1] + half, num)
    return Landscape(x, y, slopes, intercepts, cost_grid(x, y, slopes, intercepts), theta_hat,
                     regression.cost(x, y, theta_hat), float(high), float(low), theta0)


def contraction_factor(X: np.ndarray, step_size: float) -> float:
    """ρ(τ) = max_i |1 − τ λ_i| over the eigenvalues λ_i of ∇²E = 2 AᵀA: the smallest ρ with
    ‖θ(k+1) − θ̂‖ <= ρ ‖θ(k) − θ̂‖ for every θ(k), one step of gradient descent with step size τ.

    The error obeys θ(k+1) − θ̂ = (I − τ H)(θ(k) − θ̂), and I − τ H is symmetric with the eigenvalues
    1 − τ λ_i, so ρ is its largest |eigenvalue|: |1 − τ λ_min| or |1 − τ λ_max|. ρ < 1 exactly for
    0 < τ < 2/λ_max (when AᵀA is invertible); the best τ = 2/(λ_max + λ_min) gives ρ = (κ − 1)/(κ + 1).
    """
    tau = _validate.positive(step_size, "step_size τ")
    low, high = hessian_eigenvalues(X)[[0, -1]]
    return float(max(abs(1 - tau * low), abs(1 - tau * high)))


def steps_needed(X: np.ndarray, step_size: float, shrink: float) -> int:
    """The fewest steps k after which ‖θ(k) − θ̂‖ <= shrink · ‖θ(0) − θ̂‖ from every start θ(0):
    the smallest k with ρ(τ)^k <= shrink (ρ the contraction_factor), 0 < shrink < 1.

    Raises ValueError when ρ >= 1 (τ >= 2/λ_max, or a singular AᵀA): then no number of steps does it.
    """
    if not 0 < shrink < 1:
        raise ValueError(f"shrink must lie strictly between 0 and 1, got {shrink!r}")
    rho = contraction_factor(X, step_size)
    if not rho < 1:
        raise ValueError(f"with step size τ = {step_size:g} the factor per step is ρ = {rho:.6g} >= 1: the distance "
                         "to θ̂ does not shrink from every start (take τ < 2/λ_max)")
    if rho == 0:
        return 1
    return max(int(np.ceil(np.log(shrink) / np.log(rho) - 1e-12)), 1)


def framed_landscape(x: np.ndarray, y: np.ndarray, points=(), theta0=(0.0, 0.0), margin: float = 0.15,
                     num: int = 60) -> Landscape:
    """The Landscape of the one-feature regression x (N, 1), y (N,) on the smallest square window that
    holds θ(0), θ̂ and `points` (K, 2) (e.g. the paths to be drawn), with `margin` (a fraction of the
    window's width) free on every side, so that no point sits on the edge.
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    theta_hat = regression.fit_least_squares(x, y)
    corners = np.vstack([theta0, theta_hat, np.asarray(points, dtype=np.float64).reshape(-1, 2)])
    corners = corners[np.all(np.isfinite(corners), axis=1)]
    centre = (corners.min(axis=0) + corners.max(axis=0)) / 2
    half = np.max(corners.max(axis=0) - corners.min(axis=0)) / (2 * (1 - 2 * margin))
    slopes = np.linspace(centre[0] - half, centre[0] + half, num)
    intercepts = np.linspace(centre[1] - half, centre[1] + half, num)
    low, high = hessian_eigenvalues(x)[[0, -1]]
    return Landscape(x, y, slopes, intercepts, cost_grid(x, y, slopes, intercepts), theta_hat,
                     regression.cost(x, y, theta_hat), float(high), float(low), theta0)
