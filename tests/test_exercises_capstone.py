"""The checks of notebook 06 accept right answers and name the typical mistakes in wrong ones."""
import copy

import numpy as np
import pytest

import mlp
from mlp.exercises import ExerciseError
from mlp.exercises.capstone import check_pick_step_size, check_train_loop


# --- Exercise 6.1: a training loop from forward, loss, backward and step ------------------------

def make_loop(reduction="mean", record_last=True, record_after=False, direction=1.0, step=True,
              recompute=True, extra_step=False, tau_factor=1.0, fresh_model=False, on_copy=False):
    """A training loop with one mistake switched on by a keyword (all defaults: a right loop)."""
    def train_loop(model, X, y, step_size, num_steps):
        if fresh_model:
            model = mlp.fully_connected([X.shape[1], 4, 1], rng=0)
        if on_copy:
            model = copy.deepcopy(model)
        loss = mlp.SquaredError(reduction)
        costs = []
        cost = loss.forward(model.forward(X), y)
        for _ in range(num_steps + extra_step):
            if recompute:
                cost = loss.forward(model.forward(X), y)
            if not record_after:
                costs.append(cost)
            model.backward(loss.backward())
            if step:
                for name, theta in model.params.items():
                    theta -= direction * tau_factor * step_size * model.grads[name]
            if record_after:
                costs.append(loss.forward(model.forward(X), y))
        if record_last and not record_after and not extra_step:
            costs.append(loss.forward(model.forward(X), y))
        return costs
    return train_loop


def right_with_optimizer(model, X, y, step_size, num_steps):
    loss, optimizer = mlp.SquaredError("mean"), mlp.GradientDescent(step_size)
    costs = []
    for _ in range(num_steps):
        costs.append(loss(model(X), y))
        model.backward(loss.backward())
        optimizer.step(model)
    return np.array(costs + [loss(model(X), y)])


def changes_X(model, X, y, step_size, num_steps):
    X -= X.mean(axis=0)
    return make_loop()(model, X, y, step_size, num_steps)


@pytest.mark.parametrize("right", [make_loop(), right_with_optimizer])
def test_train_loop_check_accepts_right_loops(right, capsys):
    check_train_loop(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 6.1: your loop")


@pytest.mark.parametrize("wrong, message", [
    (lambda *args: None, "returned None"),
    (make_loop(record_last=False), "the last one is missing"),
    (make_loop(record_after=True), "start with E(θ(0))"),
    (make_loop(reduction="sum"), "summed squared error"),
    (make_loop(step=False), "left the model's parameters unchanged"),
    (make_loop(fresh_model=True), "with the model you were given"),
    (make_loop(on_copy=True), "on the model you were given"),
    (make_loop(recompute=False), "the same cost"),
    (make_loop(direction=-1.0), "θ ← θ − τ ∇E(θ)"),
    (make_loop(tau_factor=2.0), "the costs from train_loop"),
    (make_loop(extra_step=True), "exactly num_steps steps"),
    (changes_X, "changed X"),
])
def test_train_loop_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match="Exercise 6.1") as error:
        check_train_loop(wrong)
    assert message in str(error.value)


# --- Exercise 6.2: the largest step size that reaches a target -----------------------------------

def outcome(sizes, X, y, tau, num_steps):
    try:
        history = mlp.train(mlp.fully_connected(sizes, rng=0), mlp.SquaredError("mean"), X, y, tau, num_steps, progress=False)
    except mlp.DivergenceError:
        return None
    return history.costs[-1]


def right_pick(sizes, X, y, candidates, num_steps, target):
    for tau in sorted(candidates, reverse=True):
        cost = outcome(sizes, X, y, tau, num_steps)
        if cost is not None and cost <= target:
            return tau
    return None


def largest_not_diverging(sizes, X, y, candidates, num_steps, target):
    return next((t for t in sorted(candidates, reverse=True) if outcome(sizes, X, y, t, num_steps) is not None), None)


def first_in_given_order(sizes, X, y, candidates, num_steps, target):
    return next((t for t in candidates if (c := outcome(sizes, X, y, t, num_steps)) is not None and c <= target), None)


def uncaught(sizes, X, y, candidates, num_steps, target):
    for tau in sorted(candidates, reverse=True):
        history = mlp.train(mlp.fully_connected(sizes, rng=0), mlp.SquaredError("mean"), X, y, tau, num_steps, progress=False)
        if history.costs[-1] <= target:
            return tau
    return None


def test_pick_step_size_check_accepts_the_right_answer(capsys):
    check_pick_step_size(right_pick)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 6.2: pick_step_size returns the largest τ")


@pytest.mark.parametrize("wrong, message", [
    (lambda sizes, X, y, candidates, *rest: max(candidates), "diverges"),
    (largest_not_diverging, "Not diverging is not enough"),
    (first_in_given_order, "works too: try the candidates from the largest down"),
    (lambda *args: None, "returned None, but τ ="),
    (lambda *args: "0.1", "return one of the candidates"),
    (lambda *args: 0.123, "return one of the candidates"),
    (uncaught, "let mlp.DivergenceError escape"),
])
def test_pick_step_size_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match="Exercise 6.2") as error:
        check_pick_step_size(wrong)
    assert message in str(error.value)
