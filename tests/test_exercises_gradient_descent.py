"""The checks of notebook 05 accept right answers and name the typical mistakes in wrong ones."""
import numpy as np
import pytest

import mlp
from mlp import convergence, regression
from mlp.exercises import ExerciseError
from mlp.exercises.gradient_descent import (
    check_diverges, check_every_step_lowers_E, check_gradient_step, check_predict_divergence, check_stability,
)


def fails(check, wrong, label, message):
    with pytest.raises(ExerciseError, match=f"^{label}: .*{message}"):
        check(wrong)


# --- Exercise 4.1 ---------------------------------------------------------------------------------

def right_step(X, y, theta, tau):
    A = np.hstack([X, np.ones((len(X), 1))])
    return theta - tau * 2 * A.T @ (A @ theta - y)


def in_place_step(X, y, theta, tau):
    theta -= tau * regression.gradient(X, y, theta)
    return theta


@pytest.mark.parametrize("right", [right_step, lambda X, y, theta, tau: theta - tau * regression.gradient(X, y, theta)])
def test_gradient_step_check_accepts_right_answers(right, capsys):
    check_gradient_step(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.1: θ(k+1) = θ(k) − τ∇E(θ(k))")


@pytest.mark.parametrize("wrong, message", [
    (lambda X, y, theta, tau: None, "returned None"),
    (lambda X, y, theta, tau: theta + tau * regression.gradient(X, y, theta), "moves uphill"),
    (lambda X, y, theta, tau: theta - regression.gradient(X, y, theta), "forgot the step size"),
    (lambda X, y, theta, tau: -tau * regression.gradient(X, y, theta), "returns the step −τ∇E\\(θ\\) alone"),
    (lambda X, y, theta, tau: theta - tau * regression.gradient(X, y, theta) / 2, "factor 2"),
    (lambda X, y, theta, tau: (theta - tau * regression.gradient(X, y, theta))[:-1], "has shape"),
    (in_place_step, "changed its input theta"),
    (lambda X, y, theta, tau: theta - tau * regression.gradient(X, y, theta) * 1.01, "is off at index"),
])
def test_gradient_step_check_names_the_mistake(wrong, message):
    fails(check_gradient_step, wrong, "Exercise 4.1", message)


# --- Exercise 4.2 ---------------------------------------------------------------------------------

def eigen(X):
    return np.linalg.eigvalsh(2 * regression.add_bias_column(X).T @ regression.add_bias_column(X))


def test_stability_check_accepts_right_answers(capsys):
    def right(X):
        L = np.linalg.eigvalsh(regression.hessian(X)).max()
        return L, 2 / L
    check_stability(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.2: L is the largest eigenvalue")


@pytest.mark.parametrize("wrong, message", [
    (lambda X: None, "returned None"),
    (lambda X: eigen(X)[-1], "should return two numbers"),
    (lambda X: (eigen(X)[-1] / 2, 4 / eigen(X)[-1]), "is half of L"),
    (lambda X: (eigen(X)[0], 2 / eigen(X)[0]), "is the smallest eigenvalue μ"),
    (lambda X: (np.linalg.eigvalsh(2 * X.T @ X)[-1], 1.0), "misses the bias"),
    (lambda X: (np.sqrt(eigen(X)[-1]), 1.0), "square root of L"),
    (lambda X: (eigen(X)[-1], 1 / eigen(X)[-1]), "1/L"),
    (lambda X: (eigen(X)[-1], 3 / eigen(X)[-1]), "should be 2/L"),
    (lambda X: (eigen(X)[-1] * 1.5, 1.0), "but the largest eigenvalue"),
])
def test_stability_check_names_the_mistake(wrong, message):
    fails(check_stability, wrong, "Exercise 4.2", message)


# --- Exercise 4.3 ---------------------------------------------------------------------------------

def test_predict_divergence_check_accepts_the_right_answer(capsys):
    check_predict_divergence(lambda X, taus: taus > convergence.stable_step_bound(X))
    assert capsys.readouterr().out.startswith("✔ Exercise 4.3")


@pytest.mark.parametrize("wrong, message", [
    (lambda X, taus: None, "returned None"),
    (lambda X, taus: taus < convergence.stable_step_bound(X), "wrong way round"),
    (lambda X, taus: taus > 1 / convergence.lambda_max(X), "above 1/L"),
    (lambda X, taus: (taus > convergence.stable_step_bound(X)).astype(int), "True/False"),
    (lambda X, taus: taus[:3] > convergence.stable_step_bound(X), "shape"),
    (lambda X, taus: taus > 3 / convergence.lambda_max(X), "compare each τ with 2/L"),
])
def test_predict_divergence_check_names_the_mistake(wrong, message):
    fails(check_predict_divergence, wrong, "Exercise 4.3", message)


# --- Exercise 4.4 ---------------------------------------------------------------------------------

def run(X, y, tau, num_steps=1000):
    model = mlp.Linear(X.shape[1], 1, rng=0)
    mlp.train(model, mlp.SquaredError(), X, y.reshape(-1, 1), step_size=tau, num_steps=num_steps, progress=False)


def right_diverges(X, y, tau):
    try:
        run(X, y, tau)
    except mlp.DivergenceError:
        return True
    return False


def test_diverges_check_accepts_the_right_answer(capsys):
    check_diverges(right_diverges)
    assert capsys.readouterr().out.startswith("✔ Exercise 4.4")


def uncaught(X, y, tau):
    run(X, y, tau)
    return False


def too_few_steps(X, y, tau):
    try:
        run(X, y, tau, num_steps=3)
    except mlp.DivergenceError:
        return True
    return False


def always_true(X, y, tau):
    try:
        run(X, y, tau)
    except mlp.DivergenceError:
        pass
    return True


@pytest.mark.parametrize("wrong, message", [
    (uncaught, "DivergenceError escaped"),
    (too_few_steps, "run enough steps"),
    (always_true, "it is below 2/L"),
    (lambda X, y, tau: "yes", "should return True or False"),
])
def test_diverges_check_names_the_mistake(wrong, message):
    fails(check_diverges, wrong, "Exercise 4.4", message)


# --- Exercise 4.5 ---------------------------------------------------------------------------------

def costs(X, y, tau, num_steps):
    return convergence.costs_along(X, y, convergence.gradient_descent(X, y, tau, num_steps))


def test_every_step_lowers_E_check_accepts_the_right_answer(capsys):
    check_every_step_lowers_E(lambda X, y, tau, n: bool(np.all(np.diff(costs(X, y, tau, n)) <= 0)))
    assert capsys.readouterr().out.startswith("✔ Exercise 4.5")


@pytest.mark.parametrize("wrong, message", [
    (lambda X, y, tau, n: bool(costs(X, y, tau, n)[-1] <= costs(X, y, tau, n)[0]), "compare every E"),
    (lambda X, y, tau, n: bool(np.all(np.diff(costs(X, y, tau, n)) >= 0)), "you answered False, but it is True"),
    (lambda X, y, tau, n: True, "compare every E"),
    (lambda X, y, tau, n: np.diff(costs(X, y, tau, n)) <= 0, "should return True or False"),
])
def test_every_step_lowers_E_check_names_the_mistake(wrong, message):
    fails(check_every_step_lowers_E, wrong, "Exercise 4.5", message)
