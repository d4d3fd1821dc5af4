"""Checks for notebook 04, gradient descent on the linear network's cost E(θ) = ‖Aθ − y‖².

Each check runs the student's function on fresh problems (drawn from the trial's seed, so no cell
shows them), compares with mlp.convergence and mlp.optim (the oracles) and names the usual slips:
a step uphill, a forgotten τ or factor 2, the same array stored at every step, 1/λ_max instead of
2/λ_max, the flattest instead of the steepest direction, a mean loss instead of the sum, too few
steps, a prediction instead of a run, rounding down a number of steps.
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import convergence, regression
from ..layers import Linear
from ..losses import SquaredError
from ..optim import DivergenceError, train
from . import expect
from .core import StudentCodeFailed, Wrong, exercise, scoreboard_for


def _problem(t, n: int | None = None, d: int | None = None):
    """A small regression problem, features on scales 1 to 3 (κ below about 20): X (n, d), y (n,)."""
    n = int(t.rng.integers(20, 50)) if n is None else n
    d = int(t.rng.integers(2, 5)) if d is None else d
    X = t.rng.standard_normal((n, d)) * t.rng.uniform(1.0, 3.0, d) + t.rng.uniform(-0.5, 0.5, d)
    y = X @ t.rng.standard_normal(d) + 0.3 * t.rng.standard_normal(n) + t.rng.uniform(-1, 1)
    return X, y


def _eigenvalues(X: np.ndarray) -> tuple[float, float]:
    """(λ_min, λ_max) of ∇²E = 2AᵀA."""
    values = convergence.hessian_eigenvalues(X)
    return float(values[0]), float(values[-1])


def _factor(eigenvalues, tau: float) -> float:
    return float(np.max(np.abs(1 - tau * np.asarray(eigenvalues))))


def _tau_text(tau: float, lam_max: float) -> str:
    return f"τ = {tau * lam_max / 2:.3g} · (2/λ_max)"


# --- Exercise 4.1: the iteration ------------------------------------------------------------------

def _uphill(X, y, tau, num_steps):
    theta, rows = np.zeros(X.shape[1] + 1), []
    for _ in range(num_steps + 1):
        rows.append(theta)
        theta = theta + tau * regression.gradient(X, y, theta)
    return np.array(rows)


@exercise("4.1", "gradient_descent", answer=("mlp.convergence.regression_trajectory", "mlp.optim"),
          uses=("mlp.regression.gradient", "mlp.regression.add_bias_column"),
          task="write the iteration θ(k+1) = θ(k) − τ∇E(θ(k)) yourself")
def check_gradient_descent(t, gradient_descent):
    """gradient_descent(X, y, tau, num_steps) must return θ(0) = 0, θ(1), …, θ(num_steps), one per row."""
    cases = [(20, 3, 5), (int(t.rng.integers(8, 30)), 2, int(t.rng.integers(6, 10)))]
    for n, d, num_steps in cases:
        X, y = _problem(t, n, d)
        lam_max = _eigenvalues(X)[1]
        tau = float(t.rng.uniform(0.3, 0.9)) * 2 / lam_max
        what = f"gradient_descent(X, y, tau, num_steps={num_steps}) for X of shape {X.shape}"
        got, (X_after, y_after, *_) = t.call(gradient_descent, X, y, tau, num_steps, what=what, return_args=True)
        expect.unchanged(X, X_after, "X", "gradient_descent")
        expect.unchanged(y, y_after, "y", "gradient_descent")
        expected = convergence.regression_trajectory(X, y, tau, num_steps)
        expect.returned(got, what)
        shape = np.shape(got) if not isinstance(got, str) else None
        if shape == (d + 1,):
            raise Wrong(f"{what} returned one θ of shape {shape}: return every iterate θ(0), θ(1), …, θ({num_steps}), "
                        f"one per row, shape {expected.shape}")
        if shape == (num_steps, d + 1) and expect.close(got, expected[1:]):
            raise Wrong(f"{what} has {num_steps} rows, θ(1) to θ({num_steps}): the start θ(0) = 0 belongs in row 0, "
                        f"so {num_steps} steps give {num_steps + 1} rows")
        if shape == (num_steps, d + 1) and expect.close(got, expected[:-1]):
            raise Wrong(f"{what} has {num_steps} rows and stops one step early: the last row should be θ({num_steps})")
        if shape == (num_steps + 1, d):
            raise Wrong(f"{what} has rows of {d} numbers: each θ(k) holds the {d} weights and the bias last, "
                        f"{d + 1} numbers")
        got = expect.shaped(got, expected.shape, what)
        if np.allclose(got, got[-1]) and not np.allclose(expected, expected[-1]):
            raise Wrong(f"every row of {what} holds the same θ: you stored one array again and again and changed it in "
                        "place afterwards; store a copy of θ(k) (or build a new array at every step)")
        if not np.allclose(got[0], 0):
            raise Wrong(f"row 0 of {what} should be the start θ(0) = 0 (all d + 1 entries zero), got "
                        f"{np.round(got[0], 4).tolist()}")
        slips = [(_uphill(X, y, tau, num_steps),
                  "walks uphill: E grows along your iterates; a step goes the other way, against the gradient"),
                 (convergence.regression_trajectory(X, y, tau / 2, num_steps),
                  "takes steps half as long as they should be: is the factor 2 of ∇E missing?"),
                 (convergence.regression_trajectory(X, y, tau / n, num_steps),
                  f"takes steps {n} times too short, 1/N of the right length: E is the sum over the samples, "
                  "not the mean")]
        with np.errstate(over="ignore", invalid="ignore"):
            slips.append((convergence.regression_trajectory(X, y, 1.0, num_steps),
                          "ignores tau: every step must be scaled by the step size τ"))
        for wrong, why in slips:
            if np.all(np.isfinite(wrong)) and expect.close(got, wrong):
                raise Wrong(f"{what} {why}")
        expect.array(got, expected, what, where=lambda i: f"in row {i[0]}, θ({i[0]}), entry {i[1]}",
                     hint="Each row comes from the row before it by one gradient step.")
    X, y = _problem(t, d=3)
    what = "gradient_descent(X, y, tau, num_steps=0)"
    got = t.call(gradient_descent, X, y, 0.01 / _eigenvalues(X)[1], 0, what=what)
    expect.array(got, np.zeros((1, 4)), what, hint="With no step taken, only θ(0) is there: one row.")
    return ("θ(k+1) = θ(k) − τ∇E(θ(k)) from θ(0) = 0: num_steps steps give num_steps + 1 iterates, one per row.")


# --- Exercise 4.2: the largest stable step size -----------------------------------------------------

@exercise("4.2", "largest_stable_tau",
          answer=("mlp.convergence.stable_step_bound", "mlp.convergence.lambda_max"),
          uses=("mlp.regression.hessian", "mlp.regression.add_bias_column", "mlp.convergence.hessian_eigenvalues"),
          task="find τ* from the eigenvalues of the Hessian yourself")
def check_largest_stable_tau(t, largest_stable_tau):
    """largest_stable_tau(X) must return the largest τ for which every step lowers E, on random and wine data."""
    for n, d in [(30, 3), (int(t.rng.integers(15, 60)), int(t.rng.integers(1, 5)))]:
        X, _ = _problem(t, n, d)
        what = f"largest_stable_tau(X) for X of shape {X.shape}"
        got, (X_after,) = t.call(largest_stable_tau, X, what=what, return_args=True)
        expect.unchanged(X, X_after, "X", "largest_stable_tau")
        if isinstance(got, (tuple, list)):
            raise Wrong(f"{what} returned {len(got)} values: return the step size alone, one number")
        got = expect.number(got, what)
        values = convergence.hessian_eigenvalues(X)
        lam_min, lam_max = values[0], values[-1]
        expected = 2 / lam_max
        if np.isclose(got, expected, rtol=1e-6):
            continue
        no_bias = float(np.linalg.eigvalsh(2 * X.T @ X)[-1])
        slips = [
            (1 / lam_max, "is safe, but not the largest: longer steps still lower E; for which τ does "
                          "−τ‖g‖² + (τ²/2) gᵀHg stay below 0 for every g?"),
            (2 / (lam_max + lam_min), "is safe, but not the largest: it balances the steepest and the flattest "
                                      "direction, yet longer steps still lower E"),
            (2 / lam_min, "is set by the flattest direction (the smallest eigenvalue): a step must be safe along the "
                          "steepest one, where the curvature is largest"),
            (1 / lam_min, "is set by the flattest direction (the smallest eigenvalue): a step must be safe along the "
                          "steepest one, where the curvature is largest"),
            (4 / lam_max, "is twice too large: did you take the eigenvalues of AᵀA rather than of the Hessian ∇²E?"),
            (2 / no_bias, "misses the bias: the Hessian is built from A = [X, 1], not from X"),
            (2 / np.sqrt(lam_max), "uses the square root of an eigenvalue: take the largest eigenvalue of the Hessian "
                                   "itself"),
            (2 / np.sqrt(lam_max / 2), "uses a singular value of A: take the largest eigenvalue of the Hessian itself"),
            (lam_max, "is the largest curvature itself, not a step size: the steeper E curves, the shorter a safe step"),
            (2 / values.sum(), "is safe, but smaller than needed: only the largest eigenvalue limits τ"),
        ]
        hint = expect.slip(got, slips, rtol=1e-6, atol=1e-8)
        raise Wrong(f"{what} returned {got:.6g}, which {hint}" if hint else
                    f"{what} returned {got:.6g}, but for this X the largest τ that lowers E from every θ is {expected:.6g}: "
                    "which g makes gᵀHg largest for a given ‖g‖?")
    return "τ* = 2/λ_max, λ_max the largest eigenvalue of ∇²E = 2AᵀA: every τ below it lowers E at every step."


# --- Exercise 4.3: the factor per step -------------------------------------------------------------

@exercise("4.3", "factor_per_step", answer=("mlp.convergence.contraction_factor",),
          uses=("mlp.regression.hessian", "mlp.regression.add_bias_column", "mlp.convergence.hessian_eigenvalues"),
          task="work out ρ(τ) from the eigenvalues of the Hessian yourself")
def check_factor_per_step(t, factor_per_step):
    """factor_per_step(X, tau) must return ρ(τ), the factor by which one step shrinks the distance to θ̂ at worst."""
    for n, d in [(30, 3), (int(t.rng.integers(15, 60)), int(t.rng.integers(2, 5)))]:
        X, _ = _problem(t, n, d)
        values = convergence.hessian_eigenvalues(X)
        lam_min, lam_max = values[0], values[-1]
        crossover = 2 / (lam_max + lam_min)  # below it the flattest direction is the slowest, above it the steepest
        taus = [float(t.rng.uniform(0.2, 0.8)) * crossover,
                crossover + float(t.rng.uniform(0.3, 0.8)) * (2 / lam_max - crossover),
                float(t.rng.uniform(1.1, 1.4)) * 2 / lam_max]
        no_bias = np.linalg.eigvalsh(2 * X.T @ X)
        for tau in taus:
            what = f"factor_per_step(X, tau) for X of shape {X.shape} and {_tau_text(tau, lam_max)}"
            got = t.call(factor_per_step, X, tau, what=what)
            if np.shape(got) == values.shape:
                raise Wrong(f"{what} returned {len(values)} numbers, one per direction: return one number, the factor "
                            "that holds for every θ(k) at once")
            got = expect.number(got, what)
            expected = _factor(values, tau)
            if np.isclose(got, expected, rtol=1e-8, atol=1e-12):
                continue
            slips = [
                (abs(1 - tau * lam_max), "is the factor of the steepest direction only: for this smaller τ another "
                                         "direction shrinks more slowly"),
                (abs(1 - tau * lam_min), "is the factor of the flattest direction only: for this larger τ the steepest "
                                         "direction overshoots θ̂ (a negative factor) and, by size, shrinks more slowly"),
                (_factor(values / 2, tau), "uses the eigenvalues of AᵀA: the Hessian ∇²E has a factor 2"),
                (_factor(no_bias, tau), "misses the bias: the Hessian is built from A = [X, 1], not from X"),
                (expected ** 2, "is the square of the factor: that is how fast E − E(θ̂) can shrink, but ρ is for "
                                "the distance ‖θ(k) − θ̂‖"),
            ]
            hint = expect.slip(got, slips, rtol=1e-8, atol=1e-12)
            raise Wrong(f"{what} returned {got:.6g}, which {hint}" if hint else
                        f"{what} returned {got:.6g}, expected {expected:.6g}: write θ(k+1) − θ̂ in terms of θ(k) − θ̂ and "
                        "look at each eigenvector of the Hessian")
    return "ρ(τ) = max(|1 − τλ_min|, |1 − τλ_max|): below 1 exactly for 0 < τ < 2/λ_max."


# --- Exercise 4.4: divergence, by running ---------------------------------------------------------

NUM_STEPS = 1000  # the number of steps Exercise 4.4 asks for
SHORT_RUN = 100   # a run this short misses the slow divergences just above the bound


def _train_diverges(X, y, tau: float, num_steps: int = NUM_STEPS, reduction: str = "sum") -> bool:
    """The oracle: whether mlp.train on a fresh Linear(d, 1, rng=0) raises DivergenceError within num_steps."""
    try:
        train(Linear(X.shape[1], 1, rng=0), SquaredError(reduction), X, y.reshape(-1, 1), step_size=tau,
              num_steps=num_steps, progress=False)
    except DivergenceError:
        return True
    return False


def _fractions_above(X, y, values: np.ndarray, vectors: np.ndarray) -> tuple[float, float]:
    """Two values of τ·λ_max/2 just above 1, where the error along the top eigenvector grows slowly: at the
    first the cost grows about 10⁴-fold in 1,000 steps, below mlp.train's alarm (blowup × E(θ(0)), 10⁸-fold);
    at the second it reaches the alarm after about 450 steps, within 1,000 steps but not within 100."""
    layer = Linear(X.shape[1], 1, rng=0)
    theta0 = np.append(layer.params["weight"].ravel(), layer.params["bias"])
    along_top = float(vectors[:, -1] @ (theta0 - regression.fit_least_squares(X, y)))
    blowup = inspect.signature(train).parameters["blowup"].default
    start = regression.cost(X, y, theta0) / (values[-1] / 2 * max(along_top**2, 1e-300))

    def fraction(growth: float, steps: int) -> float:
        # E(θ(k)) ≈ (λ_max/2)(ρ^k · along_top)² once that part dominates: the ρ > 1 that reaches growth · E(θ(0))
        rho = float(np.exp(np.log(max(growth * start, 1.0 + 1e-9)) / (2 * steps)))
        return (1 + rho) / 2

    return fraction(np.sqrt(blowup), NUM_STEPS), fraction(blowup, 450)


@exercise("4.4", "diverges", answer=("mlp.convergence",),
          uses=("mlp.train", "mlp.Linear", "mlp.SquaredError", "mlp.DivergenceError"),
          task="run mlp.train and report whether it raised DivergenceError")
def check_diverges(t, diverges):
    """diverges(X, y, tau) must train mlp.Linear with mlp.train (sum loss, 1,000 steps) and return True
    exactly when that raises DivergenceError."""
    n = int(t.rng.integers(25, 60))
    X, y = _problem(t, n, 3)
    values, vectors = np.linalg.eigh(regression.hessian(X))
    lam_max = float(values[-1])
    creep, slow = _fractions_above(X, y, values, vectors)
    # creep: diverges in theory, and the cost grows, but 1,000 steps do not reach the alarm; slow reaches it after
    # hundreds of steps; 1.5 · n diverges even with the mean loss (steps n times shorter)
    fractions = [0.5, 0.95, creep, slow, 1.5, 1.5 * n]
    names = [f"{f:.4g} · (2/λ_max)" for f in fractions]
    taus = [f * 2 / lam_max for f in fractions]
    answers = []
    for name, tau in zip(names, taus):
        what = f"diverges(X, y, tau) for τ = {name}"
        try:
            got = t.call(diverges, X, y, tau, what=what)
        except StudentCodeFailed as failed:
            if failed.error.get("type") == "DivergenceError":
                raise Wrong(f"for τ = {name} the DivergenceError escaped from diverges: catch it "
                            "(try: … except mlp.DivergenceError: …) and return True") from None
            raise
        answers.append(expect.flag(got, what))
    expected = [_train_diverges(X, y, tau) for tau in taus]
    if answers == expected:
        return (f"mlp.train stops with a DivergenceError once the cost has grown far enough: at τ = 1.5 · (2/λ_max) "
                f"within a few dozen steps, at {names[3]} only after hundreds, and at {names[2]} not within "
                "1,000 steps, although the iteration diverges there too.")
    if answers == [_train_diverges(X, y, tau, reduction="mean") for tau in taus]:
        raise Wrong(f"diverges says only τ = {names[-1]} diverges, as if every step were {n} times shorter: did you "
                    "use SquaredError(\"mean\")? It divides E and its gradient by N; the lecture's E is the sum, "
                    "SquaredError()")
    for name, tau, got, right in zip(names, taus, answers, expected):
        if got and not right:
            grows = tau * lam_max > 2
            raise Wrong(f"diverges says τ = {name} diverges, but there mlp.train runs all 1,000 steps without a "
                        "DivergenceError" + (" (the cost grows, but too slowly to trip its alarm)" if grows else "")
                        + ": return True only when mlp.train raised DivergenceError")
        if right and not got:
            late = not _train_diverges(X, y, tau, num_steps=SHORT_RUN)
            raise Wrong(f"diverges says τ = {name} does not diverge, but mlp.train raises DivergenceError there "
                        + (f"within 1,000 steps, after more than {SHORT_RUN}: did you run all 1,000 steps? Just above "
                           "the bound the cost grows slowly" if late else "within 1,000 steps: return True when "
                                                                         "mlp.train raised DivergenceError"))
    raise AssertionError("unreachable")


# --- Exercise 4.5: how many steps ----------------------------------------------------------------

@exercise("4.5", "steps_needed", answer=("mlp.convergence.steps_needed",),
          uses=("mlp.regression.hessian", "mlp.regression.add_bias_column", "mlp.convergence.hessian_eigenvalues"),
          task="turn the factor per step into a number of steps yourself")
def check_steps_needed(t, steps_needed):
    """steps_needed(X, tau, shrink) must return how many steps guarantee that the distance to θ̂ shrinks by `shrink`."""
    for n, d in [(30, 3), (int(t.rng.integers(15, 60)), int(t.rng.integers(2, 5)))]:
        X, _ = _problem(t, n, d)
        values = convergence.hessian_eigenvalues(X)
        lam_min, lam_max = values[0], values[-1]
        crossover = 2 / (lam_max + lam_min)
        shrink = float(10 ** -t.rng.uniform(3, 6))
        taus = [float(t.rng.uniform(0.4, 0.8)) * crossover,
                crossover + float(t.rng.uniform(0.3, 0.8)) * (2 / lam_max - crossover)]
        for tau in taus:
            what = f"steps_needed(X, tau, shrink={shrink:.3g}) for X of shape {X.shape} and {_tau_text(tau, lam_max)}"
            got = t.call(steps_needed, X, tau, shrink, what=what)
            got = expect.integer(got, what)  # 57.0 counts as 57 steps
            expected = convergence.steps_needed(X, tau, shrink)
            if got == expected:
                continue

            def count(rho, power=1.0):
                return int(np.ceil(np.log(shrink) / (power * np.log(rho)))) if 0 < rho < 1 else None

            rho = _factor(values, tau)
            slips = [
                (expected - 1, f"is one step short: after {expected - 1} steps ρ^k is still above shrink; round up"),
                (count(abs(1 - tau * lam_max)), "uses the factor of the steepest direction only: here another "
                                                "direction is slower (Exercise 4.3)"),
                (count(abs(1 - tau * lam_min)), "uses the factor of the flattest direction only: for this τ the "
                                                "steepest direction is slower (Exercise 4.3)"),
                (count(_factor(values / 2, tau)), "uses the eigenvalues of AᵀA: the Hessian ∇²E has a factor 2"),
                (count(rho, 2), "is the count for E − E(θ̂) (it can shrink by ρ² per step): the question is "
                                "about the distance ‖θ(k) − θ̂‖"),
            ]
            raise expect.miscounted(got, what, slips, f", but {expected} steps are needed: after k steps the distance "
                                                      "is at most ρ(τ)^k times what it was")
    return "k = ⌈ln(shrink) / ln ρ(τ)⌉, the fewest steps with ρ(τ)^k <= shrink."


scoreboard = scoreboard_for(__name__)
