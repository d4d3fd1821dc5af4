"""Live training for the explorers: gradient steps a few at a time, and a loop that shows them.

The steps are the engine's (`mlp.optim.Descent`: one step, one divergence test, one message, as
`mlp.train` takes them); `advance` takes n of them and turns a divergence into its message.
`Player` runs a frame function over and over on the kernel's event loop (an asyncio task), so that
the kernel still answers the controls (Pause, sliders) between frames. `StepBudget` says how many
steps fit into one frame.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ..optim import Descent, DivergenceError


def advance(descent: Descent, n: int) -> str | None:
    """Take n steps of `descent` (fewer if it diverges); the DivergenceError's message, or None."""
    try:
        for _ in range(n):
            descent.step()
    except DivergenceError as error:
        return str(error)
    return None


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


__all__ = ["Player", "StepBudget", "advance"]
