"""Checks for notebook 01, linear regression on the red wines: N(x; θ) = (x, 1)ᵀ θ.

The notebook's order is the derivation's: the design matrix (1.1), the training cost E(θ) in
matrix form (1.2), its gradient (1.3), the minimiser from ∇E(θ̂) = 0 (1.4), then what a weight
says (1.5). Each check runs the student's function on fresh inputs (drawn from the trial's seed,
so no cell shows them) and on the wine data, compares with mlp.regression (the oracle, on the
checker's side only) and names the usual slips: a missing or misplaced column of ones, a factor 2,
a sign, a mean instead of a sum, counting from 1 instead of 0. The check docstrings state what is
checked, never the formula: a student may read them with `check_cost?`.
"""
from __future__ import annotations

import numpy as np

from .. import data, regression
from . import expect
from .core import Wrong, exercise, scoreboard_for


def _problem(t, n: int = 20, d: int = 3):
    """A small, well-conditioned test problem: X (n, d), A = [X, 1], y (n,), θ (d + 1,)."""
    X = t.rng.standard_normal((n, d)) * t.rng.uniform(0.5, 3, d) + t.rng.uniform(-2, 2, d)
    return X, regression.add_bias_column(X), t.rng.standard_normal(n), t.rng.standard_normal(d + 1)


def _entry(i) -> str:
    """An entry of a vector shaped like θ, named as the student indexes it."""
    return f"in entry {int(i[0])} (theta[{int(i[0])}])"


@exercise("1.1", "design_matrix")
def check_design_matrix(t, design_matrix):
    """design_matrix(X) on batches of several shapes: the design matrix A of the linear network, X unchanged."""
    for n, d in [(5, 3), (2, 11), (int(t.rng.integers(3, 9)), int(t.rng.integers(1, 6)))]:
        X = t.rng.uniform(2, 9, size=(n, d))
        what = f"design_matrix(X) for X of shape {X.shape}"
        got, (X_after,) = t.call(design_matrix, X, what=what, return_args=True)
        expect.unchanged(X, X_after, "X", "design_matrix")
        got = np.asarray(expect.returned(got, what), dtype=float) if not isinstance(got, str) else got
        shape = np.shape(got)
        if shape == (n, d):
            raise Wrong(f"{what} has the same shape as X, {X.shape}: the column for the bias is missing")
        if shape == (n, d + 2):
            raise Wrong(f"{what} has two columns more than X: one extra column is enough")
        if shape == (d + 1, n) and n != d + 1:
            raise Wrong(f"{what} has shape {shape}, which looks transposed: A has one row per sample")
        if shape == (n, d + 1) and np.allclose(got[:, 0], 1) and np.allclose(got[:, 1:], X):
            raise Wrong("the column of ones comes first, but in this course the bias is last, so that θ's last "
                        "entry is the bias: A = [X, 1]")
        if shape == (n, d + 1) and not np.allclose(got[:, -1], 1):
            raise Wrong(f"the last column of A should be all ones (the bias input), got {np.round(got[:, -1], 4).tolist()}")
        expect.array(got, regression.add_bias_column(X), what, hint="The first d columns of A are X itself, unchanged.")
    return "A = [X, 1] has shape (N, d + 1): X unchanged in front, a column of ones for the bias last."


@exercise("1.2", "cost")
def check_cost(t, cost):
    """cost(A, y, theta) on small random problems: the lecture's training cost E(θ), one number for all samples."""
    for n in (20, int(t.rng.integers(5, 40))):
        X, A, y, theta = _problem(t, n=n)
        what = f"cost(A, y, theta) for {n} samples"
        got = t.call(cost, A, y, theta, what=what)
        r = A @ theta - y
        if np.shape(got) == r.shape:
            raise Wrong(f"{what} returned one number per sample: E(θ) is one number for all samples together")
        got = expect.number(got, what)
        expected = regression.cost(X, y, theta)
        if np.isclose(got, expected):
            continue
        slips = [(expected / n, "is the mean of the squared errors: the lecture's E(θ) is their sum"),
                 (expected / 2, "is half of E(θ): the lecture's E(θ) has no factor 1/2"),
                 (np.sqrt(expected), "is the length of the vector of errors, without its square"),
                 (r.sum(), "adds up the errors without squaring them"),
                 (r.sum() ** 2, "squares the sum of the errors: square each error first, then add"),
                 (np.abs(r).sum(), "adds up the sizes of the errors without squaring them"),
                 (np.sum((A @ theta + y) ** 2), "adds the targets to the predictions: an error is prediction minus target")]
        hint = expect.slip(got, slips, rtol=1e-5, atol=1e-8)
        raise Wrong(f"{what} {hint}" if hint else f"{what} returned {got:.6g}, expected {expected:.6g}: "
                                                  "write down one sample's error first, then all N at once")
    return "E(θ) = ‖Aθ − y‖², the sum of the squared errors over all samples."


@exercise("1.3", "gradient")
def check_gradient(t, gradient):
    """gradient(A, y, theta) on small random problems, then on the wine data at the least-squares θ̂:
    the gradient of the cost of Exercise 1.2, one entry per entry of θ."""
    for d in (3, int(t.rng.integers(1, 6))):
        X, A, y, theta = _problem(t, d=d)
        what = f"gradient(A, y, theta) for theta of shape {theta.shape}"
        g = t.call(gradient, A, y, theta, what=what)
        expected = regression.gradient(X, y, theta)
        if np.shape(g) == y.shape:
            raise Wrong(f"{what} has one entry per sample (shape {y.shape}), but ∇E(θ) has one entry per entry of θ")
        if np.shape(g) in [(len(theta), 1), (1, len(theta))]:
            raise Wrong(f"{what} has shape {np.shape(g)}: return a flat vector of shape {theta.shape}")
        for factor, message in [
            (0.5, "the factor 2 is missing: differentiate each squared error with the chain rule"),
            (-1.0, "the sign is wrong: the gradient points uphill, towards larger E"),
            (-0.5, "the sign is wrong and the factor 2 is missing"),
            (1 / len(y), "it is divided by N: E(θ) is a sum over the samples, not a mean"),
            (0.5 / len(y), "it is divided by 2N: E(θ) is a sum over the samples, with no factor 1/2"),
        ]:
            if expect.close(g, factor * expected):
                raise Wrong(f"{what}: {message}")
        if expect.close(g, expected + 2 * A.T @ y):
            raise Wrong(f"{what} does not depend on the targets y, but E(θ) does: where do the y_j go when you "
                        "differentiate?")
        expect.array(g, expected, what, where=_entry,
                     hint="Compare with finite differences of your cost: mlp.gradcheck.numerical_gradient.")
    wine = data.load_wine_quality()
    A = regression.add_bias_column(wine.X)
    theta_hat = regression.fit_least_squares(wine.X, wine.y)
    what = "gradient(A, y, theta_hat) on the wine data"
    at_hat = expect.shaped(t.call(gradient, A, wine.y, theta_hat, what=what), theta_hat.shape, what)
    at_zero = regression.gradient(wine.X, wine.y, np.zeros_like(theta_hat))
    ratio = np.linalg.norm(at_hat) / np.linalg.norm(at_zero)
    if not ratio < 1e-8:
        raise Wrong(f"on the wine data ‖∇E(θ̂)‖ / ‖∇E(0)‖ = {ratio:.2g}, but at the least-squares θ̂ the gradient "
                    "should vanish (below 1e-8)")
    return "∇E(θ) is right; on the wine data ‖∇E(θ̂)‖ is below 1e-8 · ‖∇E(0)‖, so ∇E(θ̂) ≈ 0."


@exercise("1.4", "solve_normal_equations")
def check_solve_normal_equations(t, solve_normal_equations):
    """solve_normal_equations(A, y) on small random problems and on the wine data: the θ̂ at which the
    gradient of Exercise 1.3 vanishes, A and y unchanged."""
    for d in (3, int(t.rng.integers(1, 6))):
        X, A, y, _ = _problem(t, d=d)
        what = f"solve_normal_equations(A, y) for A of shape {A.shape}"
        got, (A_after, y_after) = t.call(solve_normal_equations, A, y, what=what, return_args=True)
        expect.unchanged(A, A_after, "A", "solve_normal_equations")
        expect.unchanged(y, y_after, "y", "solve_normal_equations")
        if isinstance(got, tuple):
            raise Wrong(f"{what} returned a tuple of {len(got)} values: return θ alone "
                        "(np.linalg.lstsq, for one, returns θ with three more things)")
        expected = np.linalg.lstsq(A, y, rcond=None)[0]
        theta = np.asarray(expect.returned(got, what), dtype=float) if not isinstance(got, str) else got
        if np.shape(theta) == y.shape:
            raise Wrong(f"{what} has one entry per sample, shape {y.shape}; θ has one entry per column of A")
        if np.shape(theta) in [(len(expected), 1), (1, len(expected))]:
            raise Wrong(f"{what} has shape {np.shape(theta)}: return a flat vector of shape {expected.shape}")
        if expect.close(theta, -expected):
            raise Wrong(f"{what} has the wrong sign: check the right-hand side of your system")
        for factor in (2.0, 0.5):
            if expect.close(theta, factor * expected):
                raise Wrong(f"{what} is {'twice' if factor == 2 else 'half'} the θ at which ∇E vanishes: "
                            "a factor that multiplies the whole gradient drops out of ∇E(θ) = 0")
        if np.shape(theta) == expected.shape and np.all(np.isfinite(theta)):
            ratio = np.linalg.norm(regression.gradient(X, y, theta)) / np.linalg.norm(regression.gradient(X, y, 0 * theta))
            if not ratio < 1e-8:
                raise Wrong(f"{what} returned a θ at which the gradient does not vanish (‖∇E(θ)‖ / ‖∇E(0)‖ = "
                            f"{ratio:.2g}, about 1e-15 at the minimiser): set your gradient to zero and collect the "
                            "terms with θ on one side")
        expect.array(theta, expected, what, where=_entry)
    wine = data.load_wine_quality()
    A = regression.add_bias_column(wine.X)
    got = t.call(solve_normal_equations, A, wine.y, what="solve_normal_equations(A, y) on the wine data")
    expect.array(got, regression.fit_least_squares(wine.X, wine.y), "solve_normal_equations(A, y) on the wine data",
                 rtol=1e-6, atol=0, where=_entry,
                 hint="It should agree with mlp.regression.fit_least_squares(wine.X, wine.y).")
    return "θ̂ solves AᵀA θ̂ = Aᵀy; on the 1,599 wines it agrees with mlp.regression.fit_least_squares."


@exercise("1.5", "predicted_change")
def check_predicted_change(t, predicted_change):
    """predicted_change(theta, i, delta) for random θ, features i (0-based) and steps delta, and for the
    wine fits: how much the network's prediction moves when feature i alone grows by delta."""
    theta = np.round(t.rng.uniform(-3, 3, 6), 2)
    theta[-1] = 4.5  # a bias unlike every weight, so that using it shows
    cases = [(0, 1.0), (2, 1.0), (int(t.rng.integers(1, 5)), float(np.round(t.rng.uniform(1.5, 3), 2))), (3, -1.0)]
    for i, delta in cases:
        what = f"predicted_change(theta, i={i}, delta={delta:g})"
        got = expect.number(t.call(predicted_change, theta, i, delta, what=what), what)
        expected = theta[i] * delta
        if np.isclose(got, expected):
            continue
        slips = [(theta[i + 1] * delta, f"used theta[{i + 1}]: numpy counts from 0, so the weight of feature i "
                                        "is theta[i] (the lecture's θ_11 for alcohol is theta[10])"),
                 (theta[-1] * delta, "used theta[-1], which is the bias, not a weight"),
                 (-expected, "has the wrong sign: the prediction grows when a feature with a positive weight grows"),
                 (theta[i], "ignores delta: how does the change depend on the size of the step?"),
                 (expected + theta[-1], "includes the bias: write out N(x + Δ e_i; θ) − N(x; θ), what is left of it?")]
        hint = expect.slip(got, slips, rtol=1e-5, atol=1e-8)
        raise Wrong(f"{what} {hint}" if hint else f"{what} returned {got:.6g}; write out N(x + Δ e_i; θ) − N(x; θ) "
                                                  "for one wine x and simplify")
    wine = data.load_wine_quality()
    theta_all = regression.fit_least_squares(wine.X, wine.y)
    theta_alcohol = regression.fit_least_squares(wine.feature("alcohol").reshape(-1, 1), wine.y)
    for fit, i, name in [(theta_alcohol, 0, "theta_alc"), (theta_all, 10, "theta_all")]:
        what = f"predicted_change({name}, {i}, 1.0)"
        got = expect.number(t.call(predicted_change, fit, i, 1.0, what=what), what)
        if not np.isclose(got, fit[i]):
            raise Wrong(f"{what} returned {got:.6g}: for a fit with {len(fit)} parameters, which entry weighs feature {i}?")
    return (f"+1 % vol alcohol raises the 11-feature fit's prediction by {theta_all[10]:.3f} quality points "
            "when the other 10 features stay the same, for every wine alike.")


scoreboard = scoreboard_for(__name__)
