"""The training playground: choose data and a network, press Play, and watch gradient descent train it.

    from mlp.explore.playground import Playground
    Playground()                         # as the last expression of a notebook cell
    Playground(dataset="xor", layers=2, width=6, activation="tanh", tau=0.3)

Data: the 1-D targets of notebook 03 (`mlp.data.make_regression_1d`), two 2-D target surfaces fitted
by regression (XOR and a ring, targets ±1), and the wine quality from two features (standardised
alcohol and volatile acidity, `mlp.data.load_wine_quality`). The network is
`mlp.fully_connected([inputs, width, …, width, 1], activation)`, seeded; the cost is the mean squared
error E/N (`SquaredError("mean")`), so one step size τ suits every data set. Training is real: full-batch
gradient descent with `mlp.GradientDescent` (`mlp.explore.training.Trainer`, step for step what
`mlp.train` does), as many steps per frame as take about 12 ms, and every picture shows the
network at the step k it names: its diagram with the current weights, its function on the data,
E(θ(k))/N on a log axis.
"""
from __future__ import annotations

import html
import time
import weakref
from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import matplotlib
import matplotlib.ticker
import numpy as np

from .. import data as mlp_data
from ..layers import ACTIVATIONS, Linear
from ..losses import SquaredError
from ..network import fully_connected
from ..optim import DivergenceError
from ..plots import NetworkDiagram
from . import Explorer, control_class
from .training import Player, StepBudget, Trainer

DATASETS = {  # key -> the menu's label
    "sine": "1-D: y = sin(2x)",
    "abs": "1-D: y = |x| − 1",
    "step": "1-D: y = 1 for x > 0, else 0",
    "xor": "2-D: XOR, y = +1 where x₁·x₂ > 0, else −1",
    "ring": "2-D: ring, y = +1 where 1 < ‖x‖ < 2, else −1",
    "wine": "wine: quality from alcohol and volatile acidity",
}
WINE_FEATURES = ("alcohol", "volatile acidity")


@dataclass(frozen=True)
class PlaygroundData:
    """One data set of the playground.

    X (N, d) are the network's inputs (standardised for the wine), y (N, 1) the targets; shown (N, d)
    the inputs in the units the axes show (the wine's own units), extent ((lo, hi) per input, in
    those units), mean and std turn shown units into network inputs. y_limits bound the plotted
    outputs or the colours; truth is (x, f(x)) without noise for a 1-D target, else None.
    """

    key: str
    label: str
    X: np.ndarray
    y: np.ndarray
    shown: np.ndarray
    input_names: tuple[str, ...]
    axis_labels: tuple[str, ...]
    extent: tuple[tuple[float, float], ...]
    y_limits: tuple[float, float]
    target_label: str
    mean: np.ndarray
    std: np.ndarray
    truth: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def dims(self) -> int:
        return self.X.shape[1]

    def inputs(self, shown: np.ndarray) -> np.ndarray:
        """Network inputs for points given in the shown units."""
        return (shown - self.mean) / self.std


def target_surface(kind: str, n: int = 240, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded 2-D regression data: X (n, 2) uniform on [−3, 3]², y (n, 1) = ±1.

    kind "xor": y = +1 where x₁·x₂ > 0 (first and third quadrant), else −1;
    kind "ring": y = +1 where 1 < ‖x‖ < 2, else −1.
    """
    rng = np.random.default_rng(rng)
    X = rng.uniform(-3, 3, size=(n, 2))
    if kind == "xor":
        inside = X[:, 0] * X[:, 1] > 0
    elif kind == "ring":
        radius = np.linalg.norm(X, axis=1)
        inside = (radius > 1) & (radius < 2)
    else:
        raise ValueError(f"unknown kind {kind!r}: choose 'xor' or 'ring'")
    return X, np.where(inside, 1.0, -1.0)[:, None]


@lru_cache(maxsize=None)
def load_dataset(key: str) -> PlaygroundData:
    """The playground's data set `key` (one of DATASETS), built once."""
    if key not in DATASETS:
        raise ValueError(f"unknown data set {key!r}: choose one of {', '.join(map(repr, DATASETS))}")
    label = DATASETS[key]
    if key in ("sine", "abs", "step"):
        x, y = mlp_data.make_regression_1d(80, noise=0.1, rng=0, kind=key)
        grid, f = mlp_data.make_regression_1d(400, noise=0.0, rng=1, kind=key)
        return PlaygroundData(key, label, x, y, x, ("x",), ("input x (dimensionless)",), ((-4.0, 4.0),),
                              (float(y.min()) - 0.7, float(y.max()) + 0.7), "output (dimensionless)",
                              np.zeros(1), np.ones(1), (grid[:, 0], f[:, 0]))
    if key in ("xor", "ring"):
        X, y = target_surface(key)
        return PlaygroundData(key, label, X, y, X, ("$x_1$", "$x_2$"),
                              ("input $x_1$ (dimensionless)", "input $x_2$ (dimensionless)"),
                              ((-3.0, 3.0), (-3.0, 3.0)), (-1.5, 1.5), "N(x; θ) and target y",
                              np.zeros(2), np.ones(2))
    wine = mlp_data.load_wine_quality()
    shown = np.stack([wine.feature(name) for name in WINE_FEATURES], axis=1)
    X, mean, std = mlp_data.standardize(shown)
    extent = tuple((float(c.min()), float(c.max())) for c in shown.T)
    return PlaygroundData(key, label, X, wine.y[:, None], shown, ("alcohol", "volatile\nacidity"),
                          tuple(wine.label(name) for name in WINE_FEATURES), extent, (3.0, 8.0),
                          "quality [score 0–10]", mean, std)


def make_network(sizes: list[int], activation: str, seed: int = 0):
    """fully_connected(sizes, activation, rng=seed) with the hidden layers' biases drawn from Normal(0, 1).

    mlp's Linear starts every bias at 0, so each first-layer unit would switch (kink, centre) at the
    origin; spread biases let the units start at different places of the data, as a random start should.
    """
    rng = np.random.default_rng(seed)
    model = fully_connected(sizes, activation, rng=rng)
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    for layer in linears[:-1]:
        layer.params["bias"][:] = rng.standard_normal(layer.n_out)
    return model


def _nice_horizon(k: int) -> int:
    """The x-axis end of the cost plot: 100, 200, 500, 1000, … (the first at least k)."""
    horizon = 100
    while horizon < k:
        horizon = horizon * 5 // 2 if str(horizon).startswith("2") else horizon * 2
    return horizon


class Playground(Explorer):
    """Data set, hidden layers (0–4), width (1–16), activation, step size τ; Play, Pause, Step, Reset.

    The logic needs no browser: `configure(...)` builds the seeded network for the controls' values,
    `step(n)` takes n gradient steps (the Trainer's `advance`), `reset()` goes back to θ(0), and
    `frame()` returns the data of the picture at the current step (what `draw` puts on screen).
    """

    title = "Training playground"
    longest_play = 900.0        # seconds: Play pauses by itself after this long (a forgotten tab keeps no kernel busy)
    _instances: "weakref.WeakSet[Playground]" = weakref.WeakSet()
    figsize = (12.8, 4.3)
    dpi = 80
    fps = 30.0
    grid_points = 56            # per axis of the 2-D heat map
    most_points_drawn = 1500    # of the cost curve

    def __init__(self, dataset: str = "sine", layers: int = 1, width: int = 8, activation: str = "tanh",
                 tau: float = 0.1, seed: int = 0, steps: int = 0) -> None:
        """`steps`: gradient steps taken before the first picture (a head start, e.g. for a saved notebook)."""
        style = {"description_width": "initial"}
        if dataset not in DATASETS:
            raise ValueError(f"unknown data set {dataset!r}: choose one of {', '.join(map(repr, DATASETS))}")
        controls = {
            "dataset": widgets.Dropdown(options=[(label, key) for key, label in DATASETS.items()], value=dataset,
                                        description="data", style=style, layout=widgets.Layout(width="360px")),
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation σ",
                                           style=style, layout=widgets.Layout(width="220px")),
            "tau": widgets.FloatLogSlider(value=tau, base=10, min=-3, max=0.5, step=0.05, description="step size τ",
                                          readout_format=".3g", style=style),
            "layers": widgets.IntSlider(value=layers, min=0, max=4, description="hidden layers", style=style),
            "width": widgets.IntSlider(value=width, min=1, max=16, description="width", style=style),
        }
        self.seed = seed
        self.buttons = {}
        for name, icon, tip in (("play", "play", "train: gradient steps, about 30 pictures a second"),
                                ("pause", "pause", "stop training"),
                                ("step", "step-forward", "one gradient step"),
                                ("reset", "undo", "back to the start θ(0), k = 0")):
            button = widgets.Button(description=name.capitalize(), icon=icon, tooltip=tip,
                                    layout=widgets.Layout(width="90px"))
            button.add_class(f"mlp-button-{name}")
            self.buttons[name] = button
        self.player = Player(self._frame, fps=self.fps)
        self.budget = StepBudget(seconds=0.008)
        self.message = ""
        self.configure(dataset=dataset, layers=layers, width=width, activation=activation, tau=tau)
        if steps:
            self.step(steps)
        super().__init__(controls, rows=[["dataset", "activation", "tau"], ["layers", "width"]],
                         extra=[widgets.HBox(list(self.buttons.values()))])
        self.widget.add_class("mlp-playground")
        for name, action in (("play", self.play), ("pause", self.pause), ("step", self.step_button),
                             ("reset", self.reset)):
            self.on_click(self.buttons[name], action)
        for other in list(Playground._instances):  # e.g. the playground of a cell run again, no longer on screen
            other.pause()
        Playground._instances.add(self)
        self._enable()

    # --- the logic (no browser needed) ---------------------------------------------------------

    def configure(self, dataset: str, layers: int, width: int, activation: str, tau: float) -> None:
        """A new seeded network for these settings, at step k = 0."""
        self.data = load_dataset(dataset)
        self.activation = activation
        self.sizes = [self.data.dims] + [width] * layers + [1]
        self.model = make_network(self.sizes, activation, self.seed)
        self.trainer = Trainer(self.model, self.data.X, self.data.y, tau, loss=SquaredError("mean"))

    def step(self, n: int = 1) -> None:
        """n gradient steps; a divergence stops training and its message is kept for the status line."""
        try:
            self.trainer.advance(n)
        except DivergenceError as error:
            self.message = str(error)

    def reset(self) -> None:
        """Back to θ(0) of the same network (training paused)."""
        self.pause()
        self.trainer.reset()
        self.message = ""
        self._enable()
        self.show()

    def frame(self) -> dict:
        """What the picture shows now: the step k, the costs so far, the weights and the network function.

        Keys: dataset, sizes, activation, tau, k, costs (E(θ(0)) … E(θ(k)) / N), weights (θ_w^i, copies),
        grid and outputs (1-D: N on the grid (G,); 2-D: on a G × G grid of the shown inputs), error.
        """
        d = self.data
        if d.dims == 1:
            grid = np.linspace(*d.extent[0], 400)
            with np.errstate(over="ignore", invalid="ignore"):
                outputs = self.model.forward(d.inputs(grid[:, None]))[:, 0]
        else:
            g1 = np.linspace(*d.extent[0], self.grid_points)
            g2 = np.linspace(*d.extent[1], self.grid_points)
            grid = np.stack(np.meshgrid(g1, g2), axis=-1).reshape(-1, 2)
            with np.errstate(over="ignore", invalid="ignore"):
                outputs = self.model.forward(d.inputs(grid))[:, 0].reshape(self.grid_points, self.grid_points)
        weights = [layer.params["weight"].copy() for layer in self.model.layers if isinstance(layer, Linear)]
        return {"dataset": d.key, "sizes": list(self.sizes), "activation": self.activation, "tau": self.trainer.tau,
                "k": self.trainer.k, "costs": self.trainer.costs.copy(), "weights": weights, "grid": grid,
                "outputs": outputs, "error": self.message or None}

    # --- the controls -------------------------------------------------------------------------

    def update(self, moved: frozenset[str] = frozenset()) -> None:
        """Controls moved: τ applies to the next steps; any other control starts a new network at k = 0."""
        values = self.values()
        if moved == {"tau"}:
            self.trainer.tau = values["tau"]
            if self.trainer.error is not None:  # a new τ after a divergence: start again with it
                self.trainer.reset()
                self.message = ""
        elif moved:
            self.configure(**values)
            self.message = ""
        self._enable()
        self.show()

    def _enable(self) -> None:
        """Width and activation mean nothing without hidden layers; Play and Step nothing after a divergence."""
        if not hasattr(self, "controls"):
            return
        hidden = self.controls["layers"].value > 0
        self.controls["width"].disabled = not hidden
        self.controls["activation"].disabled = not hidden
        diverged = self.trainer.error is not None
        self.buttons["play"].disabled = diverged or self.player.running
        self.buttons["step"].disabled = diverged
        self.buttons["pause"].disabled = not self.player.running

    def play(self) -> None:
        """Train and show about `fps` pictures a second until Pause (needs a running Jupyter kernel)."""
        if self.trainer.error is not None:
            return
        for other in list(Playground._instances):  # one playground trains at a time: they share the kernel
            if other is not self:
                other.pause()
        if not self.player.start():
            self.message = "Play needs a running Jupyter kernel (an asyncio loop); Step works anywhere."
            self.show()
            return
        self._enable()

    def pause(self) -> None:
        was_playing = self.player.running
        self.player.stop()
        self._enable()
        if was_playing:
            self.show()  # the still picture as a sharp PNG

    def step_button(self) -> None:
        """One gradient step (pauses first)."""
        self.pause()
        self.step(1)
        self._enable()
        self.show()

    def _frame(self) -> bool:
        """One frame of Play: as many steps as fit the budget, then the picture. False stops the loop."""
        n = self.budget.steps()
        start = time.perf_counter()
        self.step(n)
        trained = time.perf_counter()
        self.budget.measured(n, trained - start)
        if self.player.running and time.perf_counter() - self.player.started > self.longest_play:
            self.player.task = None
            self.show()
            self.status.value += (f" &nbsp;|&nbsp; paused after {self.longest_play / 60:.0f} minutes of play: "
                                  "press Play to go on")
            return False
        self.show(moving=True)
        self.frame_seconds = {"train": trained - start, "draw": self.last_render_seconds, "send": self.last_send_seconds}
        if self.trainer.error is not None:
            self.player.task = None
            self._enable()
            return False
        return True

    status_period = 0.25  # seconds: while playing, the status line is sent at most this often (the picture shows k)

    def show(self, moving: bool = False) -> None:
        """The picture and status line of the current step (and the buttons that make sense now)."""
        self.result = self.frame()
        self._enable()
        if not moving:
            super().show()
            self._status_sent = time.perf_counter()
            return
        start = time.perf_counter()
        picture = self.render(self.result, "jpeg")
        drawn = time.perf_counter()
        with self.image.hold_sync():
            self.image.format = "jpeg"
            self.image.value = picture
        if drawn - getattr(self, "_status_sent", 0.0) >= self.status_period:
            self.status.value = self.summary(self.result)
            self._status_sent = drawn
        self.last_render_seconds, self.last_send_seconds = drawn - start, time.perf_counter() - drawn

    def compute(self, **values) -> dict:
        """The picture's data for these settings at k = 0 (a fresh network; the playground's own state is kept)."""
        keep = (self.data, self.activation, self.sizes, self.model, self.trainer, self.message)
        try:
            self.configure(**values)
            self.message = ""
            return self.frame()
        finally:
            self.data, self.activation, self.sizes, self.model, self.trainer, self.message = keep

    # --- the picture --------------------------------------------------------------------------

    def build(self, fig) -> None:
        # fixed positions (figure fractions): no layout engine runs, ever
        self.ax_net = fig.add_axes((0.005, 0.06, 0.36, 0.76))
        self.ax_fun = fig.add_axes((0.42, 0.14, 0.225, 0.72))
        self.ax_bar = fig.add_axes((0.655, 0.14, 0.009, 0.72))
        self.ax_cost = fig.add_axes((0.77, 0.14, 0.215, 0.72))
        # the header: labels drawn once, only the numbers in every picture (a whole line of text costs ~4 ms)
        style = dict(va="baseline", fontsize=12, weight="bold")
        self.header_labels = [fig.text(x, 0.945, label, ha="left", **style)
                              for x, label in ((0.01, "step k ="), (0.19, "E(θ(k))/N ="), (0.4, "τ ="))]
        self.header_numbers = [self.view.animate(fig.text(0, 0.945, "", ha="left", **style)) for _ in self.header_labels]
        self._header_placed = False
        self._drawn_net = self._drawn_data = None
        self.diagram = None
        ax = self.ax_cost
        (self.cost_line,) = ax.plot([], [], color="tab:blue", lw=1.5)
        (self.cost_dot,) = ax.plot([], [], "o", color="tab:blue", ms=4)
        self.diverged_text = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                                     color="tab:red", fontsize=13, weight="bold")
        self.view.animate(self.cost_line, self.cost_dot, self.diverged_text)
        ax.set_yscale("log")
        ax.set_title("Training cost, mean squared error")
        ax.set_xlabel("gradient step k")
        ax.set_ylabel("E(θ(k)) / N  (log scale)")
        ax.grid(True, which="major", color="0.9")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"))
        self._limits = None

    def _draw_network(self, result: dict) -> None:
        key = (tuple(result["sizes"]), result["activation"], result["dataset"])
        self.view.track(self.ax_net, key)
        if key == self._drawn_net:
            self.diagram.update(result["weights"])
            return
        if self.diagram is not None:
            self.view.forget(*self.diagram.edges)
        self.ax_net.clear()
        names = list(self.data.input_names)
        self.diagram = NetworkDiagram(self.ax_net, self.model, max_neurons=8, input_names=names)
        self.ax_net.set_title(f"Network {result['sizes']}: edges are its weights θ_w at step k (blue +, orange −)",
                              fontsize=9)
        self.diagram.update(result["weights"])
        self.view.animate(*self.diagram.edges)
        self._drawn_net = key

    def _draw_function(self, result: dict) -> None:
        d = self.data
        self.view.track(self.ax_fun, d.key)
        self.view.track(self.ax_bar, d.key)
        if d.key != self._drawn_data:
            for artist in getattr(self, "_function_artists", []):
                self.view.forget(artist)
            self.ax_fun.clear()
            self.ax_bar.clear()
            ax = self.ax_fun
            if d.dims == 1:
                ax.axvspan(-3, 3, color="0.94", zorder=0, label="where the data are")
                ax.scatter(d.X[:, 0], d.y[:, 0], s=10, color="0.35", zorder=2, label="training data")
                ax.plot(*d.truth, "--", color="0.35", lw=1, zorder=2, label="target without noise")
                (self.curve,) = ax.plot([], [], color="tab:red", lw=2, zorder=3, label="network N(x; θ(k))")
                self._function_artists = [self.view.animate(self.curve)]
                ax.set_xlim(*d.extent[0])
                ax.set_ylim(*d.y_limits)
                ax.set_xlabel(d.axis_labels[0])
                ax.set_ylabel(d.target_label)
                ax.legend(loc="upper left", fontsize=7, ncols=2, frameon=True, framealpha=0.9)
                self.ax_bar.set_visible(False)
            else:
                cmap = "viridis" if d.key == "wine" else "RdBu_r"
                (x0, x1), (y0, y1) = d.extent
                self.surface = ax.imshow(np.zeros((2, 2)), extent=(x0, x1, y0, y1), origin="lower", aspect="auto",
                                         cmap=cmap, vmin=d.y_limits[0], vmax=d.y_limits[1], interpolation="nearest", zorder=1)
                # one line of markers per target value: much faster to draw than a scatter with a colour per point
                norm = matplotlib.colors.Normalize(*d.y_limits)
                colours = matplotlib.colormaps[cmap]
                size, edge = (2.5, 0.25) if d.key == "wine" else (4.0, 0.5)
                self.points = [ax.plot(*d.shown[d.y[:, 0] == value].T, "o", ms=size, mfc=colours(norm(value)),
                                       mec="black", mew=edge, zorder=2)[0] for value in np.unique(d.y[:, 0])]
                self._function_artists = [self.view.animate(self.surface)] + [self.view.animate(p) for p in self.points]
                ax.set_xlim(x0, x1)
                ax.set_ylim(y0, y1)
                ax.set_xlabel(d.axis_labels[0])
                ax.set_ylabel(d.axis_labels[1])
                self.ax_bar.set_visible(True)
                colorbar = self.ax_bar.figure.colorbar(self.surface, cax=self.ax_bar)
                colorbar.set_label(d.target_label, fontsize=8)
                self.ax_bar.tick_params(labelsize=8)
            ax.set_title("Network function N(x; θ(k)) and the data" if d.dims == 1 else
                         "N(x; θ(k)) (colours) and the data (dots)")
            self._drawn_data = d.key
        if d.dims == 1:
            self.curve.set_data(result["grid"], result["outputs"])
        else:
            self.surface.set_data(result["outputs"])

    def _draw_costs(self, result: dict) -> None:
        costs, k = result["costs"], result["k"]
        finite = costs[np.isfinite(costs) & (costs > 0)]
        low = float(finite.min()) if len(finite) else 1.0
        high = float(finite.max()) if len(finite) else 1.0
        horizon = _nice_horizon(max(k, 1))
        limits = self._limits
        if limits is None or result["k"] == 0 or horizon != limits[0] or low < limits[1] or high > limits[2]:
            bottom = 10.0 ** np.floor(np.log10(low) - 2) if limits is None or k == 0 else min(limits[1], 10.0 ** np.floor(np.log10(low) - 1))
            top = 10.0 ** np.ceil(np.log10(high) + 0.3) if limits is None or k == 0 else max(limits[2], 10.0 ** np.ceil(np.log10(high) + 0.3))
            if self._limits != (horizon, bottom, top):
                self._limits = (horizon, bottom, top)
                self.ax_cost.set_xlim(0, horizon)
                self.ax_cost.set_ylim(bottom, top)
        self.view.track(self.ax_cost, self._limits)
        n = len(costs)
        index = np.arange(n) if n <= self.most_points_drawn else \
            np.unique(np.linspace(0, n - 1, self.most_points_drawn).astype(int))
        self.cost_line.set_data(index, costs[index])
        self.cost_dot.set_data(index[-1:], costs[index[-1:]])
        self.diverged_text.set_text(f"diverged at step {k}:\nτ = {result['tau']:.3g} is too large" if result["error"] else "")

    def draw(self, result: dict) -> None:
        self._draw_network(result)
        self._draw_function(result)
        self._draw_costs(result)
        cost = f"{result['costs'][-1]:.4g}" if len(result["costs"]) else "—"
        if not self._header_placed:  # each number just right of its label, measured once
            renderer = self.view.canvas.get_renderer()
            for label, number in zip(self.header_labels, self.header_numbers):
                box = label.get_window_extent(renderer).transformed(self.view.figure.transFigure.inverted())
                number.set_x(box.x1 + 0.005)
            self._header_placed = True
        for number, text in zip(self.header_numbers, (f"{result['k']:,}", cost, f"{result['tau']:.3g}")):
            number.set_text(text)
            number.set_color("tab:red" if result["error"] else "black")

    def summary(self, result: dict) -> str:
        k, costs = result["k"], result["costs"]
        if len(costs):
            text = (f"<b>step k = {k:,}</b>: E(θ(k))/N = <b>{costs[-1]:.4g}</b> (at k = 0: {costs[0]:.4g}), "
                    f"τ = {result['tau']:.3g}, network {result['sizes']}")
        else:
            text = f"<b>step k = {k:,}</b>"
        if self.player.running:
            times = getattr(self, "frame_seconds", None)
            text += f" &nbsp;|&nbsp; training: {self.budget.steps()} steps per picture, {self.player.fps():.0f} pictures/s"
            if times:
                text += " (ms per picture: " + ", ".join(f"{k} {1e3 * v:.0f}" for k, v in times.items()) + ")"
        if result["error"]:
            text += f"<br><span style='color:#b00020'><b>DivergenceError</b>: {html.escape(result['error'])} Press Reset or choose a smaller τ.</span>"
        return text


__all__ = ["DATASETS", "Playground", "PlaygroundData", "load_dataset", "make_network", "target_surface"]
