"""Gradient descent θ(k+1) = θ(k) − τ ∇E(θ(k)), and a training loop that reports E(θ(k)).

Any layer works as a model (see `mlp.layers.Layer`): mlp's own, a `Sequential`, or one of your own.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _validate
from .layers import Layer, backward_params
from .losses import Loss


class DivergenceError(ArithmeticError):
    """Gradient descent blew up: E(θ(k)) became NaN, infinite or grew without bound."""


class GradientDescent:
    """One step θ ← θ − τ ∇E(θ) for every parameter of a model, in place.

    step_size is τ (also called the learning rate); call `step(model)` after `model.backward`.
    """

    def __init__(self, step_size: float) -> None:
        self.step_size = _validate.positive(step_size, "step_size τ")

    def step(self, model: Layer) -> None:
        """θ ← θ − τ dE/dθ for each entry of model.params, using model.grads from the last backward."""
        params, grads = model.params, model.grads
        if params and not grads:
            raise RuntimeError("no gradients to step with: run the model's backward before optimizer.step")
        for name, theta in params.items():
            if name not in grads:
                raise RuntimeError(f"no gradient for parameter {name!r}: run the model's backward first")
            theta -= self.step_size * grads[name]

    def __repr__(self) -> str:
        return f"GradientDescent(step_size={self.step_size:g})"


@dataclass
class History:
    """What `train` saw: costs[k] = E(θ(k)) and grad_norms[k] = ‖∇E(θ(k))‖ for k = 0, 1, …, steps.

    `symbol` names the cost as the loss does ("E", or "E/N" for a mean).
    """

    costs: np.ndarray = field(repr=False)
    grad_norms: np.ndarray = field(repr=False)
    converged: bool = False
    symbol: str = "E"

    @property
    def gradient_symbol(self) -> str:
        """‖∇E‖, or ‖∇(E/N)‖ for a mean: the norm of the gradient of the cost that is reported."""
        return _gradient_symbol(self.symbol)

    @property
    def steps(self) -> int:
        """Number of gradient steps taken."""
        return len(self.costs) - 1

    def __repr__(self) -> str:
        verdict = "stopped at the gradient tolerance" if self.converged else "ran all steps"
        return (
            f"History({self.steps} steps, {self.symbol}: {self.costs[0]:.4g} -> {self.costs[-1]:.4g}, "
            f"{self.gradient_symbol}: {self.grad_norms[0]:.3g} -> {self.grad_norms[-1]:.3g}, {verdict})"
        )


def _gradient_symbol(symbol: str) -> str:
    return f"‖∇{symbol}‖" if "/" not in symbol else f"‖∇({symbol})‖"


def _grad_norm(grads: dict[str, np.ndarray]) -> float:
    """‖∇E‖: the Euclidean norm of all gradient entries together."""
    return float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))


ADVICE = "Try a smaller one (say, half of it), or standardise the features if their scales differ a lot."


def _diverged(k: int, what: str, tau: float) -> DivergenceError:
    return DivergenceError(f"gradient descent diverged at step {k} ({what}): the step size τ = {tau:g} is too large. {ADVICE}")


def train(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray, step_size: float, num_steps: int,
          grad_tol: float | None = None, progress: str | int | bool = "auto",
          callback: Callable[[int, float], None] | None = None, every: int = 1,
          blowup: float = 1e8) -> History:
    """Full-batch gradient descent on E(θ) = loss(model(X), y) for `num_steps` steps.

    Returns a History with E(θ(k)) and ‖∇E(θ(k))‖ for every iterate k = 0 … steps.
    grad_tol: stop early once ‖∇E(θ(k))‖ <= grad_tol.
    progress: "auto" prints a line about once a second when a run takes longer than a second;
        an int n prints every n steps (deterministic, for notebooks); False prints nothing.
    callback: called as callback(k, E(θ(k))) at k = 0, every, 2·every, … and at the last iterate,
        while the model holds θ(k) (e.g. to measure a test cost along the way).
    Raises DivergenceError the moment E is NaN or infinite, or exceeds `blowup` × E(θ(0)).
    """
    optimizer = GradientDescent(step_size)
    num_steps = _validate.count(num_steps, "num_steps", minimum=0)
    every = _validate.count(every, "every")
    if grad_tol is not None:
        grad_tol = _validate.positive(grad_tol, "grad_tol")
    if isinstance(loss, type):
        raise TypeError(f"loss must be a loss object such as SquaredError(), got the class {loss.__name__}: add parentheses")
    if progress is True or not (progress == "auto" or progress is False or (isinstance(progress, int) and progress > 0)):
        raise ValueError(f"progress must be 'auto', False or a positive number of steps, got {progress!r}")
    symbol = getattr(loss, "symbol", "E")
    # the data are checked once here, not at every step (mlp's layers and networks can skip the check)
    forward = model._run if hasattr(model, "_run") else model.forward
    if hasattr(model, "_run"):
        owner = "the network" if hasattr(model, "layers") else type(model).__name__
        X = _validate.finite(_validate.batch(X, "X", getattr(model, "n_in", None), owner=owner), "X")
    costs, norms = [], []
    start = last_print = time.perf_counter()
    converged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(num_steps + 1):
            cost = loss.forward(forward(X), y)
            if not np.isfinite(cost) or (costs and cost > blowup * max(costs[0], 1e-300)):
                start_text = f", it started at {symbol} = {costs[0]:.3g}" if costs else ""
                raise _diverged(k, f"{symbol} = {cost:.3g}{start_text}", optimizer.step_size)
            backward_params(model, loss.backward())
            costs.append(cost)
            norms.append(_grad_norm(model.grads))
            if not np.isfinite(norms[-1]):
                raise _diverged(k, f"{_gradient_symbol(symbol)} overflowed to {norms[-1]} while {symbol} = {cost:.3g}",
                                optimizer.step_size)
            converged = grad_tol is not None and norms[-1] <= grad_tol
            last = converged or k == num_steps
            now = time.perf_counter()
            if (progress is not False and progress != "auto" and k % progress == 0) or (
                progress == "auto" and now - last_print >= 1.0 and now - start >= 1.0
            ):
                print(f"step {k:>6}/{num_steps}   {symbol} = {cost:.6g}   {_gradient_symbol(symbol)} = {norms[-1]:.3g}",
                      file=sys.stdout, flush=True)
                last_print = now
            if callback is not None and (k % every == 0 or last):
                callback(k, cost)
            if last:
                break
            optimizer.step(model)
    return History(np.array(costs), np.array(norms), converged, symbol)
