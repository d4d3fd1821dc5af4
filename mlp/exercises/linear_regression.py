"""Checks for notebook 01, linear regression on the red wines: N(x; θ) = (x, 1)ᵀ θ.

Each check calls the student's function on test inputs, compares the result with mlp.linear (the
oracle) and prints "✔ Exercise 1.N: ..." or raises ExerciseError saying what is off. Common
mistakes (a missing or misplaced ones column, a factor 2, a sign, a mean instead of a sum,
counting from 1 instead of 0) are recognised and named.
"""
from __future__ import annotations

import numpy as np

from .. import data, regression
from . import ExerciseError, check_array, fail, passed

__all__ = ["ExerciseError", "check_design_matrix", "check_predicted_change", "check_solve_normal_equations",
           "check_cost", "check_gradient"]


def _close(a, b) -> bool:
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _problem(seed: int, n: int = 20, d: int = 3):
    """A small, well-conditioned test problem: X (n, d), A = [X, 1], y (n,), θ (d + 1,)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, regression.add_bias_column(X), rng.standard_normal(n), rng.standard_normal(d + 1)


def _number(label: str, got, what: str) -> float:
    """`got` as a float, or fail saying why it is not one number."""
    if got is None:
        fail(label, f"{what} returned None: did you forget the return statement?")
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        fail(label, f"{what} should return one number, got {type(got).__name__}")
    if array.size != 1:
        fail(label, f"{what} should return one number, got an array of shape {array.shape}")
    value = float(array.reshape(-1)[0])
    if not np.isfinite(value):
        fail(label, f"{what} returned {value}")
    return value


def _vector(label: str, got, what: str) -> np.ndarray:
    """`got` as a float array, or fail saying why it is not an array of numbers."""
    if got is None:
        fail(label, f"{what} returned None: did you forget the return statement?")
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        fail(label, f"{what} should return an array of numbers, got {type(got).__name__}")


def _unchanged(label: str, before: np.ndarray, after: np.ndarray, name: str, function: str) -> None:
    if not np.array_equal(before, after):
        fail(label, f"{function} changed its input {name}: build a new array instead of writing into {name}")


def _wine():
    wine = data.load_wine_quality()
    return wine, regression.add_bias_column(wine.X)


def check_design_matrix(design_matrix, label: str = "Exercise 1.1") -> None:
    """design_matrix(X) must return A = [X, 1]: X (N, d) -> (N, d + 1), ones in the last column."""
    for seed, (n, d) in enumerate([(5, 3), (2, 11)]):
        X = np.random.default_rng(seed).uniform(2, 9, size=(n, d))
        X_before = X.copy()
        got = design_matrix(X)
        _unchanged(label, X_before, X, "X", "design_matrix")
        what = f"design_matrix(X) for X of shape {X.shape}"
        if got is None:
            fail(label, f"{what} returned None: did you forget the return statement?")
        got = np.asarray(got)
        if got.shape == (n, d):
            fail(label, f"{what} has the same shape as X: the column of ones for the bias is missing, "
                        f"A = [X, 1] should have shape {(n, d + 1)}")
        if got.shape == (n, d + 2):
            fail(label, f"{what} has two columns more than X: did you add the column of ones twice?")
        if got.shape == (d + 1, n) and n != d + 1:
            fail(label, f"{what} has shape {got.shape}, which looks transposed: A has one row per sample, "
                        f"shape (N, d + 1) = {(n, d + 1)}")
        if got.shape != (n, d + 1):
            fail(label, f"{what} has shape {got.shape}, but it should have shape (N, d + 1) = {(n, d + 1)}")
        if np.allclose(got[:, 0], 1) and np.allclose(got[:, 1:], X):
            fail(label, "the column of ones comes first, but in this course the bias is last: A = [X, 1], "
                        "so that θ's last entry is the bias (np.hstack([X, ones]))")
        if not np.allclose(got[:, -1], 1):
            fail(label, f"the last column of A should be all ones (the bias input), got {np.round(got[:, -1], 4).tolist()}")
        check_array(label, got, regression.add_bias_column(X), what, hint="The first d columns of A should be X, unchanged.")
    passed(label, "A = [X, 1] has shape (N, d + 1): X unchanged in front, a column of ones for the bias last.")


def check_predicted_change(predicted_change, label: str = "Exercise 1.2") -> None:
    """predicted_change(theta, i, delta) must return θ_i · Δ (0-based i): the change of N(x; θ)
    when feature i grows by Δ and every other feature stays the same."""
    theta = np.array([0.5, -1.25, 2.0, 0.75, 3.5])
    for i, delta in [(0, 1.0), (2, 1.0), (1, 2.5), (3, -1.0)]:
        what = f"predicted_change(theta, i={i}, delta={delta})"
        got = _number(label, predicted_change(theta.copy(), i, delta), what)
        expected = theta[i] * delta
        if np.isclose(got, expected):
            continue
        if np.isclose(got, theta[i + 1] * delta):
            fail(label, f"{what} used theta[{i + 1}]: numpy counts from 0, so the weight of feature i is theta[i] "
                        "(the lecture's θ_11 for alcohol is theta[10])")
        if np.isclose(got, theta[-1] * delta):
            fail(label, f"{what} used theta[-1], which is the bias: the weight of feature i is theta[i]")
        if np.isclose(got, -expected):
            fail(label, f"{what} has the wrong sign: N(x + Δ e_i; θ) − N(x; θ) = θ_i · Δ")
        if np.isclose(got, theta[i]):
            fail(label, f"{what} ignores delta: the change is proportional to the step, θ_i · Δ")
        if np.isclose(got, expected + theta[-1]):
            fail(label, f"{what} includes the bias: it cancels in the difference N(x + Δ e_i; θ) − N(x; θ)")
        fail(label, f"{what} returned {got:.6g}, expected θ_i · Δ = {expected:.6g}")
    wine = data.load_wine_quality()
    theta_all = regression.fit_least_squares(wine.X, wine.y)
    theta_alcohol = regression.fit_least_squares(wine.feature("alcohol").reshape(-1, 1), wine.y)
    one = _number(label, predicted_change(theta_alcohol, 0, 1.0), "predicted_change(theta_alcohol, 0, 1.0)")
    every = _number(label, predicted_change(theta_all, 10, 1.0), "predicted_change(theta_all, 10, 1.0)")
    passed(label, f"+1 % vol alcohol raises the predicted quality by {one:.3f} points in the alcohol-only fit "
                  f"and by {every:.3f} in the 11-feature fit (the other 10 features held fixed).")


def check_solve_normal_equations(solve_normal_equations, label: str = "Exercise 1.3") -> None:
    """solve_normal_equations(A, y) must return θ (d + 1,) with AᵀA θ = Aᵀ y."""
    for seed in (0, 1):
        _, A, y, _ = _problem(seed)
        A_before, y_before = A.copy(), y.copy()
        got = solve_normal_equations(A, y)
        _unchanged(label, A_before, A, "A", "solve_normal_equations")
        _unchanged(label, y_before, y, "y", "solve_normal_equations")
        what = f"solve_normal_equations(A, y) for A of shape {A.shape}"
        if isinstance(got, tuple):
            fail(label, f"{what} returned a tuple: np.linalg.lstsq returns (θ, residuals, rank, singular values), "
                        "keep only θ (or use np.linalg.solve on the normal equations)")
        expected = np.linalg.lstsq(A, y, rcond=None)[0]
        theta = _vector(label, got, what)
        if theta.shape == y.shape:
            fail(label, f"{what} has one entry per sample (shape {theta.shape}), but θ has one entry per column "
                        f"of A: shape {expected.shape}")
        if theta.shape in [(len(expected), 1), (1, len(expected))]:
            fail(label, f"{what} has shape {theta.shape}: return a flat vector of shape {expected.shape} "
                        "(y should stay 1-D, or use .ravel())")
        if _close(theta, -expected):
            fail(label, f"{what} has the wrong sign: the normal equations are AᵀA θ = Aᵀy")
        if theta.shape == expected.shape and np.all(np.isfinite(theta)):
            residual = np.linalg.norm(A.T @ A @ theta - A.T @ y) / np.linalg.norm(A.T @ y)
            if not residual < 1e-8:
                fail(label, f"{what} does not solve the normal equations: ‖AᵀAθ − Aᵀy‖ / ‖Aᵀy‖ = {residual:.2g} "
                            "(it should be about 1e-15); solve AᵀA θ = Aᵀy for θ")
        check_array(label, theta, expected, what)
    wine, A = _wine()
    check_array(label, solve_normal_equations(A, wine.y), regression.fit_least_squares(wine.X, wine.y),
                "solve_normal_equations(A, y) on the wine data", rtol=1e-6, atol=0,
                hint="It should agree with mlp.regression.fit_least_squares(wine.X, wine.y).")
    passed(label, "θ solves AᵀA θ = Aᵀy; on the 1,599 wines it agrees with mlp.regression.fit_least_squares.")


def check_cost(cost, label: str = "Exercise 1.4") -> None:
    """cost(A, y, theta) must return E(θ) = ‖Aθ − y‖² = Σ_j (N(x_j; θ) − y_j)², one number."""
    for seed in (2, 3):
        X, A, y, theta = _problem(seed)
        what = f"cost(A, y, theta) for {len(y)} samples"
        got = cost(A, y, theta)
        r = A @ theta - y
        if got is not None and np.shape(got) == r.shape:
            fail(label, f"{what} returned an array with one entry per sample: E(θ) is one number, the sum over j")
        got = _number(label, got, what)
        expected = regression.cost(X, y, theta)
        if np.isclose(got, expected):
            continue
        if np.isclose(got, expected / len(y)):
            fail(label, f"{what} is the mean of the squared errors: E(θ) is their sum Σ_j (no division by N)")
        if np.isclose(got, expected / 2):
            fail(label, f"{what} is half of E(θ): the lecture's E(θ) = Σ_j ‖N(x_j; θ) − y_j‖² has no factor 1/2")
        if np.isclose(got, np.sqrt(expected)):
            fail(label, f"{what} is ‖Aθ − y‖, the norm without its square: E(θ) = ‖Aθ − y‖²")
        if np.isclose(got, r.sum()) or np.isclose(got, np.abs(r).sum()):
            fail(label, f"{what} adds up the errors without squaring them: E(θ) = Σ_j (N(x_j; θ) − y_j)²")
        fail(label, f"{what} returned {got:.6g}, expected ‖Aθ − y‖² = {expected:.6g}")
    passed(label, "E(θ) = ‖Aθ − y‖², the sum of the squared errors over all samples.")


def check_gradient(gradient, label: str = "Exercise 1.5") -> None:
    """gradient(A, y, theta) must return ∇E(θ) = 2Aᵀ(Aθ − y), shape (d + 1,); it must vanish at θ̂."""
    for seed in (4, 5):
        X, A, y, theta = _problem(seed)
        what = f"gradient(A, y, theta) for theta of shape {theta.shape}"
        got = gradient(A, y, theta)
        expected = regression.gradient(X, y, theta)
        g = _vector(label, got, what)
        if g.shape == y.shape:
            fail(label, f"{what} has one entry per sample (shape {y.shape}), but ∇E(θ) has one per entry of θ: "
                        "multiply the residual Aθ − y by 2Aᵀ")
        if g.shape in [(len(theta), 1), (1, len(theta))]:
            fail(label, f"{what} has shape {g.shape}: return a flat vector of shape {theta.shape}")
        for factor, message in [
            (0.5, "the factor 2 is missing: the derivative of ‖r‖² is 2r, so ∇E(θ) = 2Aᵀ(Aθ − y)"),
            (-1.0, "the sign is wrong: ∇E(θ) = 2Aᵀ(Aθ − y), not 2Aᵀ(y − Aθ); −∇E points downhill"),
            (-0.5, "the sign is wrong and the factor 2 is missing: ∇E(θ) = 2Aᵀ(Aθ − y)"),
            (1 / len(y), "it is divided by N: E(θ) is a sum over the samples, not a mean"),
            (0.5 / len(y), "it is divided by 2N: E(θ) is a sum over the samples, and ∇E(θ) = 2Aᵀ(Aθ − y)"),
        ]:
            if _close(g, factor * expected):
                fail(label, f"{what}: {message}")
        check_array(label, g, expected, what,
                    hint="Compare with a finite difference, e.g. mlp.gradcheck.numerical_gradient.")
    wine, A = _wine()
    theta_hat = regression.fit_least_squares(wine.X, wine.y)
    at_hat = np.asarray(gradient(A, wine.y, theta_hat), dtype=np.float64)
    at_zero = np.asarray(gradient(A, wine.y, np.zeros_like(theta_hat)), dtype=np.float64)
    ratio = np.linalg.norm(at_hat) / np.linalg.norm(at_zero)
    if not ratio < 1e-8:
        fail(label, f"on the wine data ‖∇E(θ̂)‖ / ‖∇E(0)‖ = {ratio:.2g}, but at the least-squares θ̂ the gradient "
                    "should vanish (below 1e-8)")
    passed(label, "∇E(θ) = 2Aᵀ(Aθ − y); on the wine data ‖∇E(θ̂)‖ is below 1e-8 · ‖∇E(0)‖, so ∇E(θ̂) ≈ 0.")
