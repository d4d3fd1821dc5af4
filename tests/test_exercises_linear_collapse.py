"""The checks of notebook 02 accept right answers, explain typical wrong ones in the student's own names
on every seed, and say so when an answer calls mlp's own implementation. What every exercise must
satisfy is in tests/test_every_exercise.py."""
import importlib
import re

import numpy as np
import pytest

import mlp
from mlp.collapse import collapse
from mlp.exercises import ExerciseError
from mlp.exercises.core import InProcess
from mlp.exercises.linear_collapse import check_best_stack_cost, check_collapse_stack, check_max_rank


def layers_of(stack):
    return [(layer.params["weight"], layer.params["bias"]) for layer in stack.layers]


# --- Exercise 2.1: collapse_stack ---------------------------------------------------------------

def loop(stack):
    n = stack.layers[0].n_in
    W, b = np.eye(n), np.zeros(n)
    for theta_w, theta_b in layers_of(stack):
        W, b = theta_w @ W, theta_w @ b + theta_b
    return W, b


def expanded(stack):
    """The closed form: W = θ_w^L ⋯ θ_w^1, b = Σ_i θ_w^L ⋯ θ_w^{i+1} θ_b^i, as a list [W, b]."""
    pairs = layers_of(stack)
    W = pairs[0][0]
    for theta_w, _ in pairs[1:]:
        W = theta_w @ W
    b = 0
    for i, (_, theta_b) in enumerate(pairs):
        for theta_w, _ in pairs[i + 1:]:
            theta_b = theta_w @ theta_b
        b = b + theta_b
    return [W, b]


@pytest.mark.parametrize("right", [loop, expanded])
def test_collapse_stack_accepts_right_answers(right, capsys):
    check_collapse_stack(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 2.1: (W, b) reproduce every stack")


def wrong_order(stack):
    n = stack.layers[0].n_in
    W, b = np.eye(n), np.zeros(n)
    for theta_w, theta_b in layers_of(stack):
        W, b = W @ theta_w, theta_w @ b + theta_b
    return W, b


def summed_biases(stack):
    W, _ = loop(stack)
    return W, sum(theta_b for _, theta_b in layers_of(stack))


def last_bias_only(stack):
    return loop(stack)[0], layers_of(stack)[-1][1]


def first_bias_lost(stack):
    (theta_w, _), *rest = layers_of(stack)
    W, b = theta_w, np.zeros(theta_w.shape[0])
    for theta_w, theta_b in rest:
        W, b = theta_w @ W, theta_w @ b + theta_b
    return W, b


def transposed(stack):
    W, b = loop(stack)
    return W.T, b


def row_convention(stack):
    """W built for X @ W (inputs × outputs): the transpose again, found on a non-square stack."""
    W, b = loop(stack)
    return (W.T if W.shape[0] != W.shape[1] else W), b


def changes_the_bias_in_place(stack):
    W, b = loop(stack)
    stack.layers[-1].params["bias"] += 1.0
    return W, b


@pytest.mark.parametrize("wrong, message", [
    (wrong_order, "multiplies the weights in the wrong order: .*stack.layers\\[0\\]'s weight"),
    (summed_biases, "adds up the biases as they are"),
    (last_bias_only, "only the last layer's bias"),
    (first_bias_lost, "misses the first layer's bias"),
    (transposed, r"widths \[4, 4, 4, 4\] is the transpose of the stack's map"),
    (row_convention, r"has shape \(\d, \d\) = \(inputs, outputs\)"),
    (changes_the_bias_in_place, r"collapse_stack changed its input stack.layers\[\d\].params\['bias'\]"),
    (lambda stack: loop(stack)[0], r"should return 2 values, the pair \(W, b\)"),
    (lambda stack: (loop(stack)[0], None), "returned None"),
    (lambda stack: (2 * loop(stack)[0], loop(stack)[1]), "W for the widths .* is off at index"),
    (lambda stack: (loop(stack)[0], loop(stack)[1] + 1), "b for the widths .* is off"),
    (lambda stack: stack, "returned .*Sequential, not numbers"),
    (lambda stack: 1 / 0, "raised ZeroDivisionError"),
])
def test_collapse_stack_explains_wrong_answers_in_the_students_names(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 2.1: .*{message}") as raised:
        check_collapse_stack(wrong)
    assert "collapse(stack)" not in str(raised.value)


def test_a_transposed_square_W_is_not_told_a_shape_it_already_has():
    with pytest.raises(ExerciseError) as raised:
        check_collapse_stack(transposed)
    assert "should have shape" not in str(raised.value)


# --- Exercise 2.2: best_stack_cost ---------------------------------------------------------------

def best_cost(X, y):
    return mlp.regression.cost(X, y, mlp.regression.fit_least_squares(X, y)) / len(X)


def test_best_stack_cost_accepts_least_squares(capsys):
    check_best_stack_cost(best_cost)
    wine = mlp.data.load_wine_quality()
    assert capsys.readouterr().out.startswith("✔ Exercise 2.2:")
    check_best_stack_cost(lambda X, y: float(np.mean((np.c_[X, np.ones(len(X))] @ np.linalg.lstsq(
        np.c_[X, np.ones(len(X))], y, rcond=None)[0] - y) ** 2)))
    assert f"{best_cost(wine.X, wine.y):.4f}" in capsys.readouterr().out


def no_bias(X, y):
    theta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return float(np.mean((X @ theta - y) ** 2))


@pytest.mark.parametrize("wrong, message", [
    (lambda X, y: best_cost(X, y) * len(X), "is the summed cost E; the question asks for the mean E/N"),
    (lambda X, y: np.sqrt(best_cost(X, y)), "square root of E/N"),
    (no_bias, "fit without a bias"),
    (lambda X, y: float(np.var(y)), "constant prediction"),
    (lambda X, y: 0.0, "below what any affine map reaches"),
    (lambda X, y: 1.5 * best_cost(X, y), "a stack can do better"),
    (lambda X, y: np.array([best_cost(X, y)] * 2), "should return one number"),
    (lambda X, y: None, "returned None"),
])
def test_best_stack_cost_explains_wrong_answers(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 2.2: best_stack_cost\\(X, y\\) .*{message}"):
        check_best_stack_cost(wrong)


# --- Exercise 2.3: max_rank ----------------------------------------------------------------------

@pytest.mark.parametrize("right", [min, lambda sizes: int(np.min(sizes)), lambda sizes: sorted(sizes)[0],
                                   lambda sizes: np.min(np.array(sizes, dtype=float)), lambda sizes: float(min(sizes))])
def test_max_rank_accepts_the_smallest_width(right, capsys):
    check_max_rank(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 2.3:")


@pytest.mark.parametrize("wrong, message", [
    (lambda sizes: min(sizes[1:-1]) if len(sizes) > 2 else min(sizes), "the narrowest hidden width; but the input and output"),
    (lambda sizes: min(sizes[1:]), "leaves out the input width"),
    (lambda sizes: min(sizes[:-1]) if len(sizes) > 2 else min(sizes), "leaves out the output width"),
    (max, "no product of weights of these shapes reaches that rank"),
    (lambda sizes: 1, "random weights of these shapes already give W a higher rank"),
    (lambda sizes: min(sizes) + 0.5, "should return a whole number"),
    (lambda sizes: None, "returned None"),
])
def test_max_rank_explains_wrong_answers_in_the_students_names(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 2.3: max_rank\\(\\[.*{message}") as raised:
        check_max_rank(wrong)
    assert "rank_bound" not in str(raised.value)


# --- every named slip is told on every seed -------------------------------------------------------

SLIPS = [
    (check_collapse_stack, "collapse_stack", wrong_order, "multiplies the weights in the wrong order"),
    (check_collapse_stack, "collapse_stack", summed_biases, "adds up the biases as they are"),
    (check_collapse_stack, "collapse_stack", last_bias_only, "only the last layer's bias"),
    (check_collapse_stack, "collapse_stack", first_bias_lost, "misses the first layer's bias"),
    (check_collapse_stack, "collapse_stack", transposed, "is the transpose of the stack's map"),
    (check_best_stack_cost, "best_stack_cost", lambda X, y: best_cost(X, y) * len(X), "is the summed cost E"),
    (check_best_stack_cost, "best_stack_cost", no_bias, "fit without a bias"),
    (check_best_stack_cost, "best_stack_cost", lambda X, y: float(np.var(y)), "constant prediction"),
    (check_max_rank, "max_rank", lambda sizes: min(sizes[1:-1]) if len(sizes) > 2 else min(sizes),
     "the narrowest hidden width"),
    (check_max_rank, "max_rank", lambda sizes: min(sizes[1:]), "leaves out the input width"),
    (check_max_rank, "max_rank", max, "no product of weights of these shapes reaches that rank"),
]


@pytest.mark.parametrize("check, name, wrong, message", SLIPS)
def test_each_named_slip_is_told_on_every_seed(check, name, wrong, message, verdict):
    for seed in range(25):
        got = verdict(check, {name: wrong}, seed)
        assert got.status == "failed" and message in got.message, (seed, got.message)


# --- calling mlp's own implementation is seen ------------------------------------------------------

def probing(stack):
    """(W, b) read off the stack's own forward pass at 0 and at the unit vectors: no composition by hand."""
    n_0 = stack.layers[0].n_in
    b = stack.forward(np.zeros((1, n_0)))[0]
    return (stack.forward(np.eye(n_0)) - b).T, b


@pytest.mark.parametrize("check, delegating, used", [
    (check_collapse_stack, collapse, "mlp.collapse.collapse"),
    (check_collapse_stack, lambda stack: importlib.import_module("mlp.collapse").collapse(stack.layers),
     "mlp.collapse.collapse"),
    (check_collapse_stack, probing, "mlp.layers.Linear._forward"),
    (check_max_rank, lambda sizes: importlib.import_module("mlp.collapse").rank_bound(sizes), "mlp.collapse.rank_bound"),
])
def test_an_answer_that_calls_mlps_own_implementation_is_told_so(check, delegating, used):
    with pytest.raises(ExerciseError, match=re.escape(f"Exercise {check.number} uses {used}: the point is to {check.task}")):
        check(delegating)


def test_probing_the_stack_is_otherwise_right(verdict):
    """The probe would pass as a value: only the watcher tells it apart, which is why Linear._forward is an answer."""
    assert verdict(check_collapse_stack, {"collapse_stack": probing}).status == "failed"
    assert check_collapse_stack.check(InProcess({"collapse_stack": probing})).passed
