"""The checks of notebook 01 accept right answers, name the typical mistakes in wrong ones on every
seed, and say so when an answer calls mlp's own implementation. What every exercise must satisfy is in
tests/test_every_exercise.py."""
import importlib
import re

import numpy as np
import pytest

import mlp
from mlp.exercises import ExerciseError
from mlp.exercises.linear_regression import (
    check_cost, check_design_matrix, check_gradient, check_predicted_change, check_solve_normal_equations,
)


def ones(X):
    return np.ones((len(X), 1))


@pytest.mark.parametrize("check, name", [
    (check_design_matrix, "design_matrix"), (check_cost, "cost"), (check_gradient, "gradient"),
    (check_solve_normal_equations, "solve_normal_equations"), (check_predicted_change, "predicted_change"),
])
def test_no_check_docstring_states_the_formula_to_type_in(check, name):
    """A student can read a check's docstring (check_cost?): it says what is checked, not the answer."""
    for formula in ["‖Aθ − y‖", "2Aᵀ", "AᵀA", "Aᵀy", "θ_i · Δ", "[X, 1]"]:
        assert formula not in (check.__doc__ or "")


# --- Exercise 1.1: the design matrix A = [X, 1] ---------------------------------------------

@pytest.mark.parametrize("right", [
    lambda X: np.hstack([X, ones(X)]),
    lambda X: np.column_stack([X, np.ones(len(X))]),
    lambda X: np.c_[X, np.ones(X.shape[0])].tolist(),
])
def test_design_matrix_check_accepts_right_answers(right, capsys):
    check_design_matrix(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 1.1: A = [X, 1]")


def _in_place(X):
    X[:, 0] = 1
    return np.hstack([X, ones(X)])


@pytest.mark.parametrize("wrong, message", [
    (lambda X: None, "returned None"),
    (lambda X: X, "the column for the bias is missing"),
    (lambda X: np.hstack([X, ones(X), ones(X)]), "two columns more than X"),
    (lambda X: np.hstack([X, ones(X)]).T, "looks transposed"),
    (lambda X: np.hstack([ones(X), X]), "the column of ones comes first"),
    (lambda X: np.hstack([X, np.zeros((len(X), 1))]), "last column of A should be all ones"),
    (lambda X: np.hstack([X * 2, ones(X)]), "first d columns of A are X itself"),
    (lambda X: np.hstack([X[:, :3], ones(X)]), "should have shape"),
    (_in_place, "changed its input X"),
])
def test_design_matrix_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 1.1: .*({message})"):
        check_design_matrix(wrong)


# --- Exercise 1.2: the training cost E(θ) ----------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda A, y, theta: np.sum((A @ theta - y) ** 2),
    lambda A, y, theta: float(np.linalg.norm(A @ theta - y) ** 2),
    lambda A, y, theta: (A @ theta - y) @ (A @ theta - y),
    lambda A, y, theta: sum((A[j] @ theta - y[j]) ** 2 for j in range(len(y))),
])
def test_cost_check_accepts_right_answers(right, capsys):
    check_cost(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 1.2: E(θ) = ‖Aθ − y‖²")


@pytest.mark.parametrize("wrong, message", [
    (lambda A, y, theta: np.mean((A @ theta - y) ** 2), "mean of the squared errors"),
    (lambda A, y, theta: 0.5 * np.sum((A @ theta - y) ** 2), "half of E"),
    (lambda A, y, theta: np.linalg.norm(A @ theta - y), "length of the vector of errors, without its square"),
    (lambda A, y, theta: np.sum(A @ theta - y), "adds up the errors without squaring them"),
    (lambda A, y, theta: np.sum(A @ theta - y) ** 2, "squares the sum of the errors"),
    (lambda A, y, theta: np.sum(np.abs(A @ theta - y)), "sizes of the errors"),
    (lambda A, y, theta: (A @ theta - y) ** 2, "one number per sample"),
    (lambda A, y, theta: np.sum((A @ theta + y) ** 2), "adds the targets to the predictions"),
    (lambda A, y, theta: np.sum((A @ theta - y) ** 4), "returned .*, expected .*: write down one sample's error"),
    (lambda A, y, theta: None, "returned None"),
])
def test_cost_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 1.2: .*({message})"):
        check_cost(wrong)


# --- Exercise 1.3: the gradient ∇E(θ) ---------------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda A, y, theta: 2 * A.T @ (A @ theta - y),
    lambda A, y, theta: 2 * (A.T @ A @ theta - A.T @ y),
    lambda A, y, theta: 2 * (A @ theta - y) @ A,
])
def test_gradient_check_accepts_right_answers(right, capsys):
    check_gradient(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 1.3: ∇E(θ) is right")


@pytest.mark.parametrize("wrong, message", [
    (lambda A, y, theta: A.T @ (A @ theta - y), "the factor 2 is missing"),
    (lambda A, y, theta: 2 * A.T @ (y - A @ theta), "the sign is wrong: "),
    (lambda A, y, theta: A.T @ (y - A @ theta), "the sign is wrong and the factor 2 is missing"),
    (lambda A, y, theta: 2 * A.T @ (A @ theta - y) / len(y), "divided by N"),
    (lambda A, y, theta: A.T @ (A @ theta - y) / len(y), "divided by 2N"),
    (lambda A, y, theta: 2 * (A @ theta - y), "one entry per sample"),
    (lambda A, y, theta: (2 * A.T @ (A @ theta - y)).reshape(-1, 1), "return a flat vector"),
    (lambda A, y, theta: 2 * A.T @ (A @ theta), "does not depend on the targets y"),
    (lambda A, y, theta: 2 * A.T @ (A @ theta - y) + theta, r"is off in entry \d \(theta\[\d\]\)"),
    (lambda A, y, theta: None, "returned None"),
])
def test_gradient_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 1.3: .*({message})"):
        check_gradient(wrong)


def test_gradient_check_rejects_a_gradient_that_does_not_vanish_at_the_minimiser():
    """Right on the small test problems, but not on the wine data: the final check must catch it."""
    def gradient(A, y, theta):
        g = 2 * A.T @ (A @ theta - y)
        return g + 1.0 if len(y) > 100 else g
    with pytest.raises(ExerciseError, match=r"Exercise 1.3: on the wine data ‖∇E\(θ̂\)‖ / ‖∇E\(0\)‖ = .* should vanish"):
        check_gradient(gradient)


# --- Exercise 1.4: the normal equations -----------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda A, y: np.linalg.solve(A.T @ A, A.T @ y),
    lambda A, y: np.linalg.inv(A.T @ A) @ A.T @ y,
    lambda A, y: np.linalg.lstsq(A, y, rcond=None)[0],
    lambda A, y: np.linalg.solve(2 * A.T @ A, 2 * A.T @ y),
])
def test_normal_equations_check_accepts_right_answers(right, capsys):
    check_solve_normal_equations(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 1.4: θ̂ solves AᵀA θ̂ = Aᵀy")


@pytest.mark.parametrize("wrong, message", [
    (lambda A, y: np.linalg.lstsq(A, y, rcond=None), "returned a tuple"),
    (lambda A, y: A @ np.linalg.solve(A.T @ A, A.T @ y), "one entry per sample"),
    (lambda A, y: np.linalg.solve(A.T @ A, A.T @ y.reshape(-1, 1)), "return a flat vector"),
    (lambda A, y: -np.linalg.solve(A.T @ A, A.T @ y), "wrong sign"),
    (lambda A, y: np.linalg.solve(A.T @ A, 2 * A.T @ y), "is twice the θ at which ∇E vanishes"),
    (lambda A, y: np.linalg.solve(2 * A.T @ A, A.T @ y), "is half the θ at which ∇E vanishes"),
    (lambda A, y: A.T @ y, r"the gradient does not vanish \(‖∇E\(θ\)‖ / ‖∇E\(0\)‖ = "),
    (lambda A, y: np.linalg.solve(A.T @ A, A.T @ y)[:-1], "should have shape"),
    (lambda A, y: None, "returned None"),
])
def test_normal_equations_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 1.4: .*({message})"):
        check_solve_normal_equations(wrong)


def test_normal_equations_check_rejects_changing_the_inputs():
    def solve(A, y):
        theta = np.linalg.solve(A.T @ A, A.T @ y)
        y -= A @ theta
        return theta
    with pytest.raises(ExerciseError, match="changed its input y"):
        check_solve_normal_equations(solve)


def test_normal_equations_messages_do_not_state_the_system():
    with pytest.raises(ExerciseError) as raised:
        check_solve_normal_equations(lambda A, y: A.T @ y)
    assert "AᵀA" not in str(raised.value) and "Aᵀy" not in str(raised.value)


# --- Exercise 1.5: interpreting a coefficient -----------------------------------------------

def test_predicted_change_check_accepts_the_right_answer_and_reports_the_alcohol_weight(capsys):
    check_predicted_change(lambda theta, i, delta: theta[i] * delta)
    out = capsys.readouterr().out
    wine = mlp.data.load_wine_quality()
    weight = mlp.regression.fit_least_squares(wine.X, wine.y)[10]
    assert out.startswith("✔ Exercise 1.5:") and f"by {weight:.3f} quality points" in out


def test_predicted_change_check_accepts_a_difference_of_predictions():
    def predicted_change(theta, i, delta):
        x = np.full((1, len(theta) - 1), 7.0)
        x_moved = x.copy()
        x_moved[0, i] += delta
        return (x_moved @ theta[:-1] - x @ theta[:-1])[0]
    check_predicted_change(predicted_change)


@pytest.mark.parametrize("wrong, message", [
    (lambda theta, i, delta: theta[i + 1] * delta, r"used theta\[1\]: numpy counts from 0"),
    (lambda theta, i, delta: theta[-1] * delta, r"used theta\[-1\], which is the bias"),
    (lambda theta, i, delta: -theta[i] * delta, "wrong sign"),
    (lambda theta, i, delta: theta[i], "ignores delta"),
    (lambda theta, i, delta: theta[i] * delta + theta[-1], "includes the bias"),
    (lambda theta, i, delta: theta * delta, "should return one number"),
    (lambda theta, i, delta: None, "returned None"),
    (lambda theta, i, delta: theta[i] * delta ** 2, r"returned -?[0-9.]+; write out N\(x \+ Δ e_i; θ\) − N\(x; θ\)"),
    (lambda theta, i, delta: theta[i] * delta if len(theta) == 6 else theta[0] * delta,
     r"predicted_change\(theta_all, 10, 1.0\) returned .*which entry weighs feature 10"),
])
def test_predicted_change_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 1.5: .*({message})"):
        check_predicted_change(wrong)


# --- every named slip is told on every seed -------------------------------------------------------

SLIPS = [
    (check_design_matrix, "design_matrix", lambda X: X, "the column for the bias is missing"),
    (check_design_matrix, "design_matrix", lambda X: np.hstack([ones(X), X]), "the column of ones comes first"),
    (check_design_matrix, "design_matrix", lambda X: np.hstack([X, ones(X)]).T, "looks transposed"),
    (check_cost, "cost", lambda A, y, theta: np.mean((A @ theta - y) ** 2), "mean of the squared errors"),
    (check_cost, "cost", lambda A, y, theta: 0.5 * np.sum((A @ theta - y) ** 2), "half of E"),
    (check_cost, "cost", lambda A, y, theta: np.linalg.norm(A @ theta - y), "length of the vector of errors"),
    (check_cost, "cost", lambda A, y, theta: np.sum(A @ theta - y) ** 2, "squares the sum of the errors"),
    (check_gradient, "gradient", lambda A, y, theta: A.T @ (A @ theta - y), "the factor 2 is missing"),
    (check_gradient, "gradient", lambda A, y, theta: 2 * A.T @ (y - A @ theta), "the sign is wrong: "),
    (check_gradient, "gradient", lambda A, y, theta: 2 * A.T @ (A @ theta - y) / len(y), "divided by N"),
    (check_gradient, "gradient", lambda A, y, theta: 2 * A.T @ (A @ theta), "does not depend on the targets y"),
    (check_solve_normal_equations, "solve_normal_equations", lambda A, y: -np.linalg.solve(A.T @ A, A.T @ y),
     "wrong sign"),
    (check_solve_normal_equations, "solve_normal_equations", lambda A, y: np.linalg.solve(A.T @ A, 2 * A.T @ y),
     "is twice the θ"),
    (check_solve_normal_equations, "solve_normal_equations", lambda A, y: A.T @ y, "the gradient does not vanish"),
    (check_predicted_change, "predicted_change", lambda theta, i, delta: theta[i + 1] * delta, "numpy counts from 0"),
    (check_predicted_change, "predicted_change", lambda theta, i, delta: theta[-1] * delta, "which is the bias"),
    (check_predicted_change, "predicted_change", lambda theta, i, delta: -theta[i] * delta, "wrong sign"),
    (check_predicted_change, "predicted_change", lambda theta, i, delta: theta[i], "ignores delta"),
    (check_predicted_change, "predicted_change", lambda theta, i, delta: theta[i] * delta + theta[-1],
     "includes the bias"),
]


@pytest.mark.parametrize("check, name, wrong, message", SLIPS, ids=lambda v: getattr(v, "number", None))
def test_each_named_slip_is_told_on_every_seed(check, name, wrong, message, verdict):
    for seed in range(40):
        got = verdict(check, {name: wrong}, seed)
        assert got.status == "failed" and message in got.message, (seed, got.message)


# --- calling mlp's own implementation is seen ------------------------------------------------------

add_bias_column = mlp.regression.add_bias_column  # a function object copied before the check runs


@pytest.mark.parametrize("check, name, delegating, used", [
    (check_design_matrix, "design_matrix", lambda X: mlp.regression.add_bias_column(X),
     "mlp.regression.add_bias_column"),
    (check_design_matrix, "design_matrix", lambda X: add_bias_column(X), "mlp.regression.add_bias_column"),
    (check_cost, "cost", lambda A, y, theta: mlp.regression.cost(A[:, :-1], y, theta), "mlp.regression.cost"),
    (check_cost, "cost", lambda A, y, theta: mlp.SquaredError().forward((A @ theta)[:, None], y[:, None]),
     "mlp.losses.SquaredError"),
    (check_gradient, "gradient", lambda A, y, theta: importlib.import_module("mlp.regression").gradient(
        A[:, :-1], y, theta), "mlp.regression.gradient"),
    (check_solve_normal_equations, "solve_normal_equations",
     lambda A, y: mlp.regression.fit_least_squares(A[:, :-1], y), "mlp.regression.fit_least_squares"),
])
def test_an_answer_that_calls_mlps_own_implementation_is_told_so(check, name, delegating, used):
    with pytest.raises(ExerciseError, match=re.escape(f"Exercise {check.number} uses {used}: the point is to {check.task}")):
        check(delegating)


def test_a_difference_of_mlps_predictions_is_an_allowed_answer_to_1_5(capsys):
    check_predicted_change(lambda theta, i, delta: float(np.diff(mlp.regression.predict(
        np.outer([0.0, delta], np.eye(len(theta) - 1)[i]), theta))[0]))
    assert capsys.readouterr().out.startswith("✔ Exercise 1.5")


# --- float32, and shapes that do not fit -------------------------------------------------------------

def in_float32(function):
    return lambda *args: function(*(np.asarray(a, dtype=np.float32) for a in args))


@pytest.mark.parametrize("check, name, right", [
    (check_cost, "cost", lambda A, y, theta: np.float16(np.sum((A @ theta - y) ** 2))),
    (check_gradient, "gradient", in_float32(lambda A, y, theta: 2 * A.T @ (A @ theta - y))),
    (check_solve_normal_equations, "solve_normal_equations", in_float32(lambda A, y: np.linalg.solve(A.T @ A, A.T @ y))),
])
def test_a_right_answer_computed_in_float32_is_told_to_compute_in_float64(check, name, right):
    with pytest.raises(ExerciseError, match=r"returned float(16|32) numbers, .*Compute in float64") as raised:
        check(right)
    assert "set your gradient to zero" not in str(raised.value)


@pytest.mark.parametrize("check, name, wrong", [
    (check_cost, "cost", lambda A, y, theta: np.sum((A.T @ theta - y) ** 2)),
    (check_gradient, "gradient", lambda A, y, theta: 2 * A @ (A @ theta - y)),
    (check_solve_normal_equations, "solve_normal_equations", lambda A, y: np.linalg.solve(A.T @ A, y)),
    (check_solve_normal_equations, "solve_normal_equations", lambda A, y: np.linalg.solve(A @ A.T, A.T @ y)),
])
def test_a_shape_bug_is_told_with_the_shapes_of_the_inputs(check, name, wrong):
    with pytest.raises(ExerciseError, match=r"two shapes in your code do not fit together\. Here A has shape "
                                            r"\(\d+, \d\), y has shape \(\d+,\)") as raised:
        check(wrong)
    assert "gufunc" not in str(raised.value) and "operand" not in str(raised.value)
