"""The checks of notebook 06 accept right answers, name the typical mistakes, and judge fresh setups. What
every exercise must satisfy is in tests/test_every_exercise.py."""
import copy

import numpy as np
import pytest

import mlp
import mlp.experiments
from mlp.exercises import ExerciseError
from mlp.exercises.capstone import check_pick_step_size, check_train_loop
from solution_sweep import Watching


# --- Exercise 6.1: a training loop from forward, loss, backward and step ------------------------

def make_loop(reduction="mean", record_last=True, record_after=False, direction=1.0, step=True,
              recompute=True, extra_step=False, tau_factor=1.0, fresh_model=False, on_copy=False, rebind=False):
    """A training loop with one mistake switched on by a keyword (all defaults: a right loop)."""
    def train_loop(model, X, y, tau, num_steps):
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
                params = model.params
                for name in params:
                    change = direction * tau_factor * tau * model.grads[name]
                    if rebind:
                        params[name] = params[name] - change   # a new array in a new dict: the layer never sees it
                    else:
                        params[name] -= change
            if record_after:
                costs.append(loss.forward(model.forward(X), y))
        if record_last and not record_after and not extra_step:
            costs.append(loss.forward(model.forward(X), y))
        return costs
    return train_loop


def right_with_optimizer(model, X, y, tau, num_steps):
    loss, optimizer = mlp.SquaredError("mean"), mlp.GradientDescent(tau)
    costs = []
    for _ in range(num_steps):
        costs.append(loss(model(X), y))
        model.backward(loss.backward())
        optimizer.step(model)
    return np.array(costs + [loss(model(X), y)])


def changes_X(model, X, y, tau, num_steps):
    X -= X.mean(axis=0)
    return make_loop()(model, X, y, tau, num_steps)


def delegates(model, X, y, tau, num_steps):
    return list(mlp.train(model, mlp.SquaredError("mean"), X, y, tau, num_steps, progress=False).costs)


def test_train_loop_check_accepts_a_right_loop(capsys):
    check_train_loop(make_loop())
    assert capsys.readouterr().out.startswith("✔ Exercise 6.1: your loop gives the same costs E/N")


@pytest.mark.parametrize("delegating, seen", [(delegates, "train"), (right_with_optimizer, "GradientDescent.step")])
def test_a_loop_that_hands_its_work_to_mlp_is_seen_calling_an_answer_of_6_1(delegating, seen):
    """Its values are mlp.train's, so only the toolkit's watcher, told by answer=, can tell: it sees the call."""
    transport = Watching({"train_loop": delegating}, check_train_loop.answer)
    assert check_train_loop.check(transport, 7).passed
    assert any(name.startswith(seen) for name in transport.seen), transport.seen


@pytest.mark.parametrize("wrong, message", [
    (lambda *args: None, "returned None"),
    (lambda *args: "costs", "return the costs as a list of numbers"),
    (make_loop(record_last=False), "the last one is missing"),
    (make_loop(record_after=True), "starts with the cost of θ(0)"),
    (make_loop(reduction="sum"), "that is the sum E, but the exercise asks for the mean E/N"),
    (make_loop(step=False), "left the model's parameters unchanged"),
    (make_loop(rebind=True), "in place"),
    (make_loop(fresh_model=True), "measure that model, before its first step"),
    (make_loop(on_copy=True), "not a copy of them"),
    (make_loop(recompute=False), "the same cost"),
    (make_loop(direction=-1.0), "goes downhill, against the gradient"),
    (make_loop(tau_factor=2.0), "the list of costs from train_loop"),
    (make_loop(extra_step=True), "exactly num_steps steps"),
    (changes_X, "changed X"),
])
def test_train_loop_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match="Exercise 6.1") as error:
        check_train_loop(wrong)
    assert message in str(error.value)


# --- Exercise 6.2: the step size with the lowest validation cost ----------------------------------

def trained(sizes, train, tau, num_steps):
    """The network trained with τ, or None if training diverges."""
    net = mlp.fully_connected(sizes, rng=0)
    try:
        mlp.train(net, mlp.SquaredError("mean"), *train, tau, num_steps, progress=False)
    except mlp.DivergenceError:
        return None
    return net


def right_pick(sizes, train, validation, candidates, num_steps):
    best, best_cost = None, np.inf
    for tau in candidates:
        net = trained(sizes, train, tau, num_steps)
        if net is not None and (cost := np.mean((net(validation[0]) - validation[1]) ** 2)) < best_cost:
            best, best_cost = tau, cost
    return best


def mse(net, X, y):
    return float(np.mean((net.forward(X) - y) ** 2))


def with_experiments(sizes, train, validation, candidates, num_steps):
    runs = [mlp.experiments.run(sizes, "relu", tau, num_steps, train, validation=validation) for tau in candidates]
    finished = [run for run in runs if not run.diverged]
    return min(finished, key=lambda run: run.validation_cost).step_size if finished else None


def by_training_cost(sizes, train, validation, candidates, num_steps):
    costs = {tau: mse(net, *train) for tau in candidates if (net := trained(sizes, train, tau, num_steps))}
    return min(costs, key=costs.get) if costs else None


def largest_not_diverging(sizes, train, validation, candidates, num_steps):
    return max((tau for tau in candidates if trained(sizes, train, tau, num_steps) is not None), default=None)


def uncaught(sizes, train, validation, candidates, num_steps):
    costs = {}
    for tau in candidates:
        net = mlp.fully_connected(sizes, rng=0)
        mlp.train(net, mlp.SquaredError("mean"), *train, tau, num_steps, progress=False)
        costs[tau] = mse(net, *validation)
    return min(costs, key=costs.get)


def returns_the_cost(sizes, train, validation, candidates, num_steps):
    tau = right_pick(sizes, train, validation, candidates, num_steps)
    return None if tau is None else mse(trained(sizes, train, tau, num_steps), *validation)


def never_none(sizes, train, validation, candidates, num_steps):
    tau = right_pick(sizes, train, validation, candidates, num_steps)
    return min(candidates) if tau is None else tau


def one_network_for_all(sizes, train, validation, candidates, num_steps):
    net, costs = mlp.fully_connected(sizes, rng=0), {}
    for tau in sorted(candidates):
        try:
            mlp.train(net, mlp.SquaredError("mean"), *train, tau, num_steps, progress=False)
        except mlp.DivergenceError:
            break
        costs[tau] = mse(net, *validation)
    return min(costs, key=costs.get) if costs else None


def test_pick_step_size_check_accepts_a_right_answer(capsys):
    check_pick_step_size(right_pick)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 6.2: pick_step_size returns the τ with the lowest validation cost")
    assert "first setup: τ = " in out and "diverged)" in out


@pytest.mark.parametrize("wrong, message", [
    (by_training_cost, "the choice must be made on the validation set"),
    (largest_not_diverging, "not diverging is not enough"),
    (lambda sizes, train, validation, candidates, num_steps: max(candidates), "diverges"),
    (uncaught, "let mlp.DivergenceError escape"),
    (returns_the_cost, "not one of the candidates: return the step size τ itself"),
    (lambda *args: None, "returned None, but τ ="),
    (lambda *args: "0.1", "not one of the candidates"),
    (never_none, "every candidate diverges there"),
    (one_network_for_all, "train a fresh network for every candidate"),
])
def test_pick_step_size_check_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match="Exercise 6.2") as error:
        check_pick_step_size(wrong)
    assert message in str(error.value)


@pytest.mark.parametrize("seed", [1, 2, 3, 12345])
def test_choosing_by_the_training_cost_or_the_largest_tau_fails_on_every_seed(seed, verdict):
    for wrong in (by_training_cost, largest_not_diverging):
        assert not verdict(check_pick_step_size, {"pick_step_size": wrong}, seed).passed
    assert verdict(check_pick_step_size, {"pick_step_size": right_pick}, seed).passed


def test_choosing_with_mlp_experiments_is_seen_calling_the_answer_of_6_2():
    transport = Watching({"pick_step_size": with_experiments}, ("mlp.experiments",))
    assert check_pick_step_size.check(transport, 7).passed
    assert "run" in transport.seen


@pytest.mark.parametrize("folder", ["solutions", "lectures"])
def test_nothing_above_the_check_of_6_2_points_at_its_answer(folder):
    """6.2's answer is mlp.experiments: the notebook uses it only below the check (before it, mlp.train with a callback)."""
    import json
    from pathlib import Path
    cells = json.loads((Path(__file__).parents[1] / folder / "06_capstone.ipynb").read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    check = next(i for i, source in enumerate(sources) if source.strip() == "check_pick_step_size(pick_step_size)")
    above = [i for i, source in enumerate(sources[:check]) if "experiments" in source]
    assert not above, f"cells {above} above the check of Exercise 6.2 use or name mlp.experiments, its answer"
    assert any("experiments.run" in source for source in sources[check:])
