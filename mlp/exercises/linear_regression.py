"""Checks for notebook 01, linear regression on the red wines: N(x; θ) = (x, 1)ᵀ θ.

The notebook's order is the derivation's: the design matrix (1.1), the training cost E(θ) in
matrix form (1.2), its gradient (1.3), the minimiser from ∇E(θ̂) = 0 (1.4), then what a weight
says (1.5). Each check runs the student's function on fresh inputs (drawn from the trial's seed,
so no cell shows them) and on the wine data, and names the usual slips: a missing or misplaced
column of ones, a factor 2, a sign, a mean instead of a sum, counting from 1 instead of 0. The
expected values come from numpy in this module, never from mlp.regression: its functions are the
answers the student must not call, and a check never runs them in the student's kernel. The check
docstrings state what is checked, never the formula: a student may read them with `check_cost?`.
"""
from __future__ import annotations

import re
from functools import cache

import numpy as np

from .. import data
from . import expect
from .core import StudentCodeFailed, Wrong, exercise, scoreboard_for

# numpy's words when two shapes do not fit (matmul, solve, broadcasting) or a system has no unique solution
_SHAPE_ERROR = re.compile(r"mismatch|shape|align|broadcast|square|dimension|Singular matrix", re.IGNORECASE)


def _ones_last(X: np.ndarray) -> np.ndarray:
    """The check's own A = [X, 1] (1.1's answer in mlp is not run here)."""
    return np.hstack([X, np.ones((len(X), 1))])


def _least_squares(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The check's own θ̂ = argmin ||A θ − y||², from a backward-stable solver."""
    return np.linalg.lstsq(A, y, rcond=None)[0]


def _gradient(A: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The check's own ∇E(θ), for judging θ by the gradient at it."""
    return 2 * A.T @ (A @ theta - y)


@cache
def _wine() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The wine data as A (1599, 12) and y, with the least-squares fits on all 11 features and on alcohol
    alone (computed once per process, read-only)."""
    wine = data.load_wine_quality()
    A, alcohol = _ones_last(wine.X), _ones_last(wine.feature("alcohol").reshape(-1, 1))
    arrays = A, wine.y.copy(), _least_squares(A, wine.y), _least_squares(alcohol, wine.y)
    for array in arrays:
        array.flags.writeable = False
    return arrays


def _problem(t, n: int = 20, d: int = 3):
    """A small, well-conditioned test problem: A = [X, 1] (n, d + 1), y (n,), θ (d + 1,)."""
    X = t.rng.standard_normal((n, d)) * t.rng.uniform(0.5, 3, d) + t.rng.uniform(-2, 2, d)
    return _ones_last(X), t.rng.standard_normal(n), t.rng.standard_normal(d + 1)


def _entry(i) -> str:
    """An entry of a vector shaped like θ, named as the student indexes it."""
    return f"in entry {int(i[0])} (theta[{int(i[0])}])"


def _call(t, function, *args, what: str, names: tuple[str, ...], return_args: bool = False):
    """t.call, with numpy's shape errors in the student's code told as the shapes of the inputs."""
    try:
        return t.call(function, *args, what=what, return_args=return_args)
    except StudentCodeFailed as failed:
        error = failed.error
        if error.get("stub") or error["type"] not in ("ValueError", "LinAlgError") \
                or not _SHAPE_ERROR.search(error["message"]):
            raise
        shapes = ", ".join(f"{name} has shape {np.shape(a)}" for name, a in zip(names, args))
        if "singular" in error["message"].lower():
            raise Wrong(f"{what} raised LinAlgError, singular matrix: the matrix of your system cannot be "
                        f"inverted. Here {shapes}: write down the shape of each matrix and vector in your "
                        "system; which of them is square, with one row per entry of θ?") from None
        raise Wrong(f"{what} raised {error['type']}: two shapes in your code do not fit together. Here {shapes}: "
                    "write the shape under each matrix and vector of your formula and check every product "
                    "(an (m, k) matrix times a (k, n) one gives (m, n)).") from None


def _float64(got, what: str, near: bool) -> None:
    """Wrong with "compute in float64" when `got` holds float32 (or float16) numbers and is `near` the answer,
    that is, right to the few digits they keep."""
    dtype = getattr(got, "dtype", None)
    if dtype is None or dtype.kind != "f" or dtype.itemsize >= 8 or not near:
        return
    raise Wrong(f"{what} returned {dtype} numbers, which keep only about {int(np.finfo(dtype).precision)} significant "
                f"digits: too few here. Compute in float64, numpy's default (leave out the conversion to {dtype}).")


@exercise("1.1", "design_matrix", answer=("mlp.regression.add_bias_column",), uses=(),
          task="build A = [X, 1] yourself with numpy")
def check_design_matrix(t, design_matrix):
    """design_matrix(X) on batches of several shapes: the design matrix A of the linear network, X unchanged."""
    for n, d in [(5, 3), (2, 11), (int(t.rng.integers(3, 9)), int(t.rng.integers(1, 6)))]:
        X = t.rng.uniform(2, 9, size=(n, d))
        what = f"design_matrix(X) for X of shape {X.shape}"
        got, (X_after,) = t.call(design_matrix, X, what=what, return_args=True)
        expect.unchanged(X, X_after, "X", "design_matrix")
        got = np.asarray(expect.returned(got, what), dtype=float) if not isinstance(got, str) else got
        expected = _ones_last(X)
        if expect.close(got, expected):
            continue
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
        expect.array(got, expected, what, hint="The first d columns of A are X itself, unchanged.")
    return "A = [X, 1] has shape (N, d + 1): X unchanged in front, a column of ones for the bias last."


@exercise("1.2", "cost", answer=("mlp.regression.cost", "mlp.losses.SquaredError"), uses=(),
          task="write the sum of the squared errors yourself")
def check_cost(t, cost):
    """cost(A, y, theta) on small random problems: the lecture's training cost E(θ), one number for all samples."""
    for n in (20, int(t.rng.integers(5, 40))):
        A, y, theta = _problem(t, n=n)
        what = f"cost(A, y, theta) for {n} samples"
        got = _call(t, cost, A, y, theta, what=what, names=("A", "y", "theta"))
        r = A @ theta - y
        if np.shape(got) == r.shape:
            raise Wrong(f"{what} returned one number per sample: E(θ) is one number for all samples together")
        value = expect.number(got, what)
        expected = float(r @ r)
        if np.isclose(value, expected):
            continue
        _float64(got, what, near=bool(np.isclose(value, expected, rtol=1e-2)))
        slips = [(expected / n, "is the mean of the squared errors: the lecture's E(θ) is their sum"),
                 (expected / 2, "is half of E(θ): the lecture's E(θ) has no factor 1/2"),
                 (np.sqrt(expected), "is the length of the vector of errors, without its square"),
                 (r.sum(), "adds up the errors without squaring them"),
                 (r.sum() ** 2, "squares the sum of the errors: square each error first, then add"),
                 (np.abs(r).sum(), "adds up the sizes of the errors without squaring them"),
                 (np.sum((A @ theta + y) ** 2), "adds the targets to the predictions: an error is prediction minus target")]
        hint = expect.slip(value, slips, rtol=1e-5, atol=1e-8)
        raise Wrong(f"{what} {hint}" if hint else f"{what} returned {value:.6g}, expected {expected:.6g}: "
                                                  "write down one sample's error first, then all N at once")
    return "E(θ) = ‖Aθ − y‖², the sum of the squared errors over all samples."


@exercise("1.3", "gradient", answer=("mlp.regression.gradient", "mlp.gradcheck.numerical_gradient"), uses=(),
          task="derive ∇E(θ) on paper and write it yourself")
def check_gradient(t, gradient):
    """gradient(A, y, theta) on small random problems, then on the wine data at the least-squares θ̂:
    the gradient of the cost of Exercise 1.2, one entry per entry of θ."""
    for d in (3, int(t.rng.integers(1, 6))):
        A, y, theta = _problem(t, d=d)
        what = f"gradient(A, y, theta) for theta of shape {theta.shape}"
        g = _call(t, gradient, A, y, theta, what=what, names=("A", "y", "theta"))
        expected = _gradient(A, y, theta)
        if expect.close(g, expected):
            continue
        if np.shape(g) == y.shape:
            raise Wrong(f"{what} has one entry per sample (shape {y.shape}), but ∇E(θ) has one entry per entry of θ")
        if np.shape(g) in [(len(theta), 1), (1, len(theta))]:
            raise Wrong(f"{what} has shape {np.shape(g)}: return a flat vector of shape {theta.shape}")
        _float64(g, what, near=expect.close(g, expected, rtol=1e-2, atol=1e-6))
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
                     hint="Compare it, in a cell of its own, with finite differences of your cost "
                          "(mlp.gradcheck.numerical_gradient).")
    A, y, theta_hat, _ = _wine()
    what = "gradient(A, y, theta_hat) on the wine data"
    got = _call(t, gradient, A, y, theta_hat, what=what, names=("A", "y", "theta_hat"))
    at_hat = expect.shaped(got, theta_hat.shape, what)
    ratio = np.linalg.norm(at_hat) / np.linalg.norm(_gradient(A, y, np.zeros_like(theta_hat)))
    if not ratio < 1e-8:
        _float64(got, what, near=ratio < 1e-3)
        raise Wrong(f"on the wine data ‖∇E(θ̂)‖ / ‖∇E(0)‖ = {ratio:.2g}, but at the least-squares θ̂ the gradient "
                    "should vanish (below 1e-8)")
    return "∇E(θ) is right; on the wine data ‖∇E(θ̂)‖ is below 1e-8 · ‖∇E(0)‖, so ∇E(θ̂) ≈ 0."


@exercise("1.4", "solve_normal_equations", answer=("mlp.regression.fit_least_squares",), uses=(),
          task="set up the linear system from ∇E(θ̂) = 0 and solve it yourself")
def check_solve_normal_equations(t, solve_normal_equations):
    """solve_normal_equations(A, y) on small random problems and on the wine data: the θ̂ at which the
    gradient of Exercise 1.3 vanishes, A and y unchanged."""
    for d in (3, int(t.rng.integers(1, 6))):
        A, y, _ = _problem(t, d=d)
        what = f"solve_normal_equations(A, y) for A of shape {A.shape}"
        got, (A_after, y_after) = _call(t, solve_normal_equations, A, y, what=what, names=("A", "y"),
                                        return_args=True)
        expect.unchanged(A, A_after, "A", "solve_normal_equations")
        expect.unchanged(y, y_after, "y", "solve_normal_equations")
        if isinstance(got, tuple):
            raise Wrong(f"{what} returned a tuple of {len(got)} values: return θ alone "
                        "(np.linalg.lstsq, for one, returns θ with three more things)")
        expected = _least_squares(A, y)
        theta = np.asarray(expect.returned(got, what), dtype=float) if not isinstance(got, str) else got
        if np.shape(theta) == y.shape:
            raise Wrong(f"{what} has one entry per sample, shape {y.shape}; θ has one entry per column of A")
        if np.shape(theta) in [(len(expected), 1), (1, len(expected))]:
            raise Wrong(f"{what} has shape {np.shape(theta)}: return a flat vector of shape {expected.shape}")
        theta = expect.shaped(theta, expected.shape, what)
        ratio = np.linalg.norm(_gradient(A, y, theta)) / np.linalg.norm(_gradient(A, y, 0 * theta))
        if ratio < 1e-8 and expect.close(theta, expected):
            continue
        _float64(got, what, near=expect.close(theta, expected, rtol=1e-2, atol=1e-6))
        if expect.close(theta, -expected):
            raise Wrong(f"{what} has the wrong sign: check the right-hand side of your system")
        for factor in (2.0, 0.5):
            if expect.close(theta, factor * expected):
                raise Wrong(f"{what} is {'twice' if factor == 2 else 'half'} the θ at which ∇E vanishes: "
                            "a factor that multiplies the whole gradient drops out of ∇E(θ) = 0")
        if not ratio < 1e-8:
            raise Wrong(f"{what} returned a θ at which the gradient does not vanish (‖∇E(θ)‖ / ‖∇E(0)‖ = "
                        f"{ratio:.2g}, about 1e-15 at the minimiser): set your gradient to zero and collect the "
                        "terms with θ on one side")
        expect.array(theta, expected, what, where=_entry)
    A, y, theta_hat, _ = _wine()
    what = "solve_normal_equations(A, y) on the wine data"
    got = _call(t, solve_normal_equations, A, y, what=what, names=("A", "y"))
    if not expect.close(got, theta_hat, rtol=1e-6, atol=0):
        _float64(got, what, near=True)
    expect.array(got, theta_hat, what, rtol=1e-6, atol=0, where=_entry,
                 hint="It agreed on the small problems: does your code use A and y as given, in float64?")
    return "θ̂ solves AᵀA θ̂ = Aᵀy; on the 1,599 wines it agrees with a least-squares solver to 6 digits."


@exercise("1.5", "predicted_change", answer=(), uses=("mlp.regression.predict",),
          task="read off from N(x; θ) how the prediction changes")
def check_predicted_change(t, predicted_change):
    """predicted_change(theta, i, delta) for random θ, features i (0-based) and steps delta, and for the
    wine fits: how much the network's prediction moves when feature i alone grows by delta."""
    # five weights of different sizes, none near 0, and a bias unlike every weight: each slip below shows
    theta = np.append(t.rng.choice(np.arange(50, 301), 5, replace=False) / 100 * t.rng.choice([-1, 1], 5), 4.5)
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
    _, _, theta_all, theta_alcohol = _wine()
    for fit, i, name in [(theta_alcohol, 0, "theta_alc"), (theta_all, 10, "theta_all")]:
        what = f"predicted_change({name}, {i}, 1.0)"
        got = expect.number(t.call(predicted_change, fit, i, 1.0, what=what), what)
        if not np.isclose(got, fit[i]):
            raise Wrong(f"{what} returned {got:.6g}: for a fit with {len(fit)} parameters, which entry weighs feature {i}?")
    return (f"+1 % vol alcohol raises the 11-feature fit's prediction by {theta_all[10]:.3f} quality points "
            "when the other 10 features stay the same, for every wine alike.")


scoreboard = scoreboard_for(__name__)
