"""Checks for notebook 06, the capstone: a training loop of one's own, and choosing τ on a validation set.

6.1 runs the student's loop through a scenario that builds a seeded network beside it (in their
kernel, or the grader's sandbox), and compares the costs it returns and the parameters it leaves
with `mlp.train` (the oracle) on the same network, here. 6.2 calls the student's function on fresh
setups and compares its choice with the τ that really has the lowest validation cost. Every
setup is drawn from the trial's seed, so that no cell shows it and the grader's differ.

Slips named: a missing last cost or a missing first one, the summed instead of the mean cost, a
step uphill, a step never taken or taken on a copy, costs not recomputed, one step too many;
choosing τ by the training cost, by "largest that does not diverge",
letting DivergenceError escape, returning a cost instead of τ, returning τ when all diverge.
"""
from __future__ import annotations

import numpy as np

from .. import data
from ..losses import SquaredError
from ..network import fully_connected
from ..optim import DivergenceError, train
from . import expect
from .core import StudentCodeFailed, Wrong, exercise, scoreboard_for
from .wire import scenario


def _wines(t, n_train: int, n_validation: int = 0):
    """Disjoint sets of wines drawn from the trial's rng, standardised with the training wines' statistics:
    (X_train (n_train, 11), y_train (n_train, 1)) and, if n_validation, (X_val, y_val) as a second pair."""
    wine = data.load_wine_quality()
    rows = t.rng.permutation(len(wine.y))[:n_train + n_validation]
    X, y = wine.X[rows], wine.y[rows].reshape(-1, 1)
    if not n_validation:
        return data.standardize(X)[0], y
    X_train, X_val, _, _ = data.standardize(X[:n_train], X[n_train:])
    return (X_train, y[:n_train]), (X_val, y[n_train:])


def _param_name(name: str) -> str:
    """'2.weight' of a fully_connected network in the lecture's notation: θ_w^2 (model.params['2.weight'])."""
    index, kind = name.split(".")
    return f"θ_{kind[0]}^{int(index) // 2 + 1} (model.params[{name!r}])"


# --- Exercise 6.1: the training loop -------------------------------------------------------------

@scenario
def loop_on_a_fresh_network(train_loop, sizes, activation, seed, X, y, tau, num_steps):
    """Build fully_connected(sizes, activation, rng=seed) here, beside the student's loop, and train it with
    train_loop(model, X, y, tau, num_steps). Returns plain data: what the loop returned, the parameters
    it left in the model, and whether it changed X."""
    model = fully_connected(sizes, activation, rng=seed)
    X_given = X.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        returned = train_loop(model, X_given, y, tau, num_steps)
    return {"returned": returned, "params": {name: p.copy() for name, p in model.params.items()},
            "changed_X": not np.array_equal(X_given, X)}


def _loop_setups(t):
    """(description, sizes, activation, seed, X, y, τ, steps): a wine network and a 1-D network, all drawn fresh."""
    n, width = int(t.rng.integers(60, 120)), int(t.rng.integers(4, 10))
    X, y = _wines(t, n)
    yield (f"a [11, {width}, 1] ReLU network on {n} wines", [11, width, 1], "relu", int(t.rng.integers(1000)), X, y,
           float(np.round(t.rng.uniform(0.02, 0.06), 3)), int(t.rng.integers(6, 12)))
    n, width = int(t.rng.integers(20, 40)), int(t.rng.integers(4, 8))
    x, target = data.make_regression_1d(n, noise=0.1, rng=int(t.rng.integers(1000)))
    yield (f"a [1, {width}, {width}, 1] tanh network on {n} points", [1, width, width, 1], "tanh",
           int(t.rng.integers(1000)), x, target, float(np.round(t.rng.uniform(0.05, 0.15), 3)), int(t.rng.integers(5, 10)))


@exercise("6.1", "train_loop",
          answer=("mlp.optim.train", "mlp.train", "mlp.optim.GradientDescent", "mlp.optim.Descent"),
          uses=("mlp.SquaredError",), task="write the loop yourself: forward, loss, backward, step")
def check_train_loop(t, train_loop):
    """train_loop(model, X, y, tau, num_steps) must train `model` in place by gradient descent on the mean
    squared error E/N and return [E/N at θ(0), …, at θ(num_steps)], the costs mlp.train records."""
    for description, sizes, activation, seed, X, y, tau, steps in _loop_setups(t):
        what = f"train_loop(model, X, y, tau={tau:g}, num_steps={steps}) on {description}"
        got = t.run(loop_on_a_fresh_network, train_loop, sizes, activation, seed, X, y, tau, steps, what=what)
        reference = fully_connected(sizes, activation, rng=seed)
        expected = train(reference, SquaredError("mean"), X, y, tau, steps, progress=False).costs
        if got["changed_X"]:
            raise Wrong(f"{what} changed X: training should change only the model's parameters")
        costs = expect.returned(got["returned"], what)
        if isinstance(costs, str) or isinstance(costs, dict):
            raise Wrong(f"{what} returned {type(costs).__name__}: return the costs as a list of numbers")
        try:
            costs = np.asarray(costs, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise Wrong(f"{what} should return a list of numbers, the costs, got something else") from None
        if len(costs) == steps and np.allclose(costs, expected[:-1]):
            raise Wrong(f"{what} returned {steps} costs, all right, but the last one is missing: the cost after "
                        f"the last step counts too, so there are num_steps + 1 = {steps + 1}")
        if len(costs) == steps and np.allclose(costs, expected[1:]):
            raise Wrong(f"{what} returned the costs after each step: the list starts with the cost of θ(0), "
                        "before any step")
        if len(costs) != steps + 1:
            raise Wrong(f"{what} returned {len(costs)} costs; expected num_steps + 1 = {steps + 1}, one for "
                        "each of θ(0), θ(1), …, θ(num_steps)")
        if np.isclose(costs[0], expected[0] * len(X)):
            raise Wrong(f"{what} starts at {costs[0]:.6g}, {len(X)} times too large for N = {len(X)} samples: "
                        "that is the sum E, but the exercise asks for the mean E/N")
        if not np.isclose(costs[0], expected[0], rtol=1e-6):
            raise Wrong(f"{what} starts at {costs[0]:.6g}, but the model you were given costs E/N = "
                        f"{expected[0]:.6g} at θ(0): measure that model, before its first step")
        start = fully_connected(sizes, activation, rng=seed).params
        params = got["params"]
        if all(np.array_equal(start[name], params.get(name)) for name in start):
            raise Wrong(f"{what} left the model's parameters unchanged: change the arrays of the model you were "
                        "given in place (not a copy of them, and not a new network)")
        if np.all(costs[1:-1] == costs[0]):
            raise Wrong(f"{what} returned the same cost {costs[0]:.6g} for every step: the loss must be computed "
                        "again for every new θ(k), also for the gradient that backward takes from it")
        if costs[1] > costs[0] and expected[1] < expected[0]:
            raise Wrong(f"{what}: the cost grew in the first step ({costs[0]:.6g} -> {costs[1]:.6g}): a gradient "
                        "step goes downhill, against the gradient")
        expect.array(costs, expected, f"the list of costs from {what}", where=lambda i: f"at θ({i[0]})",
                     hint="Compare your step with θ(k+1) = θ(k) − τ ∇E(θ(k)), for the mean E/N.")
        for name, value in reference.params.items():
            expect.array(params.get(name), value, f"{_param_name(name)} after {what}",
                         hint="The costs are right, so check that exactly num_steps steps are taken.")
    return ("your loop gives the same costs E/N and leaves the same θ as mlp.train, on networks and data "
            "it had never seen.")


# --- Exercise 6.2: choosing τ on the validation set ----------------------------------------------

def _outcomes(sizes, train_set, validation, candidates, steps) -> dict:
    """τ -> (final training E/N, validation E/N, the trained network), or None if training diverges."""
    outcomes = {}
    for tau in candidates:
        net = fully_connected(sizes, rng=0)
        try:
            history = train(net, SquaredError("mean"), *train_set, tau, steps, progress=False)
        except DivergenceError:
            outcomes[tau] = None
            continue
        outcomes[tau] = (float(history.costs[-1]), SquaredError("mean").forward(net.forward(validation[0]), validation[1]),
                         net)
    return outcomes


def _candidates(t, factors) -> list[float]:
    """The step sizes `factors` times one random factor, to two digits, in a shuffled order."""
    scale = t.rng.uniform(0.8, 1.25)
    return [float(f"{v:.2g}") for v in t.rng.permutation(np.asarray(factors) * scale)]


def _step_size_setups(t):
    """(description, sizes, train, validation, candidates, steps, outcomes), all drawn fresh:
    wines as they are; a 1-D problem whose validation set makes a middle τ the best one, neither the
    largest that does not diverge nor the one with the lowest training cost; wines with only step
    sizes that diverge."""
    width, steps = int(t.rng.integers(16, 33)), int(t.rng.integers(40, 70))
    train_set, validation = _wines(t, int(t.rng.integers(150, 250)), 200)
    candidates = _candidates(t, [0.01, 0.03, 0.1, 0.3, 1.0])
    yield (f"[11, {width}, 1] on {len(train_set[0])} wines", [11, width, 1], train_set, validation, candidates, steps,
           _outcomes([11, width, 1], train_set, validation, candidates, steps))

    width, steps, n = int(t.rng.integers(16, 33)), int(t.rng.integers(60, 120)), int(t.rng.integers(15, 30))
    train_set = data.make_regression_1d(n, noise=0.3, rng=int(t.rng.integers(1000)))
    x_val = np.linspace(-3, 3, 60).reshape(-1, 1)
    candidates = _candidates(t, [0.001, 0.003, 0.01, 0.02, 0.04])
    outcomes = _outcomes([1, width, 1], train_set, (x_val, np.sin(2 * x_val)), candidates, steps)
    done = sorted(tau for tau in candidates if outcomes[tau] is not None)
    lowest_training = min(done, key=lambda tau: outcomes[tau][0])
    middle = [tau for tau in done if tau not in (done[-1], lowest_training)]
    best = middle[int(t.rng.integers(len(middle)))] if middle else done[0]
    # validation targets near the chosen network's own predictions: its validation cost is the lowest
    y_val = outcomes[best][2].forward(x_val) + 0.05 * t.rng.standard_normal(x_val.shape)
    validation = (x_val, y_val)
    yield (f"[1, {width}, 1] on {n} points", [1, width, 1], train_set, validation, candidates, steps,
           _outcomes([1, width, 1], train_set, validation, candidates, steps))

    width = int(t.rng.integers(8, 17))
    train_set, validation = _wines(t, 100, 100)
    candidates = _candidates(t, [5.0, 20.0])
    yield (f"[11, {width}, 1] on 100 wines", [11, width, 1], train_set, validation, candidates, 30,
           _outcomes([11, width, 1], train_set, validation, candidates, 30))


@exercise("6.2", "pick_step_size", answer=("mlp.experiments",),
          uses=("mlp.train", "mlp.fully_connected", "mlp.SquaredError", "mlp.DivergenceError"),
          task="train a network for every τ yourself and compare their validation costs")
def check_pick_step_size(t, pick_step_size):
    """pick_step_size(sizes, train, validation, candidates, num_steps) must return the τ in candidates whose
    fresh fully_connected(sizes, rng=0), trained num_steps steps on train, has the lowest validation cost,
    skipping the τ that diverge; None if all do."""
    summary = ""
    for description, sizes, train_set, validation, candidates, steps, outcomes in _step_size_setups(t):
        what = f"pick_step_size for {description}, candidates {candidates}, num_steps={steps}"
        try:
            got = t.call(pick_step_size, sizes, train_set, validation, candidates, steps, what=what)
        except StudentCodeFailed as failed:
            if failed.error.get("type") == "DivergenceError":
                raise Wrong(f"{what} let mlp.DivergenceError escape: a τ whose training diverges is simply out of "
                            "the race; catch the error and go on with the next candidate") from None
            raise
        done = {tau: o for tau, o in outcomes.items() if o is not None}
        expected = min(done, key=lambda tau: done[tau][1]) if done else None
        if got is None and expected is None:
            continue
        if expected is None:
            raise Wrong(f"{what} returned {got!r}, but every candidate diverges there, so none of them can be "
                        "chosen: return None")
        if got is None:
            raise Wrong(f"{what} returned None, but τ = {expected:g} trains without diverging "
                        f"(validation E/N = {done[expected][1]:.4f})")
        if isinstance(got, bool) or not isinstance(got, (int, float, np.number)) or float(got) not in candidates:
            shown = f"{got:.4g}" if isinstance(got, float) else repr(got)
            raise Wrong(f"{what} returned {shown}, which is not one of the candidates: return the step size τ "
                        "itself, not its cost or its position")
        got = float(got)
        if outcomes[got] is None:
            raise Wrong(f"{what} returned τ = {got:g}, but training with it diverges (mlp.train raises "
                        "mlp.DivergenceError): leave such a τ out")
        if got != expected:
            by_training = min(done, key=lambda tau: done[tau][0])
            why = ("that τ has the lowest training cost, but the choice must be made on the validation set"
                   if got == by_training else
                   "that τ is the largest that does not diverge, and not diverging is not enough" if got == max(done)
                   else "train a fresh network for every candidate, and compare their validation costs")
            raise Wrong(f"{what} returned τ = {got:g} (validation E/N = {done[got][1]:.4f}), but τ = {expected:g} "
                        f"reaches a lower one, {done[expected][1]:.4f}: {why}")
        if not summary:
            diverging = sorted(tau for tau in outcomes if outcomes[tau] is None)
            summary = (f" (first setup: τ = {expected:g} with validation E/N = {done[expected][1]:.3f}; "
                       f"{', '.join(f'{tau:g}' for tau in diverging) or 'none'} diverged)")
    return f"pick_step_size returns the τ with the lowest validation cost, or None if every τ diverges{summary}."


scoreboard = scoreboard_for(__name__)
