"""Gradient descent θ(k+1) = θ(k) − τ ∇E(θ(k)), and a training loop that reports E(θ(k)).

Anything with `params` and `grads` dicts of equal keys works as a model: a layer or a `Sequential`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import _validate


class DivergenceError(ArithmeticError):
    """Gradient descent blew up: E(θ(k)) became NaN, infinite or grew without bound."""


class GradientDescent:
    """One step θ ← θ − τ ∇E(θ) for every parameter of a model, in place.

    step_size is τ (also called the learning rate); call `step(model)` after `model.backward`.
    """

    def __init__(self, step_size: float) -> None:
        self.step_size = _validate.positive(step_size, "step_size τ")

    def step(self, model) -> None:
        """θ ← θ − τ dE/dθ for each entry of model.params, using model.grads from the last backward."""
        params, grads = model.params, model.grads
        if not grads:
            raise RuntimeError("no gradients to step with: run the model's backward before optimizer.step")
        for name, theta in params.items():
            if name not in grads:
                raise RuntimeError(f"no gradient for parameter {name!r}: run the model's backward first")
            theta -= self.step_size * grads[name]

    def __repr__(self) -> str:
        return f"GradientDescent(step_size={self.step_size:g})"


@dataclass
class History:
    """What `train` saw: costs[k] = E(θ(k)) and grad_norms[k] = ‖∇E(θ(k))‖ for k = 0, 1, …, steps."""

    costs: np.ndarray = field(repr=False)
    grad_norms: np.ndarray = field(repr=False)
    converged: bool = False

    @property
    def steps(self) -> int:
        """Number of gradient steps taken."""
        return len(self.costs) - 1

    def __repr__(self) -> str:
        verdict = "stopped at the gradient tolerance" if self.converged else "ran all steps"
        return (
            f"History({self.steps} steps, E: {self.costs[0]:.4g} -> {self.costs[-1]:.4g}, "
            f"‖∇E‖: {self.grad_norms[0]:.3g} -> {self.grad_norms[-1]:.3g}, {verdict})"
        )


def _grad_norm(grads: dict[str, np.ndarray]) -> float:
    """‖∇E‖: the Euclidean norm of all gradient entries together."""
    return float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))


def _diverged(k: int, cost: float, first: float, tau: float) -> DivergenceError:
    return DivergenceError(
        f"gradient descent diverged at step {k} (E = {cost:.3g}, it started at E = {first:.3g}): "
        f"the step size τ = {tau:g} is too large. Try a smaller one, e.g. τ < 2/L with L the largest "
        "eigenvalue of the Hessian of E; if the features have very different scales, standardise them first."
    )


def train(model, loss, X, y, step_size: float, num_steps: int, grad_tol: float | None = None,
          progress="auto", blowup: float = 1e8) -> History:
    """Full-batch gradient descent on E(θ) = loss(model(X), y) for `num_steps` steps.

    Returns a History with E(θ(k)) and ‖∇E(θ(k))‖ for every iterate k = 0 … steps.
    grad_tol: stop early once ‖∇E(θ(k))‖ <= grad_tol.
    progress: "auto" prints a line about once a second when a run takes longer than a second;
        an int n prints every n steps (deterministic, for notebooks); False prints nothing.
    Raises DivergenceError the moment E is NaN or infinite, or exceeds `blowup` × E(θ(0)).
    """
    optimizer = GradientDescent(step_size)
    num_steps = _validate.count(num_steps, "num_steps", minimum=0)
    if grad_tol is not None:
        grad_tol = _validate.positive(grad_tol, "grad_tol")
    if isinstance(loss, type):
        raise TypeError(f"loss must be a loss object such as SquaredError(), got the class {loss.__name__}: add parentheses")
    if progress is True or not (progress == "auto" or progress is False or (isinstance(progress, int) and progress > 0)):
        raise ValueError(f"progress must be 'auto', False or a positive number of steps, got {progress!r}")
    costs, norms = [], []
    start = last_print = time.perf_counter()
    converged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(num_steps + 1):
            cost = loss.forward(model.forward(X), y)
            if not np.isfinite(cost) or (costs and cost > blowup * max(costs[0], 1e-300)):
                raise _diverged(k, cost, costs[0] if costs else cost, optimizer.step_size)
            model.backward(loss.backward(), input_grad=False)
            costs.append(cost)
            norms.append(_grad_norm(model.grads))
            if not np.isfinite(norms[-1]):
                raise _diverged(k, norms[-1], costs[0], optimizer.step_size)
            now = time.perf_counter()
            if (progress is not False and progress != "auto" and k % progress == 0) or (
                progress == "auto" and now - last_print >= 1.0 and now - start >= 1.0
            ):
                print(f"step {k:>6}/{num_steps}   E = {cost:.6g}   ‖∇E‖ = {norms[-1]:.3g}", file=sys.stdout, flush=True)
                last_print = now
            if grad_tol is not None and norms[-1] <= grad_tol:
                converged = True
                break
            if k < num_steps:
                optimizer.step(model)
    return History(np.array(costs), np.array(norms), converged)
