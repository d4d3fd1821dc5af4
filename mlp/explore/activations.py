"""Notebook 03's explorer of 1-D fully connected networks (the kinks themselves are `mlp.kinks`)."""
from __future__ import annotations

import html
import time
from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from .. import _validate
from ..data import make_regression_1d
from ..kinks import fit_output_layer, is_piecewise_linear, slope_changes, spread_units
from ..layers import ACTIVATIONS
from ..losses import SquaredError
from ..network import Sequential, fully_connected
from ..optim import Descent
from ..regression import cost, fit_least_squares
from . import Explorer
from .training import Player, StepBudget, advance

FITS = {"least squares": "output layer only, least squares",
        "gradient descent": "all layers, gradient descent"}


def _nice(value: float) -> float:
    """The first of 1, 2, 5, 10, 20, … at least `value`."""
    step = 1.0
    while step < value:
        step *= 2.5 if str(int(step)).startswith("2") else 2
    return step


class ActivationExplorer(Explorer):
    """Choose the activation, the hidden width, the number of hidden layers, the target and how the
    network is fitted; see the network function and the pieces it adds up.

    The network is fully_connected([1, width, …, width, 1], activation), seeded, with every hidden
    unit's switch point moved to a random input in [−3, 3] (`spread_units`). Then, with fit:
    - "least squares" (instant): the hidden layers keep those random weights and only the output
      layer is fitted, by least squares on the hidden units' outputs with a small ridge penalty that keeps
      the pieces from cancelling in huge numbers (`fit_output_layer`). This is not
      how networks are trained; it shows what shapes the hidden units can add up to.
    - "gradient descent" (live): every layer is trained from that random start by full-batch gradient
      descent on the mean squared error (τ = `step_size` = 0.02, `steps` = 3000 steps: `mlp.optim.Descent`,
      as `mlp.train` takes them); the picture follows the training step by step.
    """

    title = "Activations and fully connected networks"
    figsize = (10.0, 4.0)
    widths = (1, 2, 4, 8, 16, 32)
    lo, hi = -5.0, 5.0   # the plotted inputs; the data live on [−3, 3]
    step_size, steps = 0.02, 3000

    def __init__(self, activation: str = "relu", width: int = 8, layers: int = 1, target: str = "sine",
                 fit: str = "least squares") -> None:
        style = {"description_width": "initial"}
        controls = {
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation σ",
                                           style=style, layout=widgets.Layout(width="210px")),
            "width": widgets.SelectionSlider(options=self.widths, value=width, description="hidden width", style=style),
            "layers": widgets.IntSlider(value=layers, min=1, max=3, description="hidden layers", style=style),
            "target": widgets.Dropdown(options=["sine", "abs", "step"], value=target, description="target", style=style,
                                       layout=widgets.Layout(width="150px")),
            "fit": widgets.ToggleButtons(options=[(label, key) for key, label in FITS.items()], value=fit,
                                         description="fit", style={"description_width": "initial", "button_width": "240px"}),
        }
        self.player = Player(self._frame)
        self.budget = StepBudget()
        self.descent: Descent | None = None
        super().__init__(controls, rows=[["activation", "width", "layers", "target"], ["fit"]])

    # --- the logic ----------------------------------------------------------------------------

    def _start(self, activation: str, width: int, layers: int, target: str, fit: str, seed: int = 0):
        """The seeded network for these settings, before any fitting, and the data."""
        if width not in self.widths:
            raise ValueError(f"width must be one of {self.widths}, got {width!r}")
        if fit not in FITS:
            raise ValueError(f"fit must be one of {', '.join(map(repr, FITS))}, got {fit!r}")
        layers = _validate.count(layers, "layers")
        rng = np.random.default_rng(seed)
        x, y = make_regression_1d(80, noise=0.1, rng=0, kind=target)
        model = fully_connected([1] + [width] * layers + [1], activation, rng=rng)
        spread_units(model, -3.0, 3.0, rng)
        return model, x, y

    def compute(self, activation: str = "relu", width: int = 8, layers: int = 1, target: str = "sine",
                fit: str = "least squares", seed: int = 0, steps: int | None = None) -> dict:
        """Build and fit the network for these settings; return what the figure and status line need.

        fit "gradient descent" trains `steps` steps (default `self.steps`) at once. Keys: x, y (the data,
        (80, 1)), truth_x, truth_y (the noise-free target on [−3, 3]), grid (G,), f (N on the grid, (G,)),
        pieces (G, width): the output-weighted last hidden units θ^L_w,j h_j(x), cost and linear_cost
        (E/N of the network and of the best straight line), n_params, kinks (positions of the slope
        changes in [lo, hi] for piecewise-linear activations, None otherwise), k (gradient steps taken,
        0 for least squares), error (a DivergenceError's message or None), the model and the settings.
        """
        model, x, y = self._start(activation, width, layers, target, fit, seed)
        if fit == "least squares":
            fit_output_layer(model, x, y)
            return self._state(model, x, y, activation, width, layers, target, fit)
        descent = Descent(model, SquaredError("mean"), x, y, self.step_size)
        error = advance(descent, self.steps if steps is None else steps)
        return self._state(model, x, y, activation, width, layers, target, fit, descent.k, error)

    def _state(self, model, x, y, activation, width, layers, target, fit, k: int = 0, error: str | None = None) -> dict:
        truth_x, truth_y = _truth(target)
        grid = np.linspace(self.lo, self.hi, 501)
        with np.errstate(over="ignore", invalid="ignore"):
            hidden = Sequential(model.layers[:-1]).forward(grid[:, None])
            out = model.layers[-1].params
            f = hidden @ out["weight"][0] + out["bias"][0]
            cost = SquaredError("mean").forward(model.forward(x), y)
        finite = error is None and np.all(np.isfinite(f))
        return {
            "activation": activation, "width": width, "layers": layers, "target": target, "fit": fit,
            "x": x, "y": y, "truth_x": truth_x, "truth_y": truth_y,
            "grid": grid, "f": f, "pieces": hidden * out["weight"][0],
            "cost": cost, "linear_cost": _linear_cost(target),
            "n_params": model.n_params, "k": k, "error": error,
            "kinks": slope_changes(model, self.lo, self.hi, num=5_001) if is_piecewise_linear(activation) and finite else None,
            "model": model,
        }

    # --- live gradient descent ----------------------------------------------------------------

    def update(self, moved: frozenset[str] = frozenset()) -> None:
        """Recompute for the controls' values; with gradient descent, start training from k = 0 and follow it."""
        self.player.stop()
        values = self.values()
        start = time.perf_counter()
        if values["fit"] == "least squares":
            self.descent = None
            self.result = self.compute(**values)
        else:
            model, x, y = self._start(**values)
            self.descent = Descent(model, SquaredError("mean"), x, y, self.step_size)
            self.error = None
            self.result = self._state(model, x, y, **values)
        self.last_compute_seconds = time.perf_counter() - start
        self.show()
        if self.descent is not None and not self.player.start():
            self._finish()  # no running event loop (plain Python): train at once

    def _finish(self) -> None:
        self._advance(self.steps - self.descent.k)
        self.show()

    def _advance(self, n: int) -> None:
        self.error = advance(self.descent, n) or self.error
        d = self.descent
        self.result = self._state(d.model, d.X, d.y, **self.values(), k=d.k, error=self.error)

    def _frame(self) -> bool:
        n = min(self.budget.steps(), self.steps - self.descent.k)
        start = time.perf_counter()
        self._advance(n)
        self.budget.measured(n, time.perf_counter() - start)
        going = self.descent.k < self.steps and self.error is None
        self.show(moving=going)  # the last picture is a sharp PNG
        return going

    # --- the picture --------------------------------------------------------------------------

    def build(self, fig) -> None:
        self.left, self.right = left, right = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, top=0.84, bottom=0.25, wspace=0.25)
        for ax in (left, right):
            ax.axvspan(-3, 3, color="0.93", zorder=0, label="where the data are")
            ax.set_xlim(self.lo, self.hi)
            ax.set_xlabel("input x (dimensionless)")
        self.points = left.scatter([], [], s=10, color="0.4", label="training data", zorder=2)
        (self.truth,) = left.plot([], [], "--", color="0.2", lw=1, label="target without noise", zorder=2)
        (self.curve,) = left.plot([], [], color="C0", lw=2, label="network N(x; θ)", zorder=3)
        (self.kinks,) = left.plot([], [], "|", color="C3", ms=10, mew=1.5, label="kinks", zorder=4)
        fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=10, frameon=False)
        left.set_title("Network function and the data")
        left.set_ylabel("output (dimensionless)")
        self.piece_lines = right.plot(np.full((2, max(self.widths)), np.nan), lw=1)
        right.set_title("Its pieces: last hidden units × output weights")
        right.set_ylabel("$\\theta^L_{w,j}\\, h_j(x)$ (dimensionless)")
        self.heading = fig.text(0.5, 0.975, "", ha="center", va="top", fontsize=10)
        self.view.animate(self.curve, self.kinks, self.heading, *self.piece_lines)

    def draw(self, result: dict) -> None:
        low, high = result["y"].min(), result["y"].max()
        finite = result["pieces"][np.isfinite(result["pieces"])]
        reach = _nice(float(np.abs(finite).max()) * 1.05) if finite.size else 1.0
        self.view.track(self.left, result["target"])
        self.view.track(self.right, reach)
        # the unchanging parts of these versions: the data, the target, both y-ranges
        self.points.set_offsets(np.column_stack([result["x"][:, 0], result["y"][:, 0]]))
        self.truth.set_data(result["truth_x"], result["truth_y"])
        self.left.set_ylim(low - 1.0, high + 1.0)
        self.right.set_ylim(-reach, reach)
        # what moves
        self.curve.set_data(result["grid"], result["f"])
        kinks = result["kinks"] if result["kinks"] is not None else np.array([])
        self.kinks.set_data(kinks, np.interp(kinks, result["grid"], result["f"]) if len(kinks) else kinks)
        pieces = result["pieces"]
        for j, line in enumerate(self.piece_lines):
            line.set_visible(j < pieces.shape[1])
            if j < pieces.shape[1]:
                line.set_data(result["grid"], pieces[:, j])
        if result["fit"] == "least squares":
            heading = ("Fitted, not trained: random hidden layers (switch points on the data), "
                       "output layer by least squares with a small ridge")
        else:
            heading = (f"Trained by gradient descent, all layers: step k = {result['k']:,} of {self.steps:,} "
                       f"(τ = {self.step_size}), E/N = {result['cost']:.4g}")
        self.heading.set_text(heading)
        self.heading.set_color("tab:red" if result["error"] else "black")

    def summary(self, result: dict) -> str:
        layers = "1 hidden layer" if result["layers"] == 1 else f"{result['layers']} hidden layers"
        kinks = "" if result["kinks"] is None else f"; <b>{len(result['kinks'])}</b> kinks in [−5, 5]"
        how = ("output layer fitted by least squares (small ridge), hidden layers random" if result["fit"] == "least squares" else
               f"gradient descent step k = {result['k']:,} of {self.steps:,}")
        text = (
            f"<b>{result['activation']}</b>, {layers} of {result['width']} units ({result['n_params']} parameters), "
            f"{how}: training cost E/N = <b>{result['cost']:.4f}</b> (best straight line: {result['linear_cost']:.4f}){kinks}"
        )
        if result["error"]:
            text += f"<br><span style='color:#b00020'><b>DivergenceError</b>: {html.escape(result['error'])}</span>"
        return text


@lru_cache(maxsize=None)
def _truth(target: str) -> tuple[np.ndarray, np.ndarray]:
    truth_x, truth_y = make_regression_1d(400, noise=0.0, rng=1, kind=target)
    return truth_x[:, 0], truth_y[:, 0]


@lru_cache(maxsize=None)
def _linear_cost(target: str) -> float:
    """E/N of the best straight line through the target's data (least squares)."""
    x, y = make_regression_1d(80, noise=0.1, rng=0, kind=target)
    return cost(x, y[:, 0], fit_least_squares(x, y[:, 0])) / len(x)
