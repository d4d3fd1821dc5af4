"""Checks for notebook 05, gradient descent: one step, the stable step sizes, divergence, monotone decrease.

Each check runs the student's function on small test problems, compares it with mlp.linear,
mlp.descent and mlp.optim (the oracles) and prints "✔ Exercise 4.N: ..." or raises ExerciseError
saying what is off. Usual mistakes are named: a step uphill, a forgotten τ or factor 2, the step
instead of the new θ, 1/L instead of 2/L, the smallest instead of the largest eigenvalue, an
uncaught DivergenceError, comparing only the first and the last cost.
"""
from __future__ import annotations

import numpy as np

from .. import convergence, regression, optim
from ._legacy import check_array, fail, passed
from .core import ExerciseError

__all__ = ["ExerciseError", "check_gradient_step", "check_stability", "check_predict_divergence",
           "check_diverges", "check_every_step_lowers_E"]

# Step sizes as fractions of 2/L: three stable, three unstable.
FRACTIONS = np.array([0.25, 0.6, 0.95, 1.1, 1.5, 3.0])


def _problem(seed: int, n: int = 40, d: int = 3):
    """A small regression problem with one wide feature (so that L and μ differ): X (n, d), y (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.linspace(1.0, 3.0, d) + 0.5
    return X, X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)


def _close(a, b) -> bool:
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _flags(label: str, got, n: int, what: str) -> np.ndarray:
    """`got` as a boolean array of length n, or fail saying why it is not one."""
    if got is None:
        fail(label, f"{what} returned None: did you forget the return statement?")
    array = np.asarray(got)
    if array.shape != (n,):
        fail(label, f"{what} should give one True/False per step size, shape ({n},), got shape {array.shape}")
    if array.dtype != bool:
        fail(label, f"{what} should hold True/False values (e.g. taus > bound), got dtype {array.dtype}")
    return array


def _flag(label: str, got, what: str) -> bool:
    if not isinstance(got, (bool, np.bool_)):
        fail(label, f"{what} should return True or False, got {got!r}")
    return bool(got)


# --- Exercise 4.1: one step -----------------------------------------------------------------------

def check_gradient_step(gradient_step, label: str = "Exercise 4.1") -> None:
    """gradient_step(X, y, theta, tau) must return θ − τ ∇E(θ) for E(θ) = ||Aθ − y||², leaving theta unchanged."""
    for seed, tau in [(0, 1e-3), (1, 0.02)]:
        X, y = _problem(seed)
        theta = np.random.default_rng(seed + 10).standard_normal(X.shape[1] + 1)
        before = theta.copy()
        got = gradient_step(X, y, theta, tau)
        if not np.array_equal(theta, before):
            fail(label, "gradient_step changed its input theta: return a new array θ − τ∇E(θ) "
                        "instead of writing into theta (theta = theta − ... makes a new one)")
        grad = regression.gradient(X, y, before)
        expected = before - tau * grad
        what = f"gradient_step(X, y, theta, tau={tau:g})"
        if got is not None and not isinstance(got, tuple):
            got_array = np.asarray(got, dtype=np.float64)
            mistakes = [
                (before + tau * grad, "moves uphill: the step goes against the gradient, θ − τ∇E(θ), not θ + τ∇E(θ)"),
                (before - grad, "forgot the step size: multiply the gradient by τ"),
                (-tau * grad, "returns the step −τ∇E(θ) alone: add it to θ to get the new parameters"),
                (before - tau * grad / 2, "takes half the step: ∇E(θ) = 2Aᵀ(Aθ − y) has a factor 2 "
                                          "(mlp.regression.gradient includes it)"),
            ]
            for wrong, sentence in mistakes:
                if _close(got_array, wrong) and not _close(wrong, expected):
                    fail(label, f"{what} {sentence}")
        check_array(label, got, expected, what, hint="Compute θ − τ ∇E(θ) with mlp.regression.gradient(X, y, theta).")
    passed(label, "θ(k+1) = θ(k) − τ∇E(θ(k)): one step against the gradient, scaled by τ.")


# --- Exercise 4.2: L and the largest stable step ----------------------------------------------------

def check_stability(stability, label: str = "Exercise 4.2") -> None:
    """stability(X) must return (L, 2/L): L the largest eigenvalue of ∇²E = 2AᵀA."""
    X, _ = _problem(2)
    got = stability(X)
    if got is None:
        fail(label, "stability(X) returned None: did you forget the return statement?")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(label, f"stability(X) should return two numbers, L and the largest stable τ: return L, 2 / L (got {got!r})")
    try:
        L_got, tau_got = (float(np.asarray(v, dtype=np.float64)) for v in got)
    except (TypeError, ValueError):
        fail(label, f"stability(X) should return two single numbers, got {got!r}")
    eigenvalues = convergence.hessian_eigenvalues(X)
    L = eigenvalues[-1]
    no_bias = float(np.linalg.eigvalsh(2 * X.T @ X)[-1])
    mistakes = [
        (L / 2, "is half of L: the Hessian is ∇²E = 2AᵀA, with a factor 2"),
        (eigenvalues[0], "is the smallest eigenvalue μ: L is the largest one (np.linalg.eigvalsh sorts them increasingly)"),
        (no_bias, "misses the bias: build A = [X, 1] with mlp.regression.add_bias_column (mlp.regression.hessian does it)"),
        (np.sqrt(L), "is the square root of L: take the eigenvalue itself, not a singular value"),
    ]
    if not np.isclose(L_got, L, rtol=1e-6):
        for wrong, sentence in mistakes:
            if np.isclose(L_got, wrong, rtol=1e-6):
                fail(label, f"your L = {L_got:.6g} {sentence}")
        fail(label, f"your L = {L_got:.6g}, but the largest eigenvalue of ∇²E = 2AᵀA is {L:.6g}")
    if np.isclose(tau_got, 1 / L, rtol=1e-6):
        fail(label, f"your largest stable τ is 1/L = {tau_got:.6g}: τ = 1/L is safe, but every step still lowers E up to 2/L")
    if not np.isclose(tau_got, 2 / L, rtol=1e-6):
        fail(label, f"your largest stable τ = {tau_got:.6g}, but it should be 2/L = {2 / L:.6g}")
    passed(label, "L is the largest eigenvalue of ∇²E = 2AᵀA, and every τ < 2/L lowers E at every step.")


# --- Exercise 4.3: predict divergence ----------------------------------------------------------------

def check_predict_divergence(predict_divergence, label: str = "Exercise 4.3") -> None:
    """predict_divergence(X, taus) must return taus > 2/L, one True/False per step size."""
    X, _ = _problem(3)
    L = convergence.lambda_max(X)
    taus = FRACTIONS * 2 / L
    got = _flags(label, predict_divergence(X, taus.copy()), len(taus), "predict_divergence(X, taus)")
    expected = taus > 2 / L
    if np.array_equal(got, ~expected):
        fail(label, "your predictions are the wrong way round: large step sizes diverge, small ones converge")
    if np.array_equal(got, taus > 1 / L):
        fail(label, "you predict divergence above 1/L; gradient descent on a quadratic is stable up to 2/L")
    if not np.array_equal(got, expected):
        wrong = int(np.flatnonzero(got != expected)[0])
        fail(label, f"for τ = {FRACTIONS[wrong]:g} · (2/L) you predicted {'divergence' if got[wrong] else 'convergence'}: "
                    "compare each τ with 2/L")
    passed(label, "gradient descent on E diverges exactly for the step sizes τ > 2/L.")


# --- Exercise 4.4: verify by running ----------------------------------------------------------------

def check_diverges(diverges, label: str = "Exercise 4.4") -> None:
    """diverges(X, y, tau) must run gradient descent (mlp.train) and return True iff it raises DivergenceError."""
    X, y = _problem(4)
    L = convergence.lambda_max(X)
    for fraction in FRACTIONS:
        tau = fraction * 2 / L
        try:
            got = diverges(X, y, tau)
        except optim.DivergenceError:
            fail(label, f"for τ = {fraction:g} · (2/L) the DivergenceError escaped from diverges: catch it with "
                        "try: ... except mlp.DivergenceError: return True")
        got = _flag(label, got, f"diverges(X, y, tau={fraction:g} · (2/L))")
        if got and fraction < 1:
            fail(label, f"diverges says τ = {fraction:g} · (2/L) diverges, but it is below 2/L: does your function "
                        "return True when training ends normally?")
        if not got and fraction > 1:
            fail(label, f"diverges says τ = {fraction:g} · (2/L) converges: run enough steps (e.g. 1000) for the "
                        "swings to grow, and return True when mlp.train raises DivergenceError")
    passed(label, "running gradient descent confirms the prediction: it diverges exactly for τ > 2/L.")


# --- Exercise 4.5: monotone decrease ---------------------------------------------------------------

def check_every_step_lowers_E(every_step_lowers_E, label: str = "Exercise 4.5") -> None:
    """every_step_lowers_E(X, y, tau, num_steps) must say whether E(θ(k+1)) <= E(θ(k)) for every k."""
    X, y = _problem(5)
    L = convergence.lambda_max(X)
    # θ(0) = 0 and τ a little above 2/L: E first falls (the slow directions), then rises; the
    # last cost is still below the first, so only comparing every pair of neighbours finds the rise.
    cases = [(0.5, 30), (0.95, 30), (1.02, 15), (1.5, 30)]
    for fraction, num_steps in cases:
        tau = fraction * 2 / L
        costs = convergence.costs_along(X, y, convergence.gradient_descent(X, y, tau, num_steps))
        expected = bool(np.all(np.diff(costs) <= 0))
        got = _flag(label, every_step_lowers_E(X, y, tau, num_steps),
                    f"every_step_lowers_E(X, y, tau={fraction:g} · (2/L), num_steps={num_steps})")
        if got != expected:
            if got and costs[-1] < costs[0]:
                fail(label, f"for τ = {fraction:g} · (2/L) E rises at some steps although E(θ({num_steps})) < E(θ(0)): "
                            "compare every E(θ(k+1)) with E(θ(k)), e.g. np.all(np.diff(costs) <= 0)")
            fail(label, f"for τ = {fraction:g} · (2/L) you answered {got}, but it is {expected}: compute E(θ(k)) along "
                        "the trajectory (mlp.convergence.costs_along) and check E(θ(k+1)) <= E(θ(k)) for every k")
    passed(label, "E(θ(k+1)) <= E(θ(k)) at every step for τ < 2/L, and not above it.")
