"""Notebook 07's exercise checks: right answers pass (on the notebook's seed and the grader's) and every
recognised slip gets its own message. What every exercise must satisfy is in tests/test_every_exercise.py."""
import numpy as np
import pytest

import mlp
from mlp import optim, regression
from mlp.exercises import ExerciseError
from mlp.exercises.sgd import (
    _engine, _sgd_setups, _variant, check_batch_gradient, check_gradient_evaluations, check_minibatch_sgd, scoreboard,
)

OTHER_SEEDS = [12345, 7, 2024]  # the grader's seeds differ from the notebook's


def fails(check, wrong, label, message):
    with pytest.raises(ExerciseError, match=f"^Exercise {label}: .*{message}"):
        check(wrong)


# --- Exercise 7.1: the minibatch gradient -----------------------------------------------------------

def right_batch_gradient(X, y, theta, batch):
    A = np.hstack([X[batch], np.ones((len(batch), 1))])
    return 2 * A.T @ (A @ theta - y[batch]) / len(batch)


def per_sample_mean(X, y, theta, batch):
    grads = [regression.gradient(X[[j]], y[[j]], theta) for j in batch]
    return list(np.mean(grads, axis=0))


@pytest.mark.parametrize("right", [right_batch_gradient, per_sample_mean])
def test_batch_gradient_check_accepts_right_answers(right, capsys, verdict):
    check_batch_gradient(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 7.1:")
    for seed in OTHER_SEEDS:
        assert verdict(check_batch_gradient, {"batch_gradient": right}, seed).passed


def full_gradient(X, y, theta, batch):
    return regression.gradient(X, y, theta)


def sorting_batch(X, y, theta, batch):
    batch.sort()
    return right_batch_gradient(X, y, theta, batch)


@pytest.mark.parametrize("wrong, message", [
    (lambda X, y, t, b: None, "returned None"),
    (lambda X, y, t, b: right_batch_gradient(X, y, t, b) * len(b), "times too large: that is the gradient of the sum"),
    (lambda X, y, t, b: right_batch_gradient(X, y, t, b) * len(b) / len(X), "divides by N"),
    (lambda X, y, t, b: full_gradient(X, y, t, b) / len(X), "mean over all N samples"),
    (full_gradient, "gradient over all N samples"),
    (lambda X, y, t, b: right_batch_gradient(X, y, t, b) / 2, "factor 2"),
    (lambda X, y, t, b: -right_batch_gradient(X, y, t, b), "points uphill"),
    (lambda X, y, t, b: right_batch_gradient(X, y, t, b)[:-1], "so the gradient has . entries, the bias last"),
    (sorting_batch, "changed its input batch"),
    (lambda X, y, t, b: right_batch_gradient(X, y, t, b) + 0.01, "is off in entry"),
])
def test_batch_gradient_check_names_the_mistake(wrong, message):
    fails(check_batch_gradient, wrong, "7.1", message)


# --- Exercise 7.2: minibatch SGD --------------------------------------------------------------------

def make_sgd(order="fresh", drop_last=False, loss_of=lambda loss: loss, full_batch=False, record="epoch",
             copy_params=False, first_cost=True):
    """A minibatch_sgd with one deliberate change (or none): the order rule, the last batch, the loss used for the
    steps, one full-batch step per epoch, what is recorded, a copy of the parameters stepped."""
    def minibatch_sgd(model, loss, X, y, tau, batch_size, epochs, rng):
        N, step_loss = len(X), loss_of(loss)
        params = {name: p.copy() for name, p in model.params.items()} if copy_params else model.params
        costs = [loss.forward(model.forward(X), y)] if first_cost else []
        indices = np.arange(N)
        for epoch in range(epochs):
            if order == "fresh" or (order == "once" and epoch == 0):
                indices = rng.permutation(N)
            elif order == "again":
                rng.shuffle(indices)
            elif order == "shuffle":
                indices = np.arange(N)
                rng.shuffle(indices)
            starts = [0] if full_batch else range(0, N, batch_size)
            for start in starts:
                batch = indices if full_batch else indices[start:start + batch_size]
                if drop_last and len(batch) < batch_size:
                    break
                batch_cost = step_loss.forward(model.forward(X[batch]), y[batch])
                model.backward(step_loss.backward())
                for name in params:
                    params[name] -= tau * model.grads[name]
                if record == "step":
                    costs.append(loss.forward(model.forward(X), y))
            if record == "epoch":
                costs.append(loss.forward(model.forward(X), y))
            elif record == "batch":
                costs.append(batch_cost)
        return costs
    return minibatch_sgd


@pytest.mark.parametrize("right", [make_sgd(), make_sgd(order="shuffle"), make_sgd(order="again")],
                         ids=["permutation", "shuffle of arange", "shuffled again"])
def test_minibatch_sgd_check_accepts_right_answers(right, capsys, verdict):
    check_minibatch_sgd(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 7.2:")
    for seed in OTHER_SEEDS:
        assert verdict(check_minibatch_sgd, {"minibatch_sgd": right}, seed).passed


def calls_mlp_train(model, loss, X, y, tau, batch_size, epochs, rng):
    steps = -(-len(X) // batch_size)
    costs = [loss.forward(model.forward(X), y)]
    for _ in range(epochs):
        mlp.train(model, loss, X, y, tau, steps - 1, batch_size=batch_size, rng=rng, progress=False)
        costs.append(loss.forward(model.forward(X), y))
    return costs


def uses_descent(model, loss, X, y, tau, batch_size, epochs, rng):
    descent = optim.Descent(model, loss, X, y, tau, batch_size=batch_size, rng=rng)
    costs = [mlp.SquaredError("mean").forward(model.forward(X), y)]
    for _ in range(epochs):
        for _ in range(descent.steps_per_epoch):
            descent.step()
        costs.append(mlp.SquaredError("mean").forward(model.forward(X), y))
    return costs


def changes_X(model, loss, X, y, tau, batch_size, epochs, rng):
    X -= X.mean(axis=0)
    return make_sgd()(model, loss, X, y, tau, batch_size, epochs, rng)


@pytest.mark.parametrize("wrong, message", [
    (make_sgd(order="fixed"), "takes the samples in the same order in every epoch"),
    (make_sgd(order="once"), "shuffles only once, for the first epoch"),
    (make_sgd(drop_last=True), "drops the last, smaller batch of each epoch"),
    (make_sgd(loss_of=lambda loss: mlp.SquaredError()), "steps on the sum over each batch"),
    (make_sgd(full_batch=True), "takes one step per epoch on all N samples"),
    (make_sgd(record="step"), "one per step: measure E/N on all of X once per epoch"),
    (make_sgd(record="batch"), "its costs are not E/N on all of X after each epoch"),
    (make_sgd(first_cost=False), "the list starts with the cost before the first step"),
    (make_sgd(copy_params=True), "left the model's parameters unchanged"),
    (lambda *args: None, "returned None"),
    (lambda m, loss, X, y, *rest: make_sgd()(m, mlp.SquaredError(), X, y, *rest), "that is the sum E"),
    (changes_X, "changed X"),
    (calls_mlp_train, "Exercise 7.2 uses mlp.optim.train: the point is to write the epochs"),
    (uses_descent, "Exercise 7.2 uses mlp.optim.Descent"),
])
def test_minibatch_sgd_check_names_the_mistake(wrong, message):
    fails(check_minibatch_sgd, wrong, "7.2", message)


class _Trial:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_slip_oracle_with_the_right_rule_is_the_engine(seed):
    """The check's own loop (used only to name slips) with the rule of the exercise gives mlp.optim's result."""
    for setup in _sgd_setups(_Trial(seed)):
        costs, params = _engine(*setup[1:])
        mine, my_params = _variant(*setup[1:])
        assert np.allclose(mine, costs, rtol=1e-10)
        assert all(np.allclose(my_params[name], params[name], rtol=1e-10) for name in params)
        assert setup[7] == 1 or len(setup[4]) % setup[7]     # a smaller last batch, or B = 1


# --- Exercise 7.3: gradient evaluations ---------------------------------------------------------------

def right_evaluations(N, B, num_steps):
    epochs, rest = divmod(num_steps, -(-N // B))
    return epochs * N + rest * B


def counting_step_by_step(N, B, num_steps):
    total, position = 0, 0
    for _ in range(num_steps):
        size = min(B, N - position)
        total, position = total + size, (position + size) % N
    return total


@pytest.mark.parametrize("right", [right_evaluations, counting_step_by_step,
                                   lambda N, B, k: np.int64(right_evaluations(N, B, k))])
def test_gradient_evaluations_check_accepts_right_answers(right, capsys, verdict):
    check_gradient_evaluations(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 7.3:")
    for seed in OTHER_SEEDS:
        assert verdict(check_gradient_evaluations, {"gradient_evaluations": right}, seed).passed


@pytest.mark.parametrize("wrong, message", [
    (lambda N, B, k: float(right_evaluations(N, B, k)), "returned the float .*: return an int"),
    (lambda N, B, k: B * k, "counts B = .* samples for every step, but the last batch"),
    (lambda N, B, k: N * k, "counts all N samples for every step"),
    (lambda N, B, k: k, "counts steps, not per-sample gradients"),
    (lambda N, B, k: divmod(k, N // B)[0] * N + divmod(k, N // B)[1] * B, "counts ⌊N/B⌋ = .* steps per epoch"),
    (lambda N, B, k: right_evaluations(N, B, k) + 1, "an epoch is ⌈N/B⌉ steps"),
    (lambda N, B, k: None, "returned None"),
    (lambda N, B, k: "many", "should return a whole number"),
])
def test_gradient_evaluations_check_names_the_mistake(wrong, message):
    fails(check_gradient_evaluations, wrong, "7.3", message)


# --- the scoreboard ---------------------------------------------------------------------------------

CHECKS = [check_batch_gradient, check_minibatch_sgd, check_gradient_evaluations]
RIGHT = {"batch_gradient": right_batch_gradient, "minibatch_sgd": make_sgd(), "gradient_evaluations": right_evaluations}


def test_the_scoreboard_counts_the_solved_exercises(capsys):
    for check in CHECKS:
        check(RIGHT[check.targets[0]])
    capsys.readouterr()
    scoreboard()
    assert capsys.readouterr().out.startswith("3 of 3 solved: 7.1 ✔  7.2 ✔  7.3 ✔")
