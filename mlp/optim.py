"""Gradient descent θ(k+1) = θ(k) − τ ∇E(θ(k)), its variants, and a training loop that reports E(θ(k)).

`GradientDescent` is the step rule (with heavy-ball momentum as an option), `Descent` the state of
a run that takes one step at a time (full batch or minibatches), `train` the loop over it that
returns the History. Any layer works as a model (see `mlp.layers.Layer`): mlp's own, a
`Sequential`, or one of your own.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _validate
from ._validate import Seed
from .layers import Layer, backward_params
from .losses import Loss


class DivergenceError(ArithmeticError):
    """Gradient descent blew up: E(θ(k)) became NaN, infinite or grew without bound."""


class GradientDescent:
    """One step of gradient descent for every parameter of a model, in place.

    momentum μ = 0 (default): θ ← θ − τ ∇E(θ).
    momentum 0 < μ < 1 (heavy ball): v ← μ v − τ ∇E(θ), θ ← θ + v, with v = 0 before the first step.
    step_size is τ (also called the learning rate); call `step(model)` after `model.backward`.
    """

    def __init__(self, step_size: float, momentum: float = 0.0) -> None:
        self.step_size = _validate.positive(step_size, "step_size τ")
        if isinstance(momentum, bool) or not np.isscalar(momentum) or not np.isreal(momentum) or not 0 <= momentum < 1:
            raise ValueError(f"momentum μ must be a number with 0 <= μ < 1 (0 is plain gradient descent), got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity: dict[str, np.ndarray] = {}  # v for each parameter, once momentum has started

    def step(self, model: Layer) -> None:
        """Update each entry of model.params in place, using model.grads from the last backward."""
        params, grads = model.params, model.grads
        if params and not grads:
            raise RuntimeError("no gradients to step with: run the model's backward before optimizer.step")
        for name, theta in params.items():
            if name not in grads:
                raise RuntimeError(f"no gradient for parameter {name!r}: run the model's backward first")
            if self.momentum == 0:
                theta -= self.step_size * grads[name]
                continue
            v = self.velocity.get(name)
            if v is None:
                v = self.velocity[name] = np.zeros_like(theta)
            v *= self.momentum
            v -= self.step_size * grads[name]
            theta += v

    def __repr__(self) -> str:
        extra = f", momentum={self.momentum:g}" if self.momentum else ""
        return f"GradientDescent(step_size={self.step_size:g}{extra})"


@dataclass
class History:
    """What `train` saw: costs[k] = E(θ(k)) and grad_norms[k] = ‖∇E(θ(k))‖ for k = 0, 1, …, steps.

    `symbol` names the cost as the loss does ("E", or "E/N" for a mean). With minibatches, both
    are those of the batch that step k used.
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


ADVICE = "Try a smaller one (say, half of it), or standardise the features if their scales differ a lot."


def _diverged(k: int, what: str, tau: float) -> DivergenceError:
    """The one divergence message: step k names the iterate θ(k) whose cost or gradient blew up."""
    return DivergenceError(f"gradient descent diverged at step {k} ({what}): the step size τ = {tau:g} is too large. {ADVICE}")


class Descent:
    """Gradient descent on E(θ) = loss(model(X), y), one step at a time: the state of `train`.

    The model always holds θ(k) and the gradient ∇E(θ(k)) that the next step uses; `costs` and
    `grad_norms` hold E(θ(j)) and ‖∇E(θ(j))‖ for j = 0 … k, as the loss reports them (E, or E/N).

    batch_size=None: full batch, every step uses all N samples.
    batch_size=B: minibatches. At the start of each epoch `rng` (a seed or Generator) draws one
    permutation of the N samples; the steps of the epoch take its consecutive slices of B samples.
    The last, smaller batch of N mod B samples is kept, so an epoch is ⌈N/B⌉ steps and uses every
    sample once. E and ∇E of step k are then those of its batch: cheap, noisy estimates.
    momentum μ: heavy ball, v ← μ v − τ ∇E(θ(k)), θ(k+1) = θ(k) + v (see GradientDescent).
    Raises DivergenceError (and keeps it in `error`) once E(θ(k)) is NaN or infinite or exceeds
    `blowup` × E(θ(0)), or ‖∇E(θ(k))‖ overflows; stepping on after that raises it again.
    """

    def __init__(self, model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray, step_size: float,
                 batch_size: int | None = None, momentum: float = 0.0, rng: Seed = None,
                 blowup: float = 1e8) -> None:
        self.optimizer = GradientDescent(step_size, momentum)
        if isinstance(loss, type):
            raise TypeError(f"loss must be a loss object such as SquaredError(), got the class {loss.__name__}: add parentheses")
        self.blowup = _validate.positive(blowup, "blowup")
        self.model, self.loss = model, loss
        self.symbol = getattr(loss, "symbol", "E")
        # the data are checked once here: NaN or infinity in E later means that θ blew up
        X = _validate.finite(_validate.batch(X, "X", getattr(model, "n_in", None), owner="the model"), "X")
        self.X, self.y = X, y
        n = len(X)
        if batch_size is None:
            self.batch_size = n
        else:
            self.batch_size = _validate.count(batch_size, "batch_size")
            if len(y) != n:
                raise ValueError(f"X has {n} samples but y has {len(y)}")
        self.rng = np.random.default_rng(rng)
        self.steps_per_epoch = -(-n // self.batch_size)
        self._order: np.ndarray | None = None
        self.batch: np.ndarray | None = None  # indices of the samples of step k's batch (None: all of them)
        self.k, self.error = 0, None
        self._costs, self._norms = np.empty(1024), np.empty(1024)
        self._evaluate()

    @property
    def step_size(self) -> float:
        """τ of the next steps (it may be changed between steps)."""
        return self.optimizer.step_size

    @step_size.setter
    def step_size(self, value: float) -> None:
        self.optimizer.step_size = _validate.positive(value, "step_size τ")

    @property
    def momentum(self) -> float:
        return self.optimizer.momentum

    @property
    def epoch(self) -> int:
        """The epoch of step k (0 for the first ⌈N/B⌉ steps)."""
        return self.k // self.steps_per_epoch

    @property
    def costs(self) -> np.ndarray:
        """E(θ(0)), …, E(θ(k)) (after a divergence at step k, up to E(θ(k − 1))); a view, copy it to keep it."""
        return self._costs[:self.k + (self.error is None)]

    @property
    def grad_norms(self) -> np.ndarray:
        """‖∇E(θ(0))‖, …, ‖∇E(θ(k))‖, like `costs`."""
        return self._norms[:self.k + (self.error is None)]

    def cost(self) -> float:
        """E(θ(k)) as the loss reports it (the last finite one after a divergence)."""
        costs = self.costs
        return float(costs[-1]) if len(costs) else float("nan")

    def grad_norm(self) -> float:
        """‖∇E(θ(k))‖, the norm of all gradient entries together."""
        norms = self.grad_norms
        return float(norms[-1]) if len(norms) else float("nan")

    def step(self) -> None:
        """θ(k+1) from θ(k), then E(θ(k+1)) and its gradient; k grows by one. Raises DivergenceError."""
        if self.error is not None:
            raise self.error
        with np.errstate(over="ignore", invalid="ignore"):
            self.optimizer.step(self.model)
        self.k += 1
        self._evaluate()

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        if self.batch_size >= len(self.X):
            return self.X, self.y
        i = self.k % self.steps_per_epoch
        if i == 0:
            self._order = self.rng.permutation(len(self.X))
        self.batch = self._order[i * self.batch_size:(i + 1) * self.batch_size]
        return self.X[self.batch], self.y[self.batch]

    def _evaluate(self) -> None:
        """E(θ(k)) and ∇E(θ(k)) on step k's batch, with the test for divergence."""
        X, y = self._next_batch()
        with np.errstate(over="ignore", invalid="ignore"):
            cost = self.loss.forward(self.model.forward(X), y)
            if not np.isfinite(cost) or (self.k and cost > self.blowup * max(self._costs[0], 1e-300)):
                start = f", it started at {self.symbol} = {self._costs[0]:.3g}" if self.k else ""
                self._diverged(f"{self.symbol} = {cost:.3g}{start}")
            backward_params(self.model, self.loss.backward())
            norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in self.model.grads.values())))
            if not np.isfinite(norm):
                self._diverged(f"{_gradient_symbol(self.symbol)} overflowed to {norm} while {self.symbol} = {cost:.3g}")
        if self.k == len(self._costs):
            self._costs = np.concatenate([self._costs, np.empty_like(self._costs)])
            self._norms = np.concatenate([self._norms, np.empty_like(self._norms)])
        self._costs[self.k], self._norms[self.k] = cost, norm

    def _diverged(self, what: str) -> None:
        self.error = _diverged(self.k, what, self.step_size)
        raise self.error

    def __repr__(self) -> str:
        batch = "full batch" if self.batch_size >= len(self.X) else f"batches of {self.batch_size}"
        return (f"Descent(k={self.k}, {self.symbol} = {self.cost():.4g}, step_size={self.step_size:g}, {batch}"
                + (f", momentum={self.momentum:g}" if self.momentum else "") + ")")


def train(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray, step_size: float, num_steps: int,
          grad_tol: float | None = None, progress: str | int | bool = "auto",
          callback: Callable[[int, float], None] | None = None, every: int = 1,
          blowup: float = 1e8, batch_size: int | None = None, momentum: float = 0.0, rng: Seed = None) -> History:
    """Gradient descent on E(θ) = loss(model(X), y) for `num_steps` steps (a loop over `Descent`).

    Returns a History with E(θ(k)) and ‖∇E(θ(k))‖ for every iterate k = 0 … steps.
    grad_tol: stop early once ‖∇E(θ(k))‖ <= grad_tol (full batch only).
    progress: "auto" prints a line about once a second when a run takes longer than a second;
        an int n prints every n steps (deterministic, for notebooks); False prints nothing.
    callback: called as callback(k, E(θ(k))) at k = 0, every, 2·every, … and at the last iterate,
        while the model holds θ(k) (e.g. to measure a test cost along the way).
    batch_size, momentum, rng: minibatches of B samples shuffled by `rng`, and heavy-ball momentum μ,
        as in `Descent`; the defaults are full-batch gradient descent.
    Raises DivergenceError the moment E is NaN or infinite, or exceeds `blowup` × E(θ(0)).
    """
    num_steps = _validate.count(num_steps, "num_steps", minimum=0)
    every = _validate.count(every, "every")
    if grad_tol is not None:
        grad_tol = _validate.positive(grad_tol, "grad_tol")
        if batch_size is not None:
            raise ValueError("grad_tol needs the full gradient ∇E: leave batch_size out to use it")
    if progress is True or not (progress == "auto" or progress is False or (isinstance(progress, int) and progress > 0)):
        raise ValueError(f"progress must be 'auto', False or a positive number of steps, got {progress!r}")
    GradientDescent(step_size, momentum)  # bad arguments are reported before the data are checked
    descent = Descent(model, loss, X, y, step_size, batch_size=batch_size, momentum=momentum, rng=rng, blowup=blowup)
    symbol, gradient = descent.symbol, _gradient_symbol(descent.symbol)
    start = last_print = time.perf_counter()
    converged = False
    for k in range(num_steps + 1):
        if k:
            descent.step()
        cost, norm = descent.cost(), descent.grad_norm()
        converged = grad_tol is not None and norm <= grad_tol
        last = converged or k == num_steps
        now = time.perf_counter()
        if (progress is not False and progress != "auto" and k % progress == 0) or (
            progress == "auto" and now - last_print >= 1.0 and now - start >= 1.0
        ):
            print(f"step {k:>6}/{num_steps}   {symbol} = {cost:.6g}   {gradient} = {norm:.3g}", file=sys.stdout, flush=True)
            last_print = now
        if callback is not None and (k % every == 0 or last):
            callback(k, cost)
        if last:
            break
    return History(descent.costs.copy(), descent.grad_norms.copy(), converged, symbol)
