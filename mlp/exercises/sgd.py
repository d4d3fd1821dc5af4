"""Checks for notebook 07, variants of gradient descent: minibatches and their cost.

7.1 calls the student's minibatch gradient of the linear network on fresh problems and compares it
with mlp.regression's gradient of the batch's rows. 7.2 runs the student's minibatch SGD through a
scenario that builds a seeded network and a seeded rng beside it (in their kernel or the grader's
sandbox) and compares the costs it returns and the parameters it leaves with the engine's minibatch
descent (mlp.optim, the oracle) run here on the same network, data and seed. 7.3 calls the student's
count on fresh sizes. Every setup is drawn from the trial's seed, so no cell shows it and the
grader's differ.

Slips named: the sum over the batch instead of the mean, the mean over all N, the whole data set
instead of the batch, a missing factor 2, a step uphill, the bias left out (7.1); the same order in
every epoch, one shuffle for all epochs, the last smaller batch dropped, the sum loss, one full-batch
step per epoch, costs on a batch or after every step, the first cost missing (7.2); every step
counted as B or N evaluations, the epochs counted with the last batch dropped (7.3).
"""
from __future__ import annotations

import numpy as np

from .. import data, optim, regression
from ..losses import SquaredError
from ..network import fully_connected
from . import expect
from .core import Wrong, exercise, scoreboard_for
from .wire import scenario


def _param_name(name: str) -> str:
    """'2.weight' of a fully_connected network in the lecture's notation: θ_w^2 (model.params['2.weight'])."""
    index, kind = name.split(".")
    return f"θ_{kind[0]}^{int(index) // 2 + 1} (model.params[{name!r}])"


# --- Exercise 7.1: the minibatch gradient -----------------------------------------------------------

def _problem(t, n: int, d: int):
    """A small regression problem: X (n, d), y (n,), a θ (d + 1,) away from the minimiser."""
    X = t.rng.standard_normal((n, d)) * t.rng.uniform(0.5, 2.0, d)
    y = X @ t.rng.standard_normal(d) + 0.5 * t.rng.standard_normal(n) + t.rng.uniform(-1, 1)
    return X, y, t.rng.standard_normal(d + 1)


@exercise("7.1", "batch_gradient", answer=("mlp.optim.Descent", "mlp.optim.train"),
          uses=("mlp.regression.gradient", "mlp.regression.add_bias_column", "mlp.regression.predict"),
          task="pick the batch's samples and average their gradients yourself")
def check_batch_gradient(t, batch_gradient):
    """batch_gradient(X, y, theta, batch) must return the gradient of the batch's mean cost
    (1/B) Σ_{j in batch} 𝓛_j(θ) for the linear network, shape (d + 1,)."""
    n, d = int(t.rng.integers(20, 40)), int(t.rng.integers(2, 5))
    X, y, theta = _problem(t, n, d)
    sizes = [int(t.rng.integers(3, n // 2)), 1, n]
    for size in sizes:
        batch = np.sort(t.rng.choice(n, size=size, replace=False)) if size < n else t.rng.permutation(n)
        what = f"batch_gradient(X, y, theta, batch) for X of shape {X.shape} and a batch of {size} indices"
        got, (X_after, y_after, theta_after, batch_after) = t.call(batch_gradient, X, y, theta, batch, what=what,
                                                                   return_args=True)
        for name, before, after in (("X", X, X_after), ("y", y, y_after), ("theta", theta, theta_after),
                                    ("batch", batch, batch_after)):
            expect.unchanged(before, after, name, "batch_gradient")
        expect.returned(got, what)
        expected = regression.gradient(X[batch], y[batch], theta) / size
        if np.shape(got) == (d,):
            raise Wrong(f"{what} returned {d} numbers: θ holds the {d} weights and the bias, so the gradient has "
                        f"{d + 1} entries, the bias last")
        full = regression.gradient(X, y, theta)
        slips = [
            (expected * size, f"is {size} times too large: that is the gradient of the sum over the batch; the "
                              "batch's cost is the mean, (1/B) Σ over its samples"),
            (expected * size / n, f"divides by N = {n}, the number of all samples: the batch's cost is the mean over "
                                  f"its own B = {size} samples"),
            (full / n, "is the gradient of the mean over all N samples: use only the rows of X and y that the batch "
                       "names"),
            (full, "is the gradient over all N samples: use only the rows of X and y that the batch names"),
            (expected / 2, "is half the gradient: the derivative of a square (r²)' = 2r brings a factor 2"),
            (-expected, "points uphill: it has the opposite sign of ∇ of the batch's cost"),
        ]
        hint = None if expect.close(got, expected) else expect.slip(got, slips)
        if hint:
            raise Wrong(f"{what} {hint}")
        expect.array(got, expected, what, where=lambda i: f"in entry {i[0]}" + (" (the bias)" if i[0] == d else ""),
                     hint="The batch's cost is (1/B) Σ_{j in batch} ((x_j, 1)ᵀθ − y_j)².")
    return ("∇ of (1/B) Σ_{j in batch} 𝓛_j(θ) is the mean of the batch's per-sample gradients; over one epoch of "
            "equal batches these means average to ∇(E/N) exactly.")


# --- Exercise 7.2: minibatch SGD on the engine ------------------------------------------------------

@scenario
def sgd_on_a_fresh_network(minibatch_sgd, sizes, activation, seed, X, y, tau, batch_size, epochs, rng_seed):
    """Build fully_connected(sizes, activation, rng=seed), SquaredError("mean") and default_rng(rng_seed) here,
    beside the student's function, and run minibatch_sgd(model, loss, X, y, tau, batch_size, epochs, rng).
    Returns plain data: what it returned, the parameters it left, and whether it changed X or y."""
    model = fully_connected(sizes, activation, rng=seed)
    X_given, y_given = X.copy(), y.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        returned = minibatch_sgd(model, SquaredError("mean"), X_given, y_given, tau, batch_size, epochs,
                                 np.random.default_rng(rng_seed))
    return {"returned": returned, "params": {name: p.copy() for name, p in model.params.items()},
            "changed_X": not np.array_equal(X_given, X), "changed_y": not np.array_equal(y_given, y)}


def _engine(sizes, activation, seed, X, y, tau, batch_size, epochs, rng_seed):
    """The oracle: mlp.optim's minibatch descent on the same network, data and seed. Returns (costs, params):
    E/N on all of X at θ before the first step and after every epoch, and the parameters at the end."""
    model, loss = fully_connected(sizes, activation, rng=seed), SquaredError("mean")
    descent = optim.Descent(model, loss, X, y, tau, batch_size=batch_size, rng=np.random.default_rng(rng_seed))
    steps = -(-len(X) // batch_size)
    costs = [loss.forward(model.forward(X), y)]
    for _ in range(epochs):
        for _ in range(steps):
            descent.step()
        costs.append(loss.forward(model.forward(X), y))
    return np.array(costs), model.params


def _variant(sizes, activation, seed, X, y, tau, batch_size, epochs, rng_seed, order="fresh", drop_last=False,
             reduction="mean", full_batch=False):
    """A slip, for naming it: minibatch SGD with another order rule ("fixed": 0 … N−1 every epoch; "once": one
    permutation for all epochs; "again": the last order shuffled again), the last smaller batch dropped, the
    sum loss, or one full-batch step per epoch. Returns (costs E/N per epoch, params)."""
    model, loss, mean = fully_connected(sizes, activation, rng=seed), SquaredError(reduction), SquaredError("mean")
    rng, n = np.random.default_rng(rng_seed), len(X)
    costs, indices = [mean.forward(model.forward(X), y)], np.arange(n)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            if order == "fresh" or (order == "once" and epoch == 0):
                indices = rng.permutation(n)
            elif order == "again":
                rng.shuffle(indices)
            starts = [0] if full_batch else range(0, n, batch_size)
            for start in starts:
                batch = indices if full_batch else indices[start:start + batch_size]
                if drop_last and len(batch) < batch_size:
                    break
                loss.forward(model.forward(X[batch]), y[batch])
                model.backward(loss.backward())
                for name, theta in model.params.items():
                    theta -= tau * model.grads[name]
            costs.append(mean.forward(model.forward(X), y))
    return np.array(costs), model.params


def _same_params(got: dict, expected: dict) -> bool:
    return all(expect.close(got.get(name), value, rtol=1e-6, atol=1e-9) for name, value in expected.items())


def _draw_sizes(t, n: int, low: int, high: int) -> int:
    """A batch size in [low, high] that does not divide n: the last batch of an epoch is smaller."""
    choices = [b for b in range(low, high + 1) if n % b]
    return int(choices[int(t.rng.integers(len(choices)))])


def _sgd_setups(t):
    """(description, sizes, activation, seed, X, y, τ, B, epochs, rng seed), all drawn fresh: a ReLU network on
    wines, a tanh network on 1-D data, both with a smaller last batch, and B = 1 on a few points."""
    wine = data.load_wine_quality()
    n = int(t.rng.integers(40, 70))
    rows = t.rng.permutation(len(wine.y))[:n]
    X, y = data.standardize(wine.X[rows])[0], wine.y[rows].reshape(-1, 1) - 5.6
    width, batch = int(t.rng.integers(4, 9)), _draw_sizes(t, n, 6, 16)
    yield (f"a [11, {width}, 1] ReLU network on {n} wines", [11, width, 1], "relu", int(t.rng.integers(1000)), X, y,
           float(np.round(t.rng.uniform(0.01, 0.03), 3)), batch, int(t.rng.integers(3, 5)), int(t.rng.integers(10**6)))
    n = int(t.rng.integers(20, 35))
    x, target = data.make_regression_1d(n, noise=0.1, rng=int(t.rng.integers(1000)))
    width = int(t.rng.integers(3, 7))
    yield (f"a [1, {width}, {width}, 1] tanh network on {n} points", [1, width, width, 1], "tanh",
           int(t.rng.integers(1000)), x, target, float(np.round(t.rng.uniform(0.05, 0.15), 3)),
           _draw_sizes(t, n, 3, 8), int(t.rng.integers(3, 6)), int(t.rng.integers(10**6)))
    n = int(t.rng.integers(6, 11))
    x, target = data.make_regression_1d(n, noise=0.1, rng=int(t.rng.integers(1000)))
    yield (f"a [1, 4, 1] tanh network on {n} points", [1, 4, 1], "tanh", int(t.rng.integers(1000)), x, target,
           float(np.round(t.rng.uniform(0.02, 0.05), 3)), 1, 2, int(t.rng.integers(10**6)))


@exercise("7.2", "minibatch_sgd", answer=("mlp.optim.Descent", "mlp.optim.train"), uses=("mlp.optim.GradientDescent",),
          task="write the epochs, the shuffle and the minibatch steps yourself")
def check_minibatch_sgd(t, minibatch_sgd):
    """minibatch_sgd(model, loss, X, y, tau, batch_size, epochs, rng) must train `model` in place by minibatch
    gradient descent on `loss` (a fresh rng.permutation(N) per epoch, batches of batch_size in that order, the
    last one smaller) and return E/N on all of X before the first step and after every epoch."""
    for setup in _sgd_setups(t):
        description, sizes, activation, seed, X, y, tau, batch, epochs, rng_seed = setup
        run = setup[1:]
        n = len(X)
        what = f"minibatch_sgd(model, loss, X, y, tau={tau:g}, batch_size={batch}, epochs={epochs}, rng) on {description}"
        got = t.run(sgd_on_a_fresh_network, minibatch_sgd, *run, what=what)
        expected, params = _engine(*run)
        if got["changed_X"] or got["changed_y"]:
            raise Wrong(f"{what} changed {'X' if got['changed_X'] else 'y'}: pick the batch's rows with an index "
                        "array (X[batch]) and change only the model's parameters")
        costs = expect.returned(got["returned"], what)
        if isinstance(costs, (str, dict)):
            raise Wrong(f"{what} returned {type(costs).__name__}: return the costs as a list of numbers")
        try:
            costs = np.asarray(costs, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise Wrong(f"{what} should return a list of numbers, the costs, got something else") from None
        steps = -(-n // batch)
        if len(costs) == epochs:
            raise Wrong(f"{what} returned {epochs} costs: the list starts with the cost before the first step, "
                        f"so there are epochs + 1 = {epochs + 1}")
        if len(costs) in (steps * epochs, steps * epochs + 1) and steps > 1:
            raise Wrong(f"{what} returned {len(costs)} costs, one per step: measure E/N on all of X once per "
                        f"epoch, epochs + 1 = {epochs + 1} numbers")
        if len(costs) != epochs + 1:
            raise Wrong(f"{what} returned {len(costs)} costs; expected epochs + 1 = {epochs + 1}, the cost before "
                        "the first step and after each epoch")
        if np.isclose(costs[0], expected[0] * n, rtol=1e-6):
            raise Wrong(f"{what} starts at {costs[0]:.6g}, {n} times too large: that is the sum E; report the loss "
                        "you were given, the mean E/N, on all of X")
        if not np.isclose(costs[0], expected[0], rtol=1e-6):
            raise Wrong(f"{what} starts at {costs[0]:.6g}, but the model you were given costs E/N = {expected[0]:.6g} "
                        "on all of X before any step: measure there, with the loss you were given")
        start = fully_connected(sizes, activation, rng=seed).params
        if all(np.array_equal(start[name], got["params"].get(name)) for name in start):
            raise Wrong(f"{what} left the model's parameters unchanged: change the arrays of the model you were "
                        "given in place (not a copy of them, and not a new network)")
        again = _variant(*run, order="again")   # the last epoch's order shuffled again: as random, also right
        right = [c for c, p in ((expected, params), again) if _same_params(got["params"], p)]
        if right and not expect.close(costs, right[0]):
            raise Wrong(f"{what} leaves the right θ, but its costs are not E/N on all of X after each epoch: "
                        "measure the whole training set, not the last batch")
        if right:
            continue
        slips = [
            (dict(order="fixed"), "takes the samples in the same order in every epoch: draw a new order at the "
                                  "start of each epoch with rng.permutation(N)"),
            (dict(order="once"), "shuffles only once, for the first epoch: draw a new rng.permutation(N) at the "
                                 "start of every epoch"),
            (dict(drop_last=True), f"drops the last, smaller batch of each epoch ({n} = {n // batch} · {batch} + "
                                   f"{n % batch}): the rule keeps it, the samples left over form one more batch"),
            (dict(reduction="sum"), f"steps on the sum over each batch, steps up to {batch} times too long: "
                                    "use the loss you were given (the mean over the batch) for every step"),
            (dict(full_batch=True), "takes one step per epoch on all N samples: split each epoch's order into "
                                    "batches of batch_size and take one step per batch"),
            (dict(order="fixed", full_batch=True), "takes one step per epoch on all N samples: split each epoch's "
                                                   "order into batches of batch_size and take one step per batch"),
        ]
        for kwargs, why in slips:
            if _same_params(got["params"], _variant(*run, **kwargs)[1]):
                raise Wrong(f"{what} {why}")
        expect.array(costs, expected, f"the list of costs from {what}", where=lambda i: f"after epoch {i[0]}",
                     hint="Take exactly one rng.permutation(N) at the start of each epoch (and nothing else from "
                          "rng), and one step per batch, in that order.")
        for name, value in params.items():
            expect.array(got["params"].get(name), value, f"{_param_name(name)} after {what}",
                         hint="The costs are right, so check the number of steps in each epoch.")
    return ("one fresh permutation per epoch, ⌈N/B⌉ steps on the batches' mean cost: the same costs and θ as "
            "mlp.optim's minibatch descent, on networks and data it had never seen.")


# --- Exercise 7.3: what an epoch costs ------------------------------------------------------------

def _evaluations(n: int, batch: int, num_steps: int) -> int:
    epochs, rest = divmod(num_steps, -(-n // batch))
    return epochs * n + rest * batch


@exercise("7.3", "gradient_evaluations", answer=("mlp.optim.Descent",), uses=(),
          task="count the per-sample gradients of the steps yourself")
def check_gradient_evaluations(t, gradient_evaluations):
    """gradient_evaluations(N, B, num_steps) must return how many per-sample gradients ∇𝓛_j the first num_steps
    steps of minibatch SGD (the rule of Exercise 7.2) evaluate, as an int."""
    n = int(t.rng.integers(50, 400))
    batch = _draw_sizes(t, n, 5, 40)
    per_epoch = -(-n // batch)
    cases = [(n, batch, int(t.rng.integers(2, 5)) * per_epoch + int(t.rng.integers(1, per_epoch))),
             (n, batch, int(t.rng.integers(1, per_epoch))), (n, batch, 3 * per_epoch), (n, n, 7), (n, 1, n + 3),
             (n, batch, 0)]
    for n, batch, num_steps in cases:
        what = f"gradient_evaluations(N={n}, B={batch}, num_steps={num_steps})"
        got = t.call(gradient_evaluations, n, batch, num_steps, what=what)
        if isinstance(got, float) and got.is_integer():
            raise Wrong(f"{what} returned the float {got:g}: return an int (a count), e.g. with // instead of /")
        got = expect.integer(got, what)
        expected = _evaluations(n, batch, num_steps)
        if got == expected:
            continue
        floor_epochs, floor_rest = divmod(num_steps, max(n // batch, 1))
        slips = [
            (num_steps * batch, f"counts B = {batch} samples for every step, but the last batch of each epoch holds "
                                f"only {n % batch or batch}"),
            (num_steps * n, "counts all N samples for every step: a step evaluates only its batch"),
            (num_steps, "counts steps, not per-sample gradients: a step evaluates one gradient for each sample of "
                        "its batch"),
            (floor_epochs * n + floor_rest * batch, f"counts ⌊N/B⌋ = {n // batch} steps per epoch: the samples left "
                                                    "over form one more, smaller batch, one more step"),
        ]
        raise expect.miscounted(got, what, slips, f", expected {expected}: an epoch is ⌈N/B⌉ steps and evaluates each "
                                                  "sample once; count the full epochs first, then the steps left over")
    return "an epoch evaluates N per-sample gradients whatever B is; only the number of steps, ⌈N/B⌉, changes."


scoreboard = scoreboard_for(__name__)
