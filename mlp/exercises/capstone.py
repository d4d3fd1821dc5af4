"""Checks for notebook 06, the capstone: a training loop of one's own, and picking the step size τ.

Each check runs the student's function on small seeded setups, runs `mlp.train` (the oracle) on
the same setups, and prints "✔ Exercise 6.N: ..." or raises ExerciseError naming what is off:
a missing last cost, a summed instead of a mean cost, a step uphill, a step never taken, a
divergence not caught, a target ignored, a smaller τ where a larger one works.
"""
from __future__ import annotations

import copy

import numpy as np

from .. import data
from ..losses import SquaredError
from ..network import fully_connected
from ..optim import DivergenceError, train
from ._legacy import check_array, fail, passed
from .core import ExerciseError

__all__ = ["ExerciseError", "check_train_loop", "check_pick_step_size"]


def _wine_sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n seeded wines, features standardised: X (n, 11), y (n, 1)."""
    wine = data.load_wine_quality()
    rows = np.random.default_rng(seed).choice(len(wine.y), size=n, replace=False)
    X, _, _ = data.standardize(wine.X[rows])
    return X, wine.y[rows].reshape(-1, 1)


def _loop_setups():
    """(description, network, X, y, τ, steps): a small wine net and a 1-D tanh net."""
    X, y = _wine_sample(200, seed=1)
    yield "a [11, 8, 1] ReLU network on 200 wines", fully_connected([11, 8, 1], "relu", rng=1), X, y, 0.05, 12
    x, t = data.make_regression_1d(40, noise=0.1, rng=2)
    yield "a [1, 6, 6, 1] tanh network on 40 points of sin(2x)", fully_connected([1, 6, 6, 1], "tanh", rng=3), x, t, 0.1, 8


def check_train_loop(train_loop, label: str = "Exercise 6.1") -> None:
    """train_loop(model, X, y, step_size, num_steps) must train `model` in place by gradient descent
    on the mean squared error and return [E(θ(0)), …, E(θ(num_steps))], like mlp.train's history."""
    for description, model, X, y, tau, steps in _loop_setups():
        reference = copy.deepcopy(model)
        start = {name: p.copy() for name, p in model.params.items()}
        X_before = X.copy()
        with np.errstate(over="ignore", invalid="ignore"):  # a wrong loop may blow up; the check says why
            got = train_loop(model, X, y, tau, steps)
        expected = train(reference, SquaredError("mean"), X, y, tau, steps, progress=False).costs
        what = f"train_loop on {description} with τ = {tau:g} and {steps} steps"
        if not np.array_equal(X, X_before):
            fail(label, f"{what} changed X: the loop should only change the model's parameters")
        if got is None:
            fail(label, f"{what} returned None: did you forget to return the list of costs?")
        try:
            got = np.asarray(got, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            fail(label, f"{what} should return a list or array of numbers, got {type(got).__name__}")
        if len(got) == steps and np.allclose(got, expected[:-1]):
            fail(label, f"{what} returned {steps} costs, all right, but the last one is missing: after the "
                        f"last step record E(θ({steps})) too, so there are num_steps + 1 = {steps + 1} costs")
        if len(got) == steps and np.allclose(got, expected[1:]):
            fail(label, f"{what} returned the costs after each step: start with E(θ(0)), the cost before any step")
        if len(got) != steps + 1:
            fail(label, f"{what} returned {len(got)} costs; expected num_steps + 1 = {steps + 1}: "
                        f"E(θ(0)) before the first step and one more after each step")
        if np.isclose(got[0], expected[0] * len(X)):
            fail(label, f"{what} starts at E = {got[0]:.6g}, {len(X)} times too large: that is the summed "
                        "squared error; use the mean, mlp.SquaredError('mean')")
        check_array(label, got[:1], expected[:1], f"E(θ(0)) from {what}",
                    hint="Compute the cost of model.forward(X), with the model you were given, against y "
                         "with mlp.SquaredError('mean').")
        if all(np.array_equal(start[name], p) for name, p in model.params.items()):
            fail(label, f"{what} left the model's parameters unchanged: after model.backward(...) take the step "
                        "with mlp.GradientDescent(step_size).step(model), on the model you were given")
        if np.all(got[1:-1] == got[0]):
            fail(label, f"{what} returned the same cost {got[0]:.6g} for every step: run model.forward(X) and the "
                        "loss again in every step, so that backward sees the current θ")
        if got[1] > got[0] and expected[1] < expected[0]:
            fail(label, f"{what}: the cost grew in the first step ({got[0]:.6g} -> {got[1]:.6g}); gradient descent "
                        "steps against the gradient, θ ← θ − τ ∇E(θ)")
        check_array(label, got, expected, f"the costs from {what}",
                    hint="Per step: forward, loss, loss.backward(), model.backward(...), then one step of size τ.")
        for name, p in model.params.items():
            check_array(label, p, reference.params[name], f"parameter {name!r} after {what}",
                        hint="The costs are right, so check that exactly num_steps steps are taken.")
    passed(label, "your loop (forward, loss, backward, step) gives the same costs and the same final θ as mlp.train.")


def _outcome(sizes, X, y, tau: float, steps: int) -> float | None:
    """E(θ(steps))/N after training a fresh fully_connected(sizes, rng=0), or None if it diverged."""
    try:
        return float(train(fully_connected(sizes, rng=0), SquaredError("mean"), X, y, tau, steps, progress=False).costs[-1])
    except DivergenceError:
        return None


def _step_size_setups():
    """(sizes, X, y, candidates, num_steps, target) with different right answers and traps."""
    X, y = _wine_sample(400, seed=6)
    yield [11, 8, 1], X, y, [0.01, 0.05, 0.1, 0.2, 0.3], 50, 0.44
    yield [11, 16, 1], X, y, [0.03, 0.05, 0.1, 0.2, 0.5], 100, 0.52
    yield [11, 8, 1], X, y, [0.2, 0.1, 0.05], 20, 0.3


def check_pick_step_size(pick_step_size, label: str = "Exercise 6.2") -> None:
    """pick_step_size(sizes, X, y, candidates, num_steps, target) must return the largest τ in
    candidates for which mlp.train on a fresh fully_connected(sizes, rng=0) does not diverge and
    ends with E(θ(num_steps))/N <= target, or None when no candidate does."""
    summary = ""
    for sizes, X, y, candidates, steps, target in _step_size_setups():
        outcomes: dict[float, float | None] = {}

        def outcome(tau):
            if tau not in outcomes:
                outcomes[tau] = _outcome(sizes, X, y, tau, steps)
            return outcomes[tau]

        expected = next((tau for tau in sorted(candidates, reverse=True)
                         if outcome(tau) is not None and outcome(tau) <= target), None)
        what = f"pick_step_size({sizes}, X, y, candidates={candidates}, num_steps={steps}, target={target})"
        try:
            got = pick_step_size(sizes, X, y, list(candidates), steps, target)
        except DivergenceError:
            fail(label, f"{what} let mlp.DivergenceError escape: catch it (try: ... except mlp.DivergenceError: ...) "
                        "and go on with the next smaller candidate")
        if got is None and expected is None:
            continue
        if got is None:
            fail(label, f"{what} returned None, but τ = {expected:g} works: it ends at E/N = {outcome(expected):.4f} "
                        f"<= {target}. Did you return inside the loop only on the first candidate?")
        if isinstance(got, bool) or not isinstance(got, (int, float, np.number)) or float(got) not in candidates:
            fail(label, f"{what} returned {got!r}: return one of the candidates, a number such as {candidates[0]}")
        got = float(got)
        e = outcome(got)
        if e is None:
            fail(label, f"{what} returned τ = {got:g}, but training with it diverges (mlp.train raises "
                        "mlp.DivergenceError): catch the error and try the next smaller candidate")
        if e > target:
            fail(label, f"{what} returned τ = {got:g}: it does not diverge, but after {steps} steps E/N = {e:.4f} "
                        f"is above the target {target}. Not diverging is not enough: check the final cost too")
        if expected is not None and got < expected:
            fail(label, f"{what} returned τ = {got:g}, which works, but the larger candidate τ = {expected:g} works "
                        "too: try the candidates from the largest down and return the first that works")
        if not summary:
            failed = ", ".join(f"{t:g} {'diverges' if outcome(t) is None else f'ends at {outcome(t):.3f}'}"
                               for t in sorted(outcomes, reverse=True) if t > expected)
            summary = f" (first setup: τ = {expected:g}; {failed})"
    passed(label, f"pick_step_size returns the largest τ that reaches the target, or None{summary}.")
