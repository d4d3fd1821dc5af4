"""Notebook 04's exercise checks: right answers pass (on the notebook's seed and on the grader's), every
recognised slip gets its own message. What every exercise must satisfy is in tests/test_every_exercise.py."""
import re

import numpy as np
import pytest

import mlp
from mlp import convergence, regression
from mlp.exercises import ExerciseError
from mlp.exercises.gradient_descent import (
    check_diverges, check_factor_per_step, check_gradient_descent, check_largest_stable_tau, check_steps_needed,
    scoreboard,
)

OTHER_SEEDS = [12345, 7, 2024]  # the grader's seeds differ from the notebook's


def fails(check, wrong, label, message):
    with pytest.raises(ExerciseError, match=f"^Exercise {label}: .*{message}"):
        check(wrong)


def eigenvalues(X):
    return np.linalg.eigvalsh(regression.hessian(X))


# --- Exercise 4.1: the iteration ------------------------------------------------------------------

def right_descent(X, y, tau, num_steps):
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.zeros(A.shape[1])
    rows = [theta]
    for _ in range(num_steps):
        theta = theta - tau * 2 * A.T @ (A @ theta - y)
        rows.append(theta)
    return np.array(rows)


def preallocated_descent(X, y, tau, num_steps):
    trajectory = np.zeros((num_steps + 1, X.shape[1] + 1))
    for k in range(num_steps):
        trajectory[k + 1] = trajectory[k] - tau * regression.gradient(X, y, trajectory[k])
    return trajectory


def descent_with(step, start=None, keep=lambda theta: theta, rows=slice(None)):
    """A gradient_descent whose step is step(X, y, theta, tau), started at `start`, storing keep(theta)."""
    def gradient_descent(X, y, tau, num_steps):
        theta = np.zeros(X.shape[1] + 1) if start is None else start(X)
        out = [keep(theta)]
        for _ in range(num_steps):
            theta = step(X, y, theta, tau)
            out.append(keep(theta))
        return np.array(out)[rows]
    return gradient_descent


def aliased(X, y, tau, num_steps):
    theta, rows = np.zeros(X.shape[1] + 1), []
    rows.append(theta)
    for _ in range(num_steps):
        theta -= tau * regression.gradient(X, y, theta)
        rows.append(theta)
    return rows


def descent_changing_X(X, y, tau, num_steps):
    X -= X.mean(axis=0)
    return right_descent(X, y, tau, num_steps)


@pytest.mark.parametrize("right", [right_descent, preallocated_descent,
                                   lambda X, y, tau, n: [list(row) for row in right_descent(X, y, tau, n)]])
def test_gradient_descent_check_accepts_right_answers(right, capsys, verdict):
    check_gradient_descent(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.1: θ(k+1) = θ(k) − τ∇E(θ(k)) from θ(0) = 0")
    for seed in OTHER_SEEDS:
        assert verdict(check_gradient_descent, {"gradient_descent": right}, seed).passed


down = lambda X, y, theta, tau: theta - tau * regression.gradient(X, y, theta)  # noqa: E731


@pytest.mark.parametrize("wrong, message", [
    (lambda X, y, tau, n: None, "returned None"),
    (lambda X, y, tau, n: right_descent(X, y, tau, n)[-1], "returned one θ of shape"),
    (lambda X, y, tau, n: right_descent(X, y, tau, n)[1:], "the start θ\\(0\\) = 0 belongs in row 0"),
    (lambda X, y, tau, n: right_descent(X, y, tau, n)[:-1], "stops one step early"),
    (lambda X, y, tau, n: right_descent(X, y, tau, n)[:, :-1], "each θ\\(k\\) holds the . weights and the bias last"),
    (lambda X, y, tau, n: right_descent(X, y, tau, n).T, "looks transposed"),
    (aliased, "every row of .* holds the same θ: you stored one array again and again"),
    (descent_with(down, start=lambda X: np.ones(X.shape[1] + 1)), "row 0 of .* should be the start θ\\(0\\) = 0"),
    (descent_with(lambda X, y, theta, tau: theta + tau * regression.gradient(X, y, theta)), "walks uphill"),
    (descent_with(lambda X, y, theta, tau: theta - tau * regression.gradient(X, y, theta) / 2), "factor 2 of ∇E"),
    (descent_with(lambda X, y, theta, tau: theta - tau * regression.gradient(X, y, theta) / len(y)),
     "times too short, 1/N of the right length: E is the sum"),
    (descent_with(lambda X, y, theta, tau: theta - 1e-4 * regression.gradient(X, y, theta)), "is off in row 1"),
    (descent_changing_X, "changed its input X"),
    (lambda X, y, tau, n: right_descent(X, y, tau, max(n, 1)), "num_steps=0\\) has shape \\(2, 4\\)"),
])
def test_gradient_descent_check_names_the_mistake(wrong, message):
    fails(check_gradient_descent, wrong, "4.1", message)


def test_gradient_descent_check_names_a_forgotten_tau():
    """Without τ the iterates blow up (caught as not finite) or, where they stay finite, are recognised."""
    forgot = descent_with(lambda X, y, theta, tau: theta - regression.gradient(X, y, theta))
    with pytest.raises(ExerciseError, match="Exercise 4.1: .*(ignores tau|contains NaN or infinity)"):
        check_gradient_descent(forgot)


# --- Exercise 4.2: the largest stable step size ---------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda X: 2 / np.linalg.eigvalsh(regression.hessian(X))[-1],
    lambda X: 1 / np.linalg.svd(np.hstack([X, np.ones((len(X), 1))]), compute_uv=False)[0] ** 2,
    lambda X: np.float64(2 / np.max(np.linalg.eigvals(regression.hessian(X)).real)),
])
def test_largest_stable_tau_check_accepts_right_answers(right, capsys, verdict):
    check_largest_stable_tau(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.2: τ* = 2/λ_max")
    for seed in OTHER_SEEDS:
        assert verdict(check_largest_stable_tau, {"largest_stable_tau": right}, seed).passed


def no_bias(X):
    return np.linalg.eigvalsh(2 * X.T @ X)[-1]


@pytest.mark.parametrize("wrong, message", [
    (lambda X: None, "returned None"),
    (lambda X: (eigenvalues(X)[-1], 2 / eigenvalues(X)[-1]), "returned 2 values: return the step size alone"),
    (lambda X: 1 / eigenvalues(X)[-1], "is safe, but not the largest: longer steps still lower E"),
    (lambda X: 2 / (eigenvalues(X)[-1] + eigenvalues(X)[0]), "balances the steepest and the flattest"),
    (lambda X: 2 / eigenvalues(X)[0], "is set by the flattest direction"),
    (lambda X: 1 / eigenvalues(X)[0], "is set by the flattest direction"),
    (lambda X: 4 / eigenvalues(X)[-1], "eigenvalues of AᵀA rather than of the Hessian"),
    (lambda X: 2 / no_bias(X), "misses the bias"),
    (lambda X: 2 / np.sqrt(eigenvalues(X)[-1]), "square root of an eigenvalue"),
    (lambda X: 2 / np.linalg.svd(np.hstack([X, np.ones((len(X), 1))]), compute_uv=False)[0], "singular value of A"),
    (lambda X: eigenvalues(X)[-1], "is the largest curvature itself, not a step size"),
    (lambda X: 2 / eigenvalues(X).sum(), "only the largest eigenvalue limits τ"),
    (lambda X: 3 / eigenvalues(X)[-1], "but for this X the largest τ that lowers E from every θ is"),
    (lambda X: np.array([2 / eigenvalues(X)[-1]] * 2), "should return one number"),
    (lambda X: "2/λ_max", "returned the text"),
])
def test_largest_stable_tau_check_names_the_mistake(wrong, message):
    fails(check_largest_stable_tau, wrong, "4.2", message)


def test_a_step_size_hard_coded_for_the_wine_data_fails():
    wine = mlp.data.load_wine_quality()
    X, *_ = mlp.data.standardize(wine.X)
    wine_tau = convergence.stable_step_bound(X)  # one number, written into the answer
    fails(check_largest_stable_tau, lambda _: wine_tau, "4.2", "largest_stable_tau")


# --- Exercise 4.3: the factor per step ------------------------------------------------------------

def right_factor(X, tau):
    values = np.linalg.eigvalsh(regression.hessian(X))
    return max(abs(1 - tau * values[0]), abs(1 - tau * values[-1]))


@pytest.mark.parametrize("right", [
    right_factor,
    lambda X, tau: np.linalg.norm(np.eye(X.shape[1] + 1) - tau * regression.hessian(X), 2),
    lambda X, tau: float(np.max(np.abs(1 - tau * np.linalg.eigvalsh(regression.hessian(X))))),
])
def test_factor_per_step_check_accepts_right_answers(right, capsys, verdict):
    check_factor_per_step(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.3: ρ(τ) = max(|1 − τλ_min|, |1 − τλ_max|)")
    for seed in OTHER_SEEDS:
        assert verdict(check_factor_per_step, {"factor_per_step": right}, seed).passed


def factors(X, tau, values=eigenvalues):
    return 1 - tau * values(X)


@pytest.mark.parametrize("wrong, message", [
    (lambda X, tau: None, "returned None"),
    (lambda X, tau: np.abs(factors(X, tau)), "returned . numbers, one per direction"),
    (lambda X, tau: abs(factors(X, tau)[-1]), "steepest direction only: for this smaller τ"),
    (lambda X, tau: factors(X, tau)[-1], "steepest direction only: for this smaller τ"),
    (lambda X, tau: abs(factors(X, tau)[0]), "flattest direction only: for this larger τ"),
    (lambda X, tau: np.max(factors(X, tau)), "flattest direction only: for this larger τ .*\\(a negative factor\\)"),
    (lambda X, tau: np.max(np.abs(factors(X, tau, lambda X: eigenvalues(X) / 2))), "eigenvalues of AᵀA"),
    (lambda X, tau: np.max(np.abs(factors(X, tau, lambda X: np.linalg.eigvalsh(2 * X.T @ X)))), "misses the bias"),
    (lambda X, tau: right_factor(X, tau) ** 2, "is the square of the factor"),
    (lambda X, tau: 0.5, "write θ\\(k\\+1\\) − θ̂ in terms of θ\\(k\\) − θ̂"),
])
def test_factor_per_step_check_names_the_mistake(wrong, message):
    fails(check_factor_per_step, wrong, "4.3", message)


# --- Exercise 4.4: divergence, by running ---------------------------------------------------------

def diverges_with(loss=lambda: mlp.SquaredError(), num_steps=1000, catch=True, answer=None, when_cost_grew=False):
    def diverges(X, y, tau):
        model = mlp.Linear(X.shape[1], 1, rng=0)
        try:
            history = mlp.train(model, loss(), X, y.reshape(-1, 1), step_size=tau, num_steps=num_steps, progress=False)
        except mlp.DivergenceError:
            if not catch:
                raise
            return True if answer is None else answer
        if when_cost_grew:
            return bool(history.costs[-1] > history.costs[0])
        return False if answer is None else answer
    return diverges


def predicted(X, y, tau):
    return bool(tau > 2 / eigenvalues(X)[-1])


def test_diverges_check_accepts_the_right_answer(capsys, verdict):
    check_diverges(diverges_with())
    assert capsys.readouterr().out.startswith("✔ Exercise 4.4: mlp.train stops with a DivergenceError")
    for seed in OTHER_SEEDS:
        assert verdict(check_diverges, {"diverges": diverges_with()}, seed).passed


def test_diverges_check_accepts_another_start_and_the_sum_spelled_out():
    def diverges(X, y, tau):
        model = mlp.Linear(X.shape[1], 1, rng=42)
        try:
            mlp.train(model, mlp.SquaredError("sum"), X, y[:, None], step_size=tau, num_steps=1000, progress=False)
            return False
        except mlp.DivergenceError:
            return True
    check_diverges(diverges)


@pytest.mark.parametrize("wrong, message", [
    (diverges_with(loss=lambda: mlp.SquaredError("mean")), 'did you use SquaredError\\("mean"\\)\\? It divides E'),
    (diverges_with(catch=False), "the DivergenceError escaped from diverges: catch it"),
    (diverges_with(num_steps=40), "did you run all 1,000 steps"),
    (diverges_with(num_steps=100), "after more than 100: did you run all 1,000 steps"),
    (diverges_with(answer=True), "there mlp.train runs all 1,000 steps without a DivergenceError: return True only"),
    (diverges_with(when_cost_grew=True), "runs all 1,000 steps without a DivergenceError \\(the cost grows, but too "
                                         "slowly to trip its alarm\\): return True only when mlp.train raised"),
    (predicted, "runs all 1,000 steps without a DivergenceError \\(the cost grows"),
    (lambda X, y, tau: bool(tau > convergence.stable_step_bound(X)),
     "uses mlp.convergence: the point is to run mlp.train and report whether it raised DivergenceError"),
    (lambda X, y, tau: "yes", "should return True or False"),
    (lambda X, y, tau: None, "returned None"),
])
def test_diverges_check_names_the_mistake(wrong, message):
    fails(check_diverges, wrong, "4.4", message)


def test_a_students_own_error_in_diverges_is_shown_as_theirs(verdict):
    def diverges(X, y, tau):  # the targets left as (N,): SquaredError asks for (N, 1)
        mlp.train(mlp.Linear(X.shape[1], 1, rng=0), mlp.SquaredError(), X, y, step_size=tau, num_steps=10, progress=False)
        return False
    result = verdict(check_diverges, {"diverges": diverges})
    assert result.status == "failed" and "raised ValueError" in result.message
    assert "mlp.train(" in result.details


# --- Exercise 4.5: how many steps ----------------------------------------------------------------

def right_steps(X, tau, shrink):
    return int(np.ceil(np.log(shrink) / np.log(right_factor(X, tau))))


def test_steps_needed_check_accepts_the_right_answer(capsys, verdict):
    check_steps_needed(right_steps)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.5: k = ⌈ln(shrink) / ln ρ(τ)⌉")
    for seed in OTHER_SEEDS:
        assert verdict(check_steps_needed, {"steps_needed": right_steps}, seed).passed


@pytest.mark.parametrize("whole", [float, np.float64, lambda k: np.ceil(np.float64(k))])
def test_steps_needed_check_accepts_a_whole_number_as_a_float(whole, capsys):
    check_steps_needed(lambda X, tau, shrink: whole(right_steps(X, tau, shrink)))
    assert capsys.readouterr().out.startswith("✔ Exercise 4.5")


def test_steps_needed_check_accepts_counting_step_by_step():
    def steps_needed(X, tau, shrink):
        k, left = 0, 1.0
        while left > shrink:
            k, left = k + 1, left * right_factor(X, tau)
        return k
    check_steps_needed(steps_needed)


def count(rho, shrink, power=1):
    return int(np.ceil(np.log(shrink) / (power * np.log(rho))))


@pytest.mark.parametrize("wrong, message", [
    (lambda X, tau, shrink: None, "returned None"),
    (lambda X, tau, shrink: right_steps(X, tau, shrink) - 0.5, "should return a whole number"),
    (lambda X, tau, shrink: int(np.floor(np.log(shrink) / np.log(right_factor(X, tau)))), "is one step short"),
    (lambda X, tau, shrink: count(right_factor(X, tau), shrink, power=2), "is the count for E − E\\(θ̂\\)"),
    (lambda X, tau, shrink: count(abs(1 - tau * eigenvalues(X)[-1]), shrink), "steepest direction only"),
    (lambda X, tau, shrink: count(abs(1 - tau * eigenvalues(X)[0]), shrink), "flattest direction only"),
    (lambda X, tau, shrink: count(np.max(np.abs(1 - tau * eigenvalues(X) / 2)), shrink), "eigenvalues of AᵀA"),
    (lambda X, tau, shrink: 3 * right_steps(X, tau, shrink), "steps are needed: after k steps the distance"),
])
def test_steps_needed_check_names_the_mistake(wrong, message):
    fails(check_steps_needed, wrong, "4.5", message)


# --- the scoreboard, and slips on many seeds ----------------------------------------------------------

CHECKS = [check_gradient_descent, check_largest_stable_tau, check_factor_per_step, check_diverges, check_steps_needed]
RIGHT = {"4.1": right_descent, "4.2": lambda X: 2 / eigenvalues(X)[-1], "4.3": right_factor,
         "4.4": diverges_with(), "4.5": right_steps}


def test_the_scoreboard_counts_the_solved_exercises(capsys):
    for check in CHECKS:
        check(RIGHT[check.number])
    capsys.readouterr()
    scoreboard()
    assert capsys.readouterr().out.startswith("5 of 5 solved: 4.1 ✔  4.2 ✔  4.3 ✔  4.4 ✔  4.5 ✔")


@pytest.mark.parametrize("seed", range(10))
def test_known_slips_fail_on_many_seeds(seed, verdict):
    """The fresh problems never let a slip pass (e.g. by a tie between two directions)."""
    one_short = verdict(check_steps_needed, {"steps_needed": lambda X, t, s: right_steps(X, t, s) - 1}, seed)
    assert "is one step short" in one_short.message
    mean = verdict(check_diverges, {"diverges": diverges_with(loss=lambda: mlp.SquaredError("mean"))}, seed)
    assert 'SquaredError("mean")' in mean.message


# --- delegation: the parts of mlp that are an exercise's answer are named in one line -----------------

@pytest.mark.parametrize("check, wrong, used", [
    (check_gradient_descent, lambda X, y, tau, n: convergence.regression_trajectory(X, y, tau, n),
     "mlp.convergence.regression_trajectory"),
    (check_largest_stable_tau, lambda X: convergence.stable_step_bound(X), "mlp.convergence.stable_step_bound"),
    (check_largest_stable_tau, lambda X: 2 / convergence.lambda_max(X), "mlp.convergence.lambda_max"),
    (check_factor_per_step, lambda X, tau: convergence.contraction_factor(X, tau), "mlp.convergence.contraction_factor"),
    (check_steps_needed, lambda X, tau, shrink: convergence.steps_needed(X, tau, shrink), "mlp.convergence.steps_needed"),
])
def test_an_answer_that_calls_mlps_own_code_is_told_so(check, wrong, used):
    told = f"Exercise {check.number}: Exercise {check.number} uses {used}: the point is to {check.task}."
    with pytest.raises(ExerciseError, match="^" + re.escape(told) + "$"):
        check(wrong)
