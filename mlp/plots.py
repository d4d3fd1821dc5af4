"""Plotting helpers shared by the notebooks (matplotlib; imported only where used).

Every function draws into an Axes it is given (or a new one) and labels it: title, axis labels
with units. Topic-specific pictures live beside their topic; what several notebooks draw lives here.
The course's look (colour-blind-safe colours, titles at a fixed height) is given per figure by
`style` (new_axes and draw_network call it); importing this module changes no matplotlib setting.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .convergence import Landscape

# One colour per series, in this order: Okabe & Ito's palette ("Color Universal Design", 2008), told apart
# with every common colour-vision deficiency, in the roles of matplotlib's C0 … C4 (blue, orange, green,
# vermillion for red, reddish purple), then sky blue and black; no yellow (too light on white).
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
LINESTYLES = ("-", "--", "-.", ":")  # for series that meet or cross: told apart without their colour too


def style(target):
    """Give a Figure's axes (or the Axes, or array of Axes, given) the course's look; returns target.

    - colour cycle COLORS: lines and points without a colour of their own take them in turn;
    - titles at a fixed height just above the axes (matplotlib's automatic placement measures every tick
      label to dodge top-side ones, which no figure of the course has: a third of a small figure's time).
    Only these axes change, never matplotlib's rcParams. Call it on a new figure, before its titles
    (and again on an Axes after ax.clear()).
    """
    from matplotlib.figure import Figure

    axes = target.axes if isinstance(target, Figure) else np.ravel(target)
    for ax in axes:
        ax.set_prop_cycle(color=COLORS)
        ax.set_title(ax.get_title(), y=1.0)  # an explicit y: this Axes stops placing its title automatically
    return target


def label(ax, title: str, xlabel: str, ylabel: str):
    """Set the title and axis labels of `ax` in one call; returns ax."""
    ax.set_title(title, y=1.0)  # fixed height (see style)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_costs(ax, costs, label_text: str | None = None, log: bool = True, title: str = "Training cost over the iterations",
               **line):
    """E(θ(k)) against the iteration k, on a log scale by default; returns ax.

    Each call draws one run; runs drawn into the same ax get the next colour and the next of LINESTYLES
    (unless `line` sets them), so that curves that meet stay apart without colour too.
    """
    k = np.arange(len(costs))
    line.setdefault("linestyle", LINESTYLES[len(ax.get_lines()) % len(LINESTYLES)])
    ax.plot(k, costs, label=label_text, **line)
    if log:
        ax.set_yscale("log")
    return label(ax, title, "iteration k", "training cost E(θ(k))")


def new_axes(ncols: int = 1, width: float = 5.0, height: float = 3.5):
    """A figure with `ncols` axes side by side, in the course's `style`; returns (fig, axes) like plt.subplots."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), layout="constrained")
    style(fig)
    return fig, axes


def scatter_jittered(ax, x, y, jitter: float = 0.15, rng=0, label: str | None = None, **style):
    """Scatter y against x, each y shifted by seeded uniform noise in [−jitter, jitter]; returns ax.

    For integer targets such as the wine quality (3 … 8): without jitter the 1,599 points pile up on
    six lines and hide how many wines sit where. Only the drawing is jittered, never the data.
    """
    shift = np.random.default_rng(rng).uniform(-jitter, jitter, size=np.shape(y))
    style = {"s": 8, "alpha": 0.3, "linewidths": 0, "color": COLORS[0]} | style
    ax.scatter(x, np.asarray(y) + shift, label=label, **style)
    return ax


def plot_network_1d(ax, model, lo: float = -3.0, hi: float = 3.0, x=None, y=None, label_text: str | None = None,
                    num: int = 600, title: str = "Network function N(x; θ)", xlabel: str = "input x (dimensionless)",
                    ylabel: str = "output N(x; θ) (dimensionless)", **style):
    """Draw x ↦ N(x; θ) of a network with one input and one output on [lo, hi] (and the data (x, y) if given).

    model: anything with forward(X) for X of shape (num, 1), e.g. a Sequential; x, y: arrays of N numbers
    (shapes (N,) or (N, 1)). Returns ax.
    """
    if x is not None and y is not None:
        ax.scatter(np.ravel(x), np.ravel(y), s=10, color="0.45", label="training data", zorder=1)
    grid = np.linspace(lo, hi, num)
    ax.plot(grid, model.forward(grid[:, None])[:, 0], label=label_text, zorder=2, **style)
    return label(ax, title, xlabel, ylabel)


def plot_train_test_costs(ax, train_costs, test_steps, test_costs, label_text: str = "", color=None,
                          log: bool = True, title: str = "Training and test cost over the iterations",
                          ylabel: str = "mean squared error E/N"):
    """Training cost at every iteration k (solid) and test cost at `test_steps` (dashed, same colour).

    train_costs (K + 1,): E(θ(k))/N for k = 0 … K; test_costs at iterations test_steps. Log scale by
    default; returns ax. A gap between the two curves is what the network learned about the training
    samples that does not carry over to new ones.
    """
    k = np.arange(len(train_costs))
    (line,) = ax.plot(k, train_costs, color=color, label=f"{label_text} training".strip())
    ax.plot(test_steps, test_costs, color=line.get_color(), ls="--", label=f"{label_text} test".strip())
    if log:
        ax.set_yscale("log")
    return label(ax, title, "iteration k", ylabel)


def draw_contours(ax, land: Landscape, xlabel: str, title: str, labelled: bool = False) -> None:
    """Contours of E(θ) − E(θ̂) (log-spaced levels) with θ̂ starred; labels the axes.

    labelled=True draws the levels 1, 2, 5 × 10^k instead and writes the value on each line of 10^k.
    """
    excess = land.costs - land.cost_hat
    low, high = max(excess.min(), 1e-3 * excess.max()), excess.max()
    levels = np.geomspace(low, high, 12)
    if labelled:
        decades = 10.0 ** np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
        levels = [v for v in np.outer(decades, [1, 2, 5]).ravel() if low <= v <= high]
    lines = ax.contour(land.slopes, land.intercepts, excess, levels=levels, colors="0.65", linewidths=0.8)
    if labelled:
        decade_levels = [v for v in levels if np.isclose(np.log10(v), np.round(np.log10(v)))]
        # each label where its line is farthest from the frame, so that none is cut off at an edge; none on
        # a line too small to hold it next to θ̂
        s, b = np.meshgrid(np.linspace(0, 1, len(land.slopes)), np.linspace(0, 1, len(land.intercepts)))
        inside = np.minimum(np.minimum(s, 1 - s), np.minimum(b, 1 - b))
        width = land.slopes[-1] - land.slopes[0]
        from_hat = np.hypot(*np.meshgrid(land.slopes - land.theta_hat[0], land.intercepts - land.theta_hat[1])) / width
        logs = np.log10(np.maximum(excess, 1e-300))
        labelled_levels, places = [], []
        for level in decade_levels:
            gap = np.abs(logs - np.log10(level))
            near = gap <= max(0.03, np.partition(gap.ravel(), 20)[20])  # the grid points on or next to the line
            if from_hat[near].max() < 0.12:
                continue
            i, j = np.unravel_index(np.argmax(np.where(near, inside, -1.0)), excess.shape)
            labelled_levels.append(level)
            places.append((land.slopes[j], land.intercepts[i]))
        ax.clabel(lines, levels=labelled_levels, manual=places, fontsize=7.5, colors="0.3",
                  fmt=lambda v: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    ax.plot(*land.theta_hat, marker="*", markersize=14, color="black", linestyle="none", label="θ̂ (least squares)")
    ax.set_xlim(land.slopes[[0, -1]])
    ax.set_ylim(land.intercepts[[0, -1]])
    ax.set_aspect("equal")
    ax.set_title(title, y=1.0)
    ax.set_xlabel(f"slope θ_1 [quality points per {xlabel}]")
    ax.set_ylabel("intercept θ_2 [quality points]")


def draw_path(ax, trajectory: np.ndarray, label: str, color: str, marker: str = "o") -> None:
    """The iterates θ(0), θ(1), … of a 2-parameter trajectory (K, 2) as markers joined by lines (give
    paths that share an Axes different markers: "o", "s", "^")."""
    ax.plot(trajectory[:, 0], trajectory[:, 1], marker=marker, markersize=3, linewidth=1.2, color=color, label=label)


def log_ticks(ax, axis: str = "y") -> None:
    """Label the log-scale `axis` ("x" or "y") of `ax` in plain Unicode (10⁻³, 2×10⁻¹) instead of mathtext,
    with minor ticks only at 2 and 5 times each power of ten when it spans more than two decades.

    The picture reads as matplotlib's default; drawing a wide log axis gets about 0.15 s cheaper.
    """
    from matplotlib.ticker import LogFormatter, LogLocator

    class UnicodeLogFormatter(LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            exponent = int(np.floor(np.log10(x) + 1e-9))
            coefficient = x / 10.0 ** exponent
            power = "10" + str(exponent).replace("-", "⁻").translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
            if np.isclose(coefficient, 1):
                return power
            return f"{round(coefficient):d}×{power}" if np.isclose(coefficient, round(coefficient)) else f"{x:.3g}"

    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    if high > 0 and low > 0 and np.log10(high / low) > 2:
        target.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    target.set_major_formatter(UnicodeLogFormatter(labelOnlyBase=False))
    target.set_minor_formatter(UnicodeLogFormatter(labelOnlyBase=False))


# --- the network as neurons and edges (the lecture's "Visualizing the architecture") -----------------

POSITIVE, NEGATIVE = COLORS[0], COLORS[1]  # edge colours for positive and negative weights (blue, orange)


def _architecture(model_or_sizes) -> tuple[list[int], list[str | None], list[np.ndarray | None]]:
    """(widths [n_0, …, n_L], the activation after each affine layer or None, the weights θ_w^i or None)."""
    if hasattr(model_or_sizes, "layers"):
        from .layers import Linear  # a network: read its affine layers and what follows each
        layers = list(model_or_sizes.layers)
        sizes, activations, weights = [], [], []
        for i, layer in enumerate(layers):
            if isinstance(layer, Linear):
                sizes = sizes or [layer.n_in]
                sizes.append(layer.n_out)
                weights.append(layer.params["weight"])
                after = layers[i + 1] if i + 1 < len(layers) and not isinstance(layers[i + 1], Linear) else None
                activations.append(None if after is None else type(after).__name__)
        if not sizes:
            raise ValueError("draw_network needs a network with at least one Linear layer, or a list of widths")
        return sizes, activations, weights
    from ._validate import sizes as checked_sizes
    sizes = checked_sizes(model_or_sizes)
    return sizes, ["σ"] * (len(sizes) - 2) + [None], [None] * (len(sizes) - 1)


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


class NetworkDiagram:
    """A fully connected network drawn as neurons and edges; `update(model)` recolours the edges in place.

    Built by `draw_network`; `ax` is the Axes it draws into, `edges[i]` the LineCollection of φ^(i+1).
    Columns are DX apart, neurons 1 apart, circles of radius R, all in data units (equal aspect).
    """

    DX, R = 3.0, 0.32

    def __init__(self, ax, model_or_sizes, max_neurons: int = 10, title: str | None = None,
                 input_names: list[str] | None = None) -> None:
        from matplotlib.collections import LineCollection, PatchCollection
        from matplotlib.patches import Circle

        sizes, activations, weights = _architecture(model_or_sizes)
        self.ax, self.sizes, self.max_neurons = ax, sizes, max_neurons
        # many columns, or long input names that widen the picture: short captions, so that neighbours stay apart
        self.compact = len(sizes) > 4 or max(map(len, input_names or [""])) > 12
        self.shown = [self._shown(n) for n in sizes]          # which neurons of each layer are drawn
        ys = [self._positions(len(shown)) for shown in self.shown]
        drawn = [[y for y, j in zip(col, shown) if j is not None] for col, shown in zip(ys, self.shown)]
        last, half = len(sizes) - 1, max(len(col) for col in ys) / 2
        self.edges = []
        for i in range(last):
            segments = [((i * self.DX + self.R, a), ((i + 1) * self.DX - self.R, b))
                        for b in drawn[i + 1] for a in drawn[i]]
            edges = LineCollection(segments, colors="0.6", linewidths=0.8, zorder=1)
            ax.add_collection(edges)
            self.edges.append(edges)
        for i, n in enumerate(sizes):
            x = i * self.DX
            kind = "input" if i == 0 else "output" if i == last else "hidden"
            face = {"input": "white", "hidden": "#dbe9f6", "output": "#fde0c5"}[kind]
            ax.add_collection(PatchCollection([Circle((x, y), self.R) for y in drawn[i]], facecolor=face,
                                              edgecolor="black", linewidth=1.0, zorder=2))
            for y, j in zip(ys[i], self.shown[i]):
                if j is None:
                    ax.text(x, y, "⋮", ha="center", va="center", fontsize=14, zorder=3)
                elif kind == "hidden" and activations[i - 1] is not None:  # no σ in a stack of affine layers only
                    ax.text(x, y, "σ", ha="center", va="center", fontsize=10, zorder=3)
                elif kind == "input":
                    name = input_names[j] if input_names else f"x{_subscript(j + 1)}"
                    ax.text(x - self.R - 0.15, y, name, ha="right", va="center", fontsize=9, zorder=3)
            ax.text(x, -half - 0.3, self._layer_label(i, n, activations), ha="center", va="top",
                    fontsize=8 if len(sizes) > 4 else 9)
        if sizes[-1] == 1:
            ax.text(last * self.DX + self.R + 0.2, 0, "N(x; θ)", ha="left", va="center", fontsize=11, style="italic")
        ax.set_xlim(-1.6, last * self.DX + 1.8)
        ax.set_ylim(-half - 2.0, half + 0.2)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(title or self._title(), y=1.0)
        if any(w is not None for w in weights):
            self.update(weights)

    def _shown(self, n: int) -> list[int | None]:
        """The neuron indices drawn for a layer of n (None marks the ⋮ of a layer too wide to draw)."""
        if n <= self.max_neurons:
            return list(range(n))
        half = (self.max_neurons - 1) // 2
        return list(range(half)) + [None] + list(range(n - half, n))

    @staticmethod
    def _positions(count: int) -> np.ndarray:
        return (count - 1) / 2 - np.arange(count, dtype=float)  # top to bottom, centred at 0

    def _layer_label(self, i: int, n: int, activations) -> str:
        compact = self.compact
        if i == 0:
            return f"input\n{n} feature{'s' if n > 1 else ''}" if compact else f"input x\n{n} feature{'s' if n > 1 else ''}"
        affine = f"φ{_superscript(i)}"  # Unicode, not mathtext: text layout is most of a figure's cost
        if i == len(self.sizes) - 1:
            return f"output\n{affine}" if compact else f"output layer\n{affine}, {n} neuron{'s' if n > 1 else ''}"
        sigma = activations[i - 1]
        if sigma is None:
            return f"hidden {i}\n{affine} only\n{n} neurons" if compact else f"hidden layer {i}\n{affine}, no activation\n{n} neurons"
        what = f"{n} × {sigma}" if sigma != "σ" else f"{n} neurons"
        return f"hidden {i}\n{affine}, σ\n{what}" if compact else f"hidden layer {i}\n{affine}, then σ\n{what}"

    def _title(self) -> str:
        hidden = len(self.sizes) - 2
        kind = "linear regression" if hidden == 0 else f"{hidden} hidden layer{'s' if hidden > 1 else ''}"
        return f"Network {self.sizes}: {kind}"

    def update(self, model_or_weights) -> None:
        """Colour (blue +, orange −), width and opacity (∝ |θ_w|, per layer) of every drawn edge from the weights."""
        weights = _architecture(model_or_weights)[2] if hasattr(model_or_weights, "layers") else model_or_weights
        from matplotlib.colors import to_rgba
        plus, minus = np.array(to_rgba(POSITIVE)), np.array(to_rgba(NEGATIVE))
        for i, (edges, weight) in enumerate(zip(self.edges, weights)):
            rows = [j for j in self.shown[i + 1] if j is not None]
            cols = [j for j in self.shown[i] if j is not None]
            w = np.asarray(weight)[np.ix_(rows, cols)].ravel()
            strength = np.abs(w) / (np.abs(w).max() or 1.0)
            rgba = np.where((w >= 0)[:, None], plus, minus)
            rgba[:, 3] = 0.2 + 0.8 * strength
            edges.set_color(rgba)
            edges.set_linewidth(0.3 + 2.7 * strength)


def draw_network(model_or_sizes, ax=None, max_neurons: int = 10, title: str | None = None,
                 input_names: list[str] | None = None) -> NetworkDiagram:
    """Draw a fully connected network as the lecture does: one circle per neuron, an edge per weight.

    model_or_sizes: a network (a Sequential such as fully_connected(...)) or its widths [n_0, …, n_L].
    Input neurons are labelled x_j (or `input_names`), hidden neurons carry σ (every hidden neuron
    applies the activation), the output is N(x; θ); below each column, its layer: φ^i and σ.
    Given a network, edges are coloured by the sign of their weight (blue +, orange −) and drawn
    wider for larger |weight|. Layers wider than `max_neurons` show their first and last neurons
    and ⋮ between. Returns the NetworkDiagram (its `ax`; `update(model)` recolours in place).
    """
    if ax is None:
        sizes = _architecture(model_or_sizes)[0]
        tall = min(max(sizes), max_neurons)
        _, ax = plt.subplots(figsize=(1.6 * len(sizes) + 1.2, 0.42 * tall + 1.6))
        style(ax)
    return NetworkDiagram(ax, model_or_sizes, max_neurons, title, input_names)
