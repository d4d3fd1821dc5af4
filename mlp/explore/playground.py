"""The training playground: choose data and a network, press Play, and watch gradient descent train it.

    from mlp.explore.playground import Playground
    Playground()                         # as the last expression of a notebook cell
    Playground(dataset="xor", layers=2, width=6, activation="tanh", tau=0.3, batch_size=16)

Data: the 1-D targets of notebook 03 (`mlp.data.make_regression_1d`), two 2-D target surfaces
(`mlp.data.target_surface`: XOR and a ring, targets ±1, plus noise), the wine quality from two features (standardised alcohol and volatile
acidity) and the concrete strength from its eight inputs (`mlp.data.load_concrete`, strength in
units of 10 MPa). A share `test_fraction` of the samples is held out as test data; `noise` is the
standard deviation of the noise on the synthetic targets; `data_seed` draws them (and the split).
The network is `mlp.fully_connected([inputs, width, …, width, 1], activation, bias_std=1)`, seeded (hidden
biases spread, so the units do not all switch at the origin); the cost is
the mean squared error E/N (`SquaredError("mean")`), so one step size τ suits every data set.
Training is real: `mlp.optim.Descent`, full batch or minibatches of `batch_size`, step for step
what `mlp.train` does; as many steps per frame as take about 8 ms, and every picture shows the
network at the step k it names: its diagram (weights, or the gradient the next step uses), its
function on the data, the training and test cost on a log axis. `code()` is the line that makes
this playground again, at this step.
"""
from __future__ import annotations

import html
import time
import weakref
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import ipywidgets as widgets
import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.transforms import Bbox

from .. import data as mlp_data
from ..layers import ACTIVATIONS, Linear
from ..losses import SquaredError
from ..network import fully_connected
from ..optim import Descent
from ..plots import NetworkDiagram
from . import Explorer
from .training import Player, StepBudget, advance

DATASETS = {  # key -> the menu's label
    "sine": "1-D: y = sin(2x)",
    "abs": "1-D: y = |x| − 1",
    "step": "1-D: y = 1 for x > 0, else 0",
    "xor": "2-D: XOR, y = +1 where x₁·x₂ > 0, else −1",
    "ring": "2-D: ring, y = +1 where 1 < ‖x‖ < 2, else −1",
    "wine": "wine: quality from alcohol and volatile acidity",
    "concrete": "concrete: strength from its 8 ingredients and age",
}
SYNTHETIC = ("sine", "abs", "step", "xor", "ring")  # the data sets whose noise can be chosen
WINE_FEATURES = ("alcohol", "volatile acidity")
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, "all")  # the menu; "all" is full batch (batch_size=None)


@dataclass(frozen=True)
class PlaygroundData:
    """One data set of the playground, split into training and test samples.

    X (N, d), y (N, 1): the training samples (network inputs: standardised for the real data, with the
    training samples' statistics); X_test, y_test the held-out ones (possibly none). shown and
    shown_test: the inputs in the units the axes show; extent ((lo, hi) per shown input); mean and
    std turn shown units into network inputs. y_limits bound the plotted outputs or the colours;
    truth is (x, f(x)) without noise for a 1-D target, else None.
    """

    key: str
    label: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    shown: np.ndarray
    shown_test: np.ndarray
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


def _split(n: int, test_fraction: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and the test samples: a seeded shuffle, round(test_fraction · n) held out."""
    order = np.random.default_rng(rng).permutation(n)
    n_test = int(round(test_fraction * n))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


@lru_cache(maxsize=32)
def load_dataset(key: str, test_fraction: float = 0.0, noise: float = 0.1, data_seed: int = 0) -> PlaygroundData:
    """The playground's data set `key` (one of DATASETS), drawn with `data_seed` and split, built once.

    noise: standard deviation of Gaussian noise on the synthetic targets (ignored for wine and concrete).
    """
    if key not in DATASETS:
        raise ValueError(f"unknown data set {key!r}: choose one of {', '.join(map(repr, DATASETS))}")
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be at least 0 and below 1, got {test_fraction!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be 0 or more, got {noise!r}")
    label, rng = DATASETS[key], np.random.default_rng(data_seed)
    if key in ("sine", "abs", "step"):
        x, y = mlp_data.make_regression_1d(100, noise=noise, rng=rng, kind=key)
        grid, f = mlp_data.make_regression_1d(400, noise=0.0, rng=1, kind=key)
        train, test = _split(len(x), test_fraction, rng)
        return PlaygroundData(key, label, x[train], y[train], x[test], y[test], x[train], x[test], ("x",),
                              ("input x (dimensionless)",), ((-4.0, 4.0),), (-1.7 - noise, 1.7 + noise),
                              "output (dimensionless)", np.zeros(1), np.ones(1), (grid[:, 0], f[:, 0]))
    if key in ("xor", "ring"):
        X, y = mlp_data.target_surface(key, n=300, rng=rng, noise=noise)
        train, test = _split(len(X), test_fraction, rng)
        return PlaygroundData(key, label, X[train], y[train], X[test], y[test], X[train], X[test], ("$x_1$", "$x_2$"),
                              ("input $x_1$ (dimensionless)", "input $x_2$ (dimensionless)"),
                              ((-3.0, 3.0), (-3.0, 3.0)), (-1.5, 1.5), "N(x; θ) and target y", np.zeros(2), np.ones(2))
    if key == "wine":
        wine = mlp_data.load_wine_quality()
        shown, y = np.stack([wine.feature(name) for name in WINE_FEATURES], axis=1), wine.y[:, None]
        names, labels = ("alcohol", "volatile\nacidity"), tuple(wine.label(name) for name in WINE_FEATURES)
        y_limits, target = (3.0, 8.0), "quality [score 0–10]"
    else:
        concrete = mlp_data.load_concrete()
        shown, y = concrete.X, concrete.y[:, None] / 10
        names, labels = concrete.feature_names, tuple(concrete.label(n) for n in concrete.feature_names)
        y_limits, target = (0.0, 9.0), "compressive strength [10 MPa]"
    train, test = _split(len(shown), test_fraction, rng)
    X, X_test, mean, std = mlp_data.standardize(shown[train], shown[test])
    extent = tuple((float(c.min()), float(c.max())) for c in shown.T)
    return PlaygroundData(key, label, X, y[train], X_test, y[test], shown[train], shown[test], names, labels, extent,
                          y_limits, target, mean, std)


def batch_text(batch_size: int | None, n: int) -> str:
    """The batch size B as the picture and the status line say it: "32 of 80", "all 80", "128 ≥ 80: all"."""
    if batch_size is None:
        return f"all {n:,}"
    return f"{batch_size} of {n:,}" if batch_size < n else f"{batch_size} ≥ {n:,}: all"


def checkpoint_spacing(k: int) -> int:
    """Steps between two recorded test costs near step k: every step up to k = 200, then about 200 to 500 per
    horizon of the cost plot (2 up to 500, 5 up to 1,000, …), so the test curve is a curve at every zoom."""
    return max(1, _nice_horizon(k + 1) // 200)


def _nice_horizon(k: int) -> int:
    """The x-axis end of the cost plot: 100, 200, 500, 1000, … (the first at least k)."""
    horizon = 100
    while horizon < k:
        horizon = horizon * 5 // 2 if str(horizon).startswith("2") else horizon * 2
    return horizon


@dataclass(frozen=True)
class Settings:
    """Everything that makes a playground's run: the data, the network, the descent (what `code()` writes out)."""

    dataset: str = "sine"
    layers: int = 1
    width: int = 8
    activation: str = "tanh"
    tau: float = 0.1
    batch_size: int | None = None
    test_fraction: float = 0.2
    noise: float = 0.1
    data_seed: int = 0
    seed: int = 0

    def code(self, steps: int = 0) -> str:
        """The line that makes this playground again, `steps` steps into training."""
        args = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"Playground({args}, steps={steps})"


class Run:
    """One training run of the playground (no widgets): its data, its seeded network and its `Descent`.

    `advance(n)` takes n steps (a divergence stops it, `error` keeps mlp's message); the model holds θ(k)
    (after a divergence at step k, the θ(k) that blew up); every `checkpoint()` records
    (k, E(θ(k))/N on all training samples, on the test samples).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = s = settings
        self.data = load_dataset(s.dataset, s.test_fraction, s.noise, s.data_seed)
        self.sizes = [self.data.dims] + [s.width] * s.layers + [1]
        self.model = fully_connected(self.sizes, s.activation, rng=s.seed, bias_std=1.0)
        self.loss = SquaredError("mean")
        self.descent = Descent(self.model, self.loss, self.data.X, self.data.y, s.tau, batch_size=s.batch_size,
                               rng=s.data_seed)
        self.error: str | None = None
        self.tau_changed = False  # τ was changed during the run (code() then retraces it with the last τ)
        self.checkpoints: list[tuple[int, float, float]] = []
        self.checkpoint()

    @property
    def k(self) -> int:
        return self.descent.k

    @property
    def full_batch(self) -> bool:
        return self.descent.batch_size >= len(self.data.X)

    def set_tau(self, tau: float) -> None:
        self.descent.step_size = tau
        self.tau_changed = self.tau_changed or (self.k > 0 and tau != self.settings.tau)

    def advance(self, n: int) -> None:
        """n steps, with a checkpoint every `checkpoint_spacing(k)` steps on the way and one at the end."""
        end = self.k + n
        while self.k < end and self.error is None:
            spacing = checkpoint_spacing(self.k)
            self.error = advance(self.descent, min(end, (self.k // spacing + 1) * spacing) - self.k)
            self.checkpoint()
        self.checkpoint()

    def cost(self, X: np.ndarray, y: np.ndarray) -> float:
        """E(θ(k))/N on the samples (X, y) (NaN for none, or if θ blew up)."""
        if not len(X):
            return float("nan")
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                return SquaredError("mean").forward(self.model.forward(X), y)
            except FloatingPointError:
                return float("nan")

    def checkpoint(self) -> None:
        """Record (k, training cost, test cost) now (the training cost of all samples, also with minibatches)."""
        if self.checkpoints and self.checkpoints[-1][0] == self.k:
            return
        known = self.full_batch and self.error is None  # Descent's E(θ(k)) is that of all training samples
        train = self.descent.cost() if known else self.cost(self.data.X, self.data.y)
        self.checkpoints.append((self.k, train, self.cost(self.data.X_test, self.data.y_test)))

    def code(self) -> str:
        """The line that makes this run again at step k (say so if τ changed on the way)."""
        settings = replace(self.settings, tau=self.descent.step_size)
        line = settings.code(self.k)
        return line + ("  # τ changed during the run: this trains with the last τ from the start" if self.tau_changed else "")

    def frame(self, grid_points: int) -> dict:
        """What the picture shows now: the step k, the costs so far, the weights, their gradients, the network function.

        Keys: dataset, sizes, activation, tau, batch_size, k, costs (E(θ(0)) … E(θ(k)) / N of each step's batch),
        checkpoints ((k, training, test), ...), weights and gradients (θ_w^i and the ∇E the next step uses, copies),
        grid and outputs (1-D: N on the grid (G,); 2-D: on a G × G grid of the shown inputs; concrete: N at the
        training and at the test samples), error, code.
        """
        d = self.data
        with np.errstate(over="ignore", invalid="ignore"):
            if d.dims == 1:
                grid = np.linspace(*d.extent[0], 400)
                outputs = self.model.forward(d.inputs(grid[:, None]))[:, 0]
            elif d.dims == 2:
                g1 = np.linspace(*d.extent[0], grid_points)
                g2 = np.linspace(*d.extent[1], grid_points)
                grid = np.stack(np.meshgrid(g1, g2), axis=-1).reshape(-1, 2)
                outputs = self.model.forward(d.inputs(grid))[:, 0].reshape(grid_points, grid_points)
            else:
                grid = None
                outputs = (self.model.forward(d.X)[:, 0], self.model.forward(d.X_test)[:, 0] if len(d.X_test) else np.empty(0))
        linears = [layer for layer in self.model.layers if isinstance(layer, Linear)]
        return {"dataset": d.key, "sizes": list(self.sizes), "activation": self.settings.activation,
                "tau": self.descent.step_size, "batch_size": self.settings.batch_size, "k": self.k,
                "costs": self.descent.costs.copy(), "checkpoints": list(self.checkpoints),
                "weights": [layer.params["weight"].copy() for layer in linears],
                "gradients": [layer.grads["weight"].copy() for layer in linears],
                "grid": grid, "outputs": outputs, "error": self.error, "code": self.code()}


class Playground(Explorer):
    """Data set, hidden layers (0–4), width (1–16), activation, step size τ, batch size, test share, noise, what
    the edges show; Play, Pause, Step, Reset, New data; the settings as one line of code.

    The logic needs no browser: a `Run` holds the data, the network and the descent for the settings;
    `step(n)` takes n gradient steps, `reset()` goes back to θ(0), `frame()` is the picture's data now,
    and `compute(**values)` the picture's data of a fresh run of these settings after `steps` steps.
    """

    title = "Training playground"
    longest_play = 900.0        # seconds: Play pauses by itself after this long (a forgotten tab keeps no kernel busy)
    _instances: "weakref.WeakSet[Playground]" = weakref.WeakSet()
    figsize = (12.8, 4.8)
    dpi = 80
    fps = 30.0
    grid_points = 56            # per axis of the 2-D heat map
    most_points_drawn = 1500    # of the cost curve
    status_period = 0.25        # seconds: while playing, the status line is sent at most this often (the picture shows k)

    def __init__(self, dataset: str = "sine", layers: int = 1, width: int = 8, activation: str = "tanh",
                 tau: float = 0.1, batch_size: int | None = None, test_fraction: float = 0.2, noise: float = 0.1,
                 data_seed: int = 0, seed: int = 0, steps: int = 0) -> None:
        """`steps`: gradient steps taken before the first picture (a head start, e.g. for a saved notebook)."""
        if dataset not in DATASETS:
            raise ValueError(f"unknown data set {dataset!r}: choose one of {', '.join(map(repr, DATASETS))}")
        if batch_size is not None and batch_size not in BATCH_SIZES:
            raise ValueError(f"batch_size must be None (full batch) or one of {BATCH_SIZES[:-1]}, got {batch_size!r}")
        style = {"description_width": "initial"}
        controls = {
            "dataset": widgets.Dropdown(options=[(label, key) for key, label in DATASETS.items()], value=dataset,
                                        description="data", style=style, layout=widgets.Layout(width="360px")),
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation σ",
                                           style=style, layout=widgets.Layout(width="220px")),
            "tau": widgets.FloatLogSlider(value=tau, base=10, min=-3, max=0.5, step=0.05, description="step size τ",
                                          readout_format=".3g", style=style),
            "layers": widgets.IntSlider(value=layers, min=0, max=4, description="hidden layers", style=style),
            "width": widgets.IntSlider(value=width, min=1, max=16, description="width", style=style),
            "batch_size": widgets.SelectionSlider(options=[(str(b), b) for b in BATCH_SIZES],
                                                  value="all" if batch_size is None else batch_size,
                                                  description="batch size B", style=style),
            "test_fraction": widgets.FloatSlider(value=test_fraction, min=0.0, max=0.5, step=0.1, readout_format=".0%",
                                                 description="test data", style=style),
            "noise": widgets.FloatSlider(value=noise, min=0.0, max=1.0, step=0.05, description="noise", style=style),
            "show_test": widgets.Checkbox(value=False, description="show test data", indent=False,
                                          layout=widgets.Layout(width="130px")),
            "edges": widgets.ToggleButtons(options=[("weights θ_w", "weights"), ("gradients ∂(E/N)/∂θ_w", "gradients")],
                                           value="weights", description="edges", style=style),
        }
        self.data_seed = data_seed
        self.seed = seed
        self.buttons = {}
        for name, icon, tip in (("play", "play", "train: gradient steps, about 30 pictures a second"),
                                ("pause", "pause", "stop training"),
                                ("step", "step-forward", "one gradient step"),
                                ("reset", "undo", "back to the start θ(0), k = 0"),
                                ("new_data", "random", "draw new data (and a new split into training and test data)")):
            button = widgets.Button(description=name.replace("_", " ").capitalize(), icon=icon, tooltip=tip,
                                    layout=widgets.Layout(width="100px"))
            button.add_class(f"mlp-button-{name.replace('_', '-')}")
            self.buttons[name] = button
        self.player = Player(self._frame, fps=self.fps)
        self.budget = StepBudget(seconds=0.008)
        self.run = Run(self._settings(dataset=dataset, layers=layers, width=width, activation=activation, tau=tau,
                                      batch_size="all" if batch_size is None else batch_size,
                                      test_fraction=test_fraction, noise=noise))
        self.run.advance(steps)
        self.code = widgets.HTML()
        self.code.add_class("mlp-playground-code")
        self._status_sent = 0.0
        super().__init__(controls, rows=[["dataset", "activation", "tau"], ["layers", "width", "batch_size"],
                                         ["test_fraction", "noise", "show_test"], ["edges"]],
                         extra=[widgets.HBox(list(self.buttons.values())), self.code])
        self.widget.add_class("mlp-playground")
        for name, action in (("play", self.play), ("pause", self.pause), ("step", self.step_button),
                             ("reset", self.reset), ("new_data", self.new_data)):
            self.on_click(self.buttons[name], action)
        for other in list(Playground._instances):  # e.g. the playground of a cell run again, no longer on screen
            other.pause()
        Playground._instances.add(self)
        self._enable()

    # --- the logic (no browser needed) ---------------------------------------------------------

    def _settings(self, dataset, layers, width, activation, tau, batch_size, test_fraction, noise, **_) -> Settings:
        return Settings(dataset, layers, width, activation, tau, None if batch_size == "all" else batch_size,
                        round(test_fraction, 2), round(noise, 2), self.data_seed, self.seed)

    def compute(self, steps: int = 0, **values) -> dict:
        """The picture's data for these control values: a fresh run after `steps` gradient steps (nothing shown changes)."""
        run = Run(self._settings(**values))
        run.advance(steps)
        return {**run.frame(self.grid_points), "edges": values["edges"], "show_test": values["show_test"]}

    def step(self, n: int = 1) -> None:
        """n gradient steps; a divergence stops training and its message is kept for the status line."""
        self.run.advance(n)

    def frame(self) -> dict:
        """The picture's data now (`Run.frame`'s, and what the edges show, and whether the test data are shown)."""
        values = self.values() if hasattr(self, "controls") else {"edges": "weights", "show_test": False}
        return {**self.run.frame(self.grid_points), "edges": values["edges"], "show_test": values["show_test"]}

    @property
    def message(self) -> str:
        return self.run.error or ""

    def reset(self) -> None:
        """Back to θ(0) of the same network (training paused)."""
        self.pause()
        self.run = Run(self.run.settings)
        self._enable()
        self.show()

    def new_data(self) -> None:
        """New data: the next data seed (a new draw of the synthetic data, a new split), from θ(0)."""
        self.pause()
        self.data_seed += 1
        self.run = Run(self._settings(**self.values()))
        self._enable()
        self.show()

    # --- the controls -------------------------------------------------------------------------

    def update(self, moved: frozenset[str] = frozenset()) -> None:
        """Controls moved: τ applies to the next steps (a new run after a divergence); the view's controls only
        redraw; any other control starts a new network at k = 0."""
        values = self.values()
        if moved <= {"show_test", "edges"}:
            pass
        elif moved <= {"tau", "show_test", "edges"}:
            self.run.set_tau(values["tau"])
            if self.run.error is not None:  # a new τ after a divergence: start again with it
                self.run = Run(self._settings(**values))
        else:
            self.run = Run(self._settings(**values))
        self._enable()
        self.show()

    def _enable(self) -> None:
        """Controls that mean nothing now are off: width and activation without hidden layers, noise for
        measured data, show test data without test data, Play and Step after a divergence."""
        if not hasattr(self, "controls"):
            return
        hidden = self.controls["layers"].value > 0
        self.controls["width"].disabled = not hidden
        self.controls["activation"].disabled = not hidden
        self.controls["noise"].disabled = self.controls["dataset"].value not in SYNTHETIC
        self.controls["show_test"].disabled = self.controls["test_fraction"].value == 0
        diverged = self.run.error is not None
        self.buttons["play"].disabled = diverged or self.player.running
        self.buttons["step"].disabled = diverged
        self.buttons["pause"].disabled = not self.player.running

    def play(self) -> None:
        """Train and show about `fps` pictures a second until Pause (needs a running Jupyter kernel)."""
        if self.run.error is not None:
            return
        for other in list(Playground._instances):  # one playground trains at a time: they share the kernel
            if other is not self:
                other.pause()
        if not self.player.start():
            self.show()
            self.status.value += "<br>Play needs a running Jupyter kernel (an asyncio loop); Step works anywhere."
            return
        self._enable()

    def pause(self) -> None:
        was_playing = self.player.running
        self.player.stop()
        self._enable()
        if was_playing:
            self.show()  # the still picture as a sharp PNG, and its status line

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
        if self.run.error is not None:  # the last frame: a sharp picture and the status line with the message
            self.player.task = None
            self.show()
            return False
        if time.perf_counter() - self.player.started > self.longest_play:
            self.player.task = None
            self.show()
            self.status.value += (f" &nbsp;|&nbsp; paused after {self.longest_play / 60:.0f} minutes of play: "
                                  "press Play to go on")
            return False
        self.show(moving=True)
        self.frame_seconds = {"train": trained - start, "draw": self.last_render_seconds, "send": self.last_send_seconds}
        return True

    def show(self, moving: bool = False) -> None:
        """The picture and status line of the current step (while playing, the status line at most every
        `status_period` seconds; a still picture always sends it)."""
        self.result = self.frame()
        self._enable()
        now = time.perf_counter()
        status = not moving or now - self._status_sent >= self.status_period
        super().show(moving=moving, status=status)
        if status:  # the code line last: whoever sees it has the picture and the status line of its step already
            self._status_sent = now
            self.code.value = f"<code style='user-select: all'>{html.escape(self.result['code'])}</code>"

    # --- the picture --------------------------------------------------------------------------

    def build(self, fig) -> None:
        # fixed positions (figure fractions): no layout engine runs, ever
        self.net_box = (0.005, 0.06, 0.36, 0.76)
        self.ax_net = fig.add_axes(self.net_box)
        self.ax_fun = fig.add_axes((0.42, 0.27, 0.225, 0.6))   # room below for the legend of the data
        self.ax_bar = fig.add_axes((0.655, 0.27, 0.009, 0.6))
        self.ax_cost = fig.add_axes((0.77, 0.27, 0.215, 0.6))
        # the header: labels drawn once, only the numbers in every picture (a whole line of text costs ~4 ms)
        style = dict(va="baseline", fontsize=12, weight="bold")
        self.header_labels = [fig.text(x, 0.945, label, ha="left", **style)
                              for x, label in ((0.01, "step k ="), (0.19, "E(θ(k))/N ="), (0.4, "τ ="),
                                                         (0.52, "batch B ="))]
        self.header_numbers = [self.view.animate(fig.text(0, 0.945, "", ha="left", **style)) for _ in self.header_labels]
        self._header_placed = False
        self._drawn_net = self._drawn_data = None
        self.diagram = None
        ax = self.ax_cost
        (self.cost_line,) = ax.plot([], [], color="tab:blue", lw=1.5)
        (self.train_line,) = ax.plot([], [], color="tab:blue", lw=1.5, label="training, all samples")
        (self.test_line,) = ax.plot([], [], "--", color="tab:orange", lw=1.5, label="test")
        (self.cost_dot,) = ax.plot([], [], "o", color="tab:blue", ms=4)
        self.cost_key = ax.text(0.03, 0.03, "", transform=ax.transAxes, fontsize=10, ha="left", va="bottom",
                                bbox=dict(facecolor="white", edgecolor="0.8", alpha=0.9, pad=2))
        self.diverged_text = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                                     color="tab:red", fontsize=13, weight="bold")
        self.view.animate(self.cost_line, self.train_line, self.test_line, self.cost_dot,
                          self.diverged_text)
        ax.set_yscale("log")
        ax.set_title("Cost: mean squared error")
        ax.set_xlabel("gradient step k")
        ax.set_ylabel("E(θ(k)) / N  (log scale)")
        ax.grid(True, which="major", color="0.9")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"))
        self._limits = None

    def _draw_network(self, result: dict) -> None:
        key = (tuple(result["sizes"]), result["activation"], result["dataset"], result["edges"])
        self.view.track(self.ax_net, key)
        edges = result["gradients"] if key[3] == "gradients" else result["weights"]
        if key == self._drawn_net:
            self.diagram.update(edges)
            return
        if self.diagram is not None:
            self.view.forget(*self.diagram.edges)
        self.ax_net.clear()
        self.ax_net.set_position(self.net_box)  # as first made: the last diagram's equal aspect shrank it
        self.diagram = NetworkDiagram(self.ax_net, result["sizes"], max_neurons=8,
                                      input_names=list(self.run.data.input_names))
        what = "gradients ∂(E/N)/∂θ_w" if key[3] == "gradients" else "weights θ_w"
        self.ax_net.set_title(f"Network {result['sizes']}, edges: {what}\nat step k (blue +, orange −)", fontsize=9)
        fit_texts(self.ax_net, self.view.canvas.get_renderer())
        self.diagram.update(edges)
        self.view.animate(*self.diagram.edges)
        self._drawn_net = key

    def _draw_function(self, result: dict) -> None:
        d = self.run.data
        show_test = result["show_test"] and len(d.X_test) > 0
        version = (id(d), show_test)
        self.view.track(self.ax_fun, version)
        self.view.track(self.ax_bar, version)
        if version != self._drawn_data:
            for artist in getattr(self, "_function_artists", []):
                self.view.forget(artist)
            self.ax_fun.clear()
            self.ax_bar.clear()
            ax = self.ax_fun
            test_style = dict(marker="s", mfc="none", mec="black", mew=1.0, ls="none", zorder=4)
            below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize=10, frameon=False,
                         handletextpad=0.3, columnspacing=1.0)
            if d.dims == 1:
                ax.axvspan(-3, 3, color="0.94", zorder=0, label="where the data are")
                ax.plot(d.shown[:, 0], d.y[:, 0], "o", ms=3, color="0.35", zorder=2, label="training data")
                if show_test:
                    ax.plot(d.shown_test[:, 0], d.y_test[:, 0], ms=4, label="test data", **test_style)
                ax.plot(*d.truth, "--", color="0.35", lw=1, zorder=2, label="target without noise")
                (self.curve,) = ax.plot([], [], color="tab:red", lw=2, zorder=3, label="network N(x; θ(k))")
                self._function_artists = [self.view.animate(self.curve)]
                ax.set_xlim(*d.extent[0])
                ax.set_ylim(*d.y_limits)
                ax.set_xlabel(d.axis_labels[0])
                ax.set_ylabel(d.target_label)
                ax.legend(ncols=2, **below)
                self.ax_bar.set_visible(False)
                title = "Network function N(x; θ(k)) and the data"
            elif d.dims == 2:
                # the heat map is the network; the dots, in a style of their own (shapes or Okabe–Ito colours,
                # black edges), are the samples' targets; they move with it, as they are drawn over it
                cmap = "Greys" if d.key == "wine" else "RdBu_r"
                (x0, x1), (y0, y1) = d.extent
                self.surface = ax.imshow(np.zeros((2, 2)), extent=(x0, x1, y0, y1), origin="lower", aspect="auto",
                                         cmap=cmap, vmin=d.y_limits[0], vmax=d.y_limits[1], interpolation="nearest", zorder=1)
                dots = []
                for rows, label, style in _target_classes(d):
                    dots += ax.plot(*d.shown[rows].T, ls="none", zorder=2, label=label, **style)
                if show_test:
                    dots += ax.plot(*d.shown_test.T, ms=5, label="test data", **test_style)
                self._function_artists = [self.view.animate(self.surface), *(self.view.animate(dot) for dot in dots)]
                ax.set_xlim(x0, x1)
                ax.set_ylim(y0, y1)
                ax.set_xlabel(d.axis_labels[0])
                ax.set_ylabel(d.axis_labels[1])
                ax.legend(ncols=3 if d.key == "wine" else 2, **below)
                self.ax_bar.set_visible(True)
                colorbar = self.ax_bar.figure.colorbar(self.surface, cax=self.ax_bar)
                colorbar.set_label("N(x; θ(k)): " + d.target_label, fontsize=8)
                self.ax_bar.tick_params(labelsize=8)
                title = "N(x; θ(k)) (shades) and the data (dots)"
            else:  # more inputs than a picture has axes: prediction against target
                lo, hi = d.y_limits
                ax.plot([lo, hi], [lo, hi], "--", color="0.35", lw=1, zorder=1, label="N(x; θ) = y")
                (self.predicted,) = ax.plot([], [], "o", ms=2.5, color="tab:blue", alpha=0.6, zorder=2,
                                            label="training data")
                (self.predicted_test,) = ax.plot([], [], ms=3.5, label="test data" if show_test else "_hidden",
                                                 **test_style)
                self.predicted_test.set_visible(show_test)
                self._function_artists = [self.view.animate(self.predicted), self.view.animate(self.predicted_test)]
                ax.set_xlim(lo, hi)
                ax.set_ylim(lo, hi)
                ax.set_xlabel(f"measured y: {d.target_label}")
                ax.set_ylabel("network N(x; θ(k)) [10 MPa]")
                ax.legend(ncols=3, **below)
                self.ax_bar.set_visible(False)
                title = "Network output against the measured target"
            ax.set_title(title)
            self._drawn_data = version
        if d.dims == 1:
            self.curve.set_data(result["grid"], result["outputs"])
        elif d.dims == 2:
            self.surface.set_data(result["outputs"])
        else:
            train, test = result["outputs"]
            self.predicted.set_data(d.y[:, 0], train)
            self.predicted_test.set_data(d.y_test[:, 0], test)

    def _draw_costs(self, result: dict) -> None:
        costs, k = result["costs"], result["k"]
        checkpoints = np.array(result["checkpoints"], dtype=float).reshape(-1, 3)
        seen = np.concatenate([costs, checkpoints[:, 1:].ravel()])
        finite = seen[np.isfinite(seen) & (seen > 0)]
        low = float(finite.min()) if len(finite) else 1.0
        high = float(finite.max()) if len(finite) else 1.0
        horizon = _nice_horizon(max(k, 1))
        limits = self._limits
        if limits is None or k == 0 or horizon != limits[0] or low < limits[1] or high > limits[2]:
            bottom = 10.0 ** np.floor(np.log10(low) - 2) if limits is None or k == 0 else min(limits[1], 10.0 ** np.floor(np.log10(low) - 1))
            top = 10.0 ** np.ceil(np.log10(high) + 0.3) if limits is None or k == 0 else max(limits[2], 10.0 ** np.ceil(np.log10(high) + 0.3))
            if self._limits != (horizon, bottom, top):
                self._limits = (horizon, bottom, top)
                self.ax_cost.set_xlim(0, horizon)
                self.ax_cost.set_ylim(bottom, top)
        n = len(costs)
        index = np.arange(n) if n <= self.most_points_drawn else \
            np.unique(np.linspace(0, n - 1, self.most_points_drawn).astype(int))
        batches = result["batch_size"] is not None and result["batch_size"] < len(self.run.data.X)
        self.cost_line.set_data(index, costs[index])
        self.cost_line.set_alpha(0.35 if batches else 1.0)
        self.cost_line.set_label(f"training, each step's batch of {result['batch_size']}" if batches else "training")
        self.train_line.set_data(checkpoints[:, 0], checkpoints[:, 1])
        self.train_line.set_visible(batches)
        self.test_line.set_data(checkpoints[:, 0], checkpoints[:, 2])
        self.test_line.set_visible(len(self.run.data.X_test) > 0)
        self.cost_dot.set_data(index[-1:], costs[index[-1:]])
        shown = [line for line in (self.cost_line, self.train_line, self.test_line) if line.get_visible()]
        key = "\n".join(f"{'- -' if line.get_linestyle() == '--' else '—'} {line.get_label()}" for line in shown)
        self.cost_key.set_text(key)  # part of the kept axes (it changes with the settings, not with k)
        self.view.track(self.ax_cost, (self._limits, key))
        self.diverged_text.set_text(f"diverged at step {k}:\nτ = {result['tau']:.3g} is too large" if result["error"] else "")

    def draw(self, result: dict) -> None:
        self._draw_network(result)
        self._draw_function(result)
        self._draw_costs(result)
        training = result["checkpoints"][-1][1]
        cost = f"{training:.4g}" if np.isfinite(training) else "—"
        if not self._header_placed:  # each number just right of its label, measured once
            renderer = self.view.canvas.get_renderer()
            for label, number in zip(self.header_labels, self.header_numbers):
                box = label.get_window_extent(renderer).transformed(self.view.figure.transFigure.inverted())
                number.set_x(box.x1 + 0.005)
            self._header_placed = True
        for number, text in zip(self.header_numbers, (f"{result['k']:,}", cost, f"{result['tau']:.3g}",
                                                      batch_text(result["batch_size"], len(self.run.data.X)))):
            number.set_text(text)
            number.set_color("tab:red" if result["error"] else "black")

    def summary(self, result: dict) -> str:
        k, checkpoints = result["k"], result["checkpoints"]
        _, training, test = checkpoints[-1]
        text = (f"<b>step k = {k:,}</b>: E(θ(k))/N = <b>{training:.4g}</b> on the training data "
                f"(at k = 0: {checkpoints[0][1]:.4g})")
        if np.isfinite(test):
            text += f", <b>{test:.4g}</b> on the test data"
        batch = "batches of " + batch_text(result["batch_size"], len(self.run.data.X))
        text += f"; τ = {result['tau']:.3g}, {batch}, network {result['sizes']}"
        if self.player.running:
            times = getattr(self, "frame_seconds", None)
            text += f" &nbsp;|&nbsp; training: {self.budget.steps()} steps per picture, {self.player.fps():.0f} pictures/s"
            if times:
                text += " (ms per picture: " + ", ".join(f"{k} {1e3 * v:.0f}" for k, v in times.items()) + ")"
        if result["error"]:
            text += f"<br><span style='color:#b00020'><b>DivergenceError</b>: {html.escape(result['error'])} Press Reset or choose a smaller τ.</span>"
        return text


OKABE_ITO = ("#0072B2", "#56B4E9", "#E69F00", "#D55E00")  # blue, sky blue, orange, vermillion: colour-blind safe


def _target_classes(d: PlaygroundData) -> list[tuple[np.ndarray, str, dict]]:
    """The training samples of a 2-D data set in classes of their target, each with a legend label and a marker style.

    XOR and ring (targets ±1 plus noise): black dots for y > 0, white dots for y ≤ 0. Wine: four quality
    classes (3–4, 5, 6, 7–8) in four Okabe–Ito colours, black-edged.
    """
    y = d.y[:, 0]
    if d.key != "wine":
        return [(y > 0, "target y = +1", dict(marker="o", ms=4, mfc="black", mec="black", mew=0.5)),
                (y <= 0, "target y = −1", dict(marker="o", ms=4, mfc="white", mec="black", mew=0.8))]
    classes = [(y <= 4, "quality 3–4"), (y == 5, "quality 5"), (y == 6, "quality 6"), (y >= 7, "quality 7–8")]
    return [(rows, label, dict(marker="o", ms=3.2, mfc=colour, mec="black", mew=0.3))
            for (rows, label), colour in zip(classes, OKABE_ITO)]


def fit_texts(ax, renderer, pad: float = 3.0) -> None:
    """Widen the data limits of `ax` (equal aspect) until every text in it lies inside it.

    Texts have a size in points, so the more the data units shrink, the more room they take: a few
    rounds of measuring and widening settle it.
    """
    for _ in range(5):
        box = ax.get_window_extent(renderer)
        texts = [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()]
        if not texts:
            return
        need = Bbox.union(texts).padded(pad)
        if need.x0 >= box.x0 and need.x1 <= box.x1 and need.y0 >= box.y0 and need.y1 <= box.y1:
            return
        to_data = ax.transData.inverted()
        (x0, y0), (x1, y1) = to_data.transform([[min(need.x0, box.x0), min(need.y0, box.y0)],
                                                [max(need.x1, box.x1), max(need.y1, box.y1)]])
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.apply_aspect()


__all__ = ["DATASETS", "Playground", "PlaygroundData", "Run", "Settings", "load_dataset"]
