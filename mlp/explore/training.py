"""Live training for the explorers: gradient descent one step at a time, and a loop that shows it.

`Trainer` holds a network and its data and takes full-batch gradient-descent steps
θ(k+1) = θ(k) − τ ∇E(θ(k)) with mlp's own pieces (the model's forward and backward, the loss,
`mlp.GradientDescent`), in exactly the order `mlp.train` does: after `advance(n)` the model holds
the θ(n) that `mlp.train(..., num_steps=n)` returns, and `costs` is train's History.costs. It stops with
mlp's `DivergenceError` (same test, same message) when gradient descent blows up.

`Player` runs a frame function over and over on the kernel's event loop (an asyncio task), so that
the kernel still answers the controls (Pause, sliders) between frames.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from ..layers import backward_params
from ..losses import SquaredError
from ..optim import DivergenceError, GradientDescent, _diverged


class Trainer:
    """Full-batch gradient descent on `model` for the data (X, y), stepped by `advance(n)`.

    State: `k` (steps taken), `costs` (E(θ(0)), …, E(θ(k)) as the loss reports them, e.g. E/N for
    SquaredError("mean"); after a divergence at step k, up to E(θ(k − 1))), `error` (the DivergenceError once gradient descent diverged, else None).
    The model always holds θ(k) and the gradient ∇E(θ(k)) the next step uses. `reset()` puts θ(0) back.
    """

    def __init__(self, model, X: np.ndarray, y: np.ndarray, tau: float, loss=None, blowup: float = 1e8) -> None:
        self.model, self.X, self.y = model, X, y
        self.loss = loss if loss is not None else SquaredError("mean")
        self.optimizer = GradientDescent(tau)
        self.blowup = blowup
        self.theta0 = {name: p.copy() for name, p in model.params.items()}
        self.reset()

    @property
    def tau(self) -> float:
        """The step size τ of the next steps."""
        return self.optimizer.step_size

    @tau.setter
    def tau(self, value: float) -> None:
        self.optimizer = GradientDescent(value)

    @property
    def symbol(self) -> str:
        return getattr(self.loss, "symbol", "E")

    def reset(self) -> None:
        """Back to θ(0) and k = 0 (the same network as at the start)."""
        for name, p in self.model.params.items():
            p[...] = self.theta0[name]
        self.k, self.error = 0, None
        self._costs = np.empty(1024)
        self._evaluate()

    def _evaluate(self) -> None:
        """E(θ(k)) and ∇E(θ(k)), with mlp.train's test for divergence."""
        with np.errstate(over="ignore", invalid="ignore"):
            cost = self.loss.forward(self.model.forward(self.X), self.y)
            start = self._costs[0] if self.k else None
            if not np.isfinite(cost) or (start is not None and cost > self.blowup * max(start, 1e-300)):
                text = f", it started at {self.symbol} = {start:.3g}" if start is not None else ""
                self.error = _diverged(self.k, f"{self.symbol} = {cost:.3g}{text}", self.tau)
                raise self.error
            backward_params(self.model, self.loss.backward())
            norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in self.model.grads.values())))
            if not np.isfinite(norm):
                self.error = _diverged(self.k, f"‖∇E‖ overflowed to {norm} while {self.symbol} = {cost:.3g}", self.tau)
                raise self.error
        if self.k == len(self._costs):
            self._costs = np.concatenate([self._costs, np.empty_like(self._costs)])
        self._costs[self.k] = cost

    @property
    def costs(self) -> np.ndarray:
        """E(θ(0)), …, E(θ(k)), as in mlp.train's History.costs (a view: copy it to keep it)."""
        return self._costs[:self.k + 1] if self.error is None else self._costs[:self.k]

    def advance(self, n: int = 1) -> None:
        """Take n gradient steps (raises DivergenceError, and keeps it in `error`, if E blows up)."""
        if self.error is not None:
            raise self.error
        for _ in range(n):
            with np.errstate(over="ignore", invalid="ignore"):
                self.optimizer.step(self.model)
            self.k += 1
            self._evaluate()

    @property
    def cost(self) -> float:
        """E(θ(k)), the cost of the network as it is now (the last finite one after a divergence)."""
        costs = self.costs
        return float(costs[-1]) if len(costs) else float("nan")


class Player:
    """Calls `frame()` again and again on the running asyncio loop until `stop()`, about `fps` times a second.

    Between frames it yields to the loop, so the kernel handles the messages that came in (a Pause
    click, a moved slider) before the next frame. `frames` counts the frames drawn since `start`.
    Without a running loop (plain Python), `start` says so and returns False.
    """

    def __init__(self, frame: Callable[[], bool], fps: float = 30.0) -> None:
        self.frame, self.period = frame, 1.0 / fps
        self.task: asyncio.Task | None = None
        self.frames, self.started = 0, 0.0

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> bool:
        if self.running:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                return False
            if not loop.is_running():
                return False
        self.frames, self.started = 0, time.perf_counter()
        self.task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            go_on = self.frame()
            self.frames += 1
            if not go_on:
                break
            await asyncio.sleep(max(0.002, self.period - (time.perf_counter() - start)))
        self.task = None

    def fps(self) -> float:
        """Frames per second since `start`."""
        seconds = time.perf_counter() - self.started
        return self.frames / seconds if seconds > 0 else 0.0


class StepBudget:
    """How many gradient steps fit into one frame: as many as take about `seconds` (1 at least, `most` at most)."""

    def __init__(self, seconds: float = 0.012, most: int = 2000) -> None:
        self.seconds, self.most = seconds, most
        self.per_step: float | None = None

    def steps(self) -> int:
        if self.per_step is None:
            return 1
        return int(min(self.most, max(1, self.seconds / self.per_step)))

    def measured(self, steps: int, seconds: float) -> None:
        if steps:
            now = seconds / steps
            self.per_step = now if self.per_step is None else 0.7 * self.per_step + 0.3 * now


__all__ = ["DivergenceError", "Player", "StepBudget", "Trainer"]
