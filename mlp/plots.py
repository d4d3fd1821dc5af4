"""Plotting helpers shared by the notebooks (matplotlib; imported only where used).

Every function draws into an Axes it is given (or a new one) and labels it: title, axis labels
with units. Topic-specific pictures live beside their topic; what several notebooks draw lives here.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .convergence import Landscape

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")  # one colour per run, in this order


def label(ax, title: str, xlabel: str, ylabel: str):
    """Set the title and axis labels of `ax` in one call; returns ax."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_costs(ax, costs, label_text: str | None = None, log: bool = True, title: str = "Training cost over the iterations"):
    """E(θ(k)) against the iteration k, on a log scale by default; returns ax."""
    k = np.arange(len(costs))
    ax.plot(k, costs, label=label_text)
    if log:
        ax.set_yscale("log")
    return label(ax, title, "iteration k", "training cost E(θ(k))")


def new_axes(ncols: int = 1, width: float = 5.0, height: float = 3.5):
    """A figure with `ncols` axes side by side; returns (fig, axes) like plt.subplots."""
    return plt.subplots(1, ncols, figsize=(width * ncols, height), layout="constrained")


def scatter_jittered(ax, x, y, jitter: float = 0.15, rng=0, label: str | None = None, **style):
    """Scatter y against x, each y shifted by seeded uniform noise in [−jitter, jitter]; returns ax.

    For integer targets such as the wine quality (3 … 8): without jitter the 1,599 points pile up on
    six lines and hide how many wines sit where. Only the drawing is jittered, never the data.
    """
    shift = np.random.default_rng(rng).uniform(-jitter, jitter, size=np.shape(y))
    style = {"s": 8, "alpha": 0.3, "linewidths": 0, "color": "C0"} | style
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


def draw_contours(ax, land: Landscape, xlabel: str, title: str) -> None:
    """Contours of E(θ) − E(θ̂) (log-spaced levels) with θ̂ starred; labels the axes."""
    excess = land.costs - land.cost_hat
    levels = np.geomspace(max(excess.min(), 1e-3 * excess.max()), excess.max(), 12)
    ax.contour(land.slopes, land.intercepts, excess, levels=levels, colors="0.65", linewidths=0.8)
    ax.plot(*land.theta_hat, marker="*", markersize=14, color="black", linestyle="none", label="θ̂ (least squares)")
    ax.set_xlim(land.slopes[[0, -1]])
    ax.set_ylim(land.intercepts[[0, -1]])
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.set_xlabel(f"slope θ_1 [quality points per {xlabel}]")
    ax.set_ylabel("intercept θ_2 [quality points]")


def draw_path(ax, trajectory: np.ndarray, label: str, color: str) -> None:
    """The iterates θ(0), θ(1), … of a 2-parameter trajectory (K, 2) as dots joined by lines."""
    ax.plot(trajectory[:, 0], trajectory[:, 1], marker="o", markersize=3, linewidth=1.2, color=color, label=label)
