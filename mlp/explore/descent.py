"""Explorer for notebook 05: gradient descent on the contours of E(slope, intercept).

Quality is fitted on alcohol alone, N(x; θ) = θ_1 x + θ_2, so E has two parameters and can be
drawn. Choose the step size τ (in units of 1/L), the number of steps and raw or standardised
alcohol; see the path θ(k) on the contours, E(θ(k)) − E(θ̂) over k, and τ against 1/L and 2/L.
`landscape` and `draw_path` also draw the notebook's static figures.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import data, descent, linear
from . import Explorer

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


@dataclass(frozen=True)
class Landscape:
    """E(θ) = Σ_j (θ_1 x_j + θ_2 − y_j)² on a grid around θ(0) and θ̂, with its curvature.

    slopes (n,), intercepts (n,), costs (n, n) with costs[i, j] = E(slopes[j], intercepts[i]);
    theta_hat (2,) the minimiser, cost_hat = E(θ̂), L and mu the largest and smallest eigenvalues
    of the Hessian, theta0 (2,) the start of every path.
    """

    x: np.ndarray
    y: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    costs: np.ndarray
    theta_hat: np.ndarray
    cost_hat: float
    L: float
    mu: float
    theta0: np.ndarray


def landscape(x: np.ndarray, y: np.ndarray, theta0=(0.0, 0.0), num: int = 60) -> Landscape:
    """The Landscape of the one-feature regression x (N, 1), y (N,) on a square window that frames
    θ(0), θ̂ and the first step with τ = 2/L (the widest swing a stable τ makes), with a margin.

    The window is square so that, drawn with equal axis scales, the gradient is perpendicular to
    the contours and round valleys look round.
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)  # columns sliced from a table are strided: slower
    theta_hat = linear.fit_least_squares(x, y)
    mu, L = descent.hessian_eigenvalues(x)[[0, -1]]
    swing = descent.gradient_descent(x, y, 2.0 / L, 1, theta0)[1]
    corners = np.array([theta0, theta_hat, swing])
    centre = (corners.min(axis=0) + corners.max(axis=0)) / 2
    half = 0.6 * np.max(corners.max(axis=0) - corners.min(axis=0))
    slopes = np.linspace(centre[0] - half, centre[0] + half, num)
    intercepts = np.linspace(centre[1] - half, centre[1] + half, num)
    return Landscape(x, y, slopes, intercepts, descent.cost_grid(x, y, slopes, intercepts), theta_hat,
                     linear.cost(x, y, theta_hat), float(L), float(mu), theta0)


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


class DescentExplorer(Explorer):
    """Step size τ · L, number of steps and feature scaling -> path on the contours and E(θ(k))."""

    title = "Gradient descent on the contours of E(θ)"
    figsize = (10.0, 5.2)

    def __init__(self, tau_times_L: float = 1.0, num_steps: int = 30, features: str = "raw") -> None:
        wine = data.load_wine_quality()
        alcohol = wine.feature("alcohol").reshape(-1, 1)
        standardised, *_ = data.standardize(alcohol)
        self.landscapes = {"raw": landscape(alcohol, wine.y), "standardised": landscape(standardised, wine.y)}
        self.units = {"raw": "% vol", "standardised": "standard deviation"}
        controls = {
            # redraw on release: a figure takes a few tenths of a second, too slow to follow a drag
            "tau_times_L": widgets.FloatSlider(value=tau_times_L, min=0.05, max=2.2, step=0.05, description="τ · L",
                                               readout_format=".2f", continuous_update=False),
            "num_steps": widgets.IntSlider(value=num_steps, min=1, max=200, description="steps", continuous_update=False),
            "features": widgets.ToggleButtons(options=["raw", "standardised"], value=features, description="alcohol"),
        }
        super().__init__(controls)

    def compute(self, tau_times_L: float, num_steps: int, features: str) -> dict:
        """Run gradient descent with τ = tau_times_L / L from θ(0) on the chosen landscape.

        Returns the landscape, tau, the trajectory (num_steps + 1, 2), excess[k] = E(θ(k)) − E(θ̂),
        monotone (every step lowered E) and distances ‖θ(k) − θ̂‖.
        """
        if features not in self.landscapes:
            raise ValueError(f"features must be 'raw' or 'standardised', got {features!r}")
        land = self.landscapes[features]
        tau = tau_times_L / land.L
        trajectory = descent.gradient_descent(land.x, land.y, tau, num_steps, land.theta0)
        costs = descent.costs_along(land.x, land.y, trajectory)
        return {
            "features": features, "landscape": land, "tau": tau, "tau_times_L": tau_times_L,
            "trajectory": trajectory, "excess": costs - land.cost_hat,
            "monotone": bool(np.all(np.diff(costs) <= 0)),
            "distances": np.linalg.norm(trajectory - land.theta_hat, axis=1),
        }

    def draw(self, fig, result: dict) -> None:
        land, tau_L = result["landscape"], result["tau_times_L"]
        fig.set_layout_engine("none")  # fixed margins: constrained layout would triple the drawing time
        grid = fig.add_gridspec(2, 2, height_ratios=[5, 1], left=0.07, right=0.98, top=0.94, bottom=0.1,
                                wspace=0.3, hspace=0.45)
        paths, curve, strip = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
        draw_contours(paths, land, self.units[result["features"]], f"Path θ(k) on the contours of E ({result['features']} alcohol)")
        draw_path(paths, result["trajectory"], f"τ = {tau_L:.2f}/L", COLORS[0])
        paths.legend(loc="best", fontsize=8)

        k = np.arange(len(result["excess"]))
        excess = np.where(np.isfinite(result["excess"]), result["excess"], np.nan)
        curve.semilogy(k, np.maximum(excess, 1e-12), marker="o", markersize=3, color=COLORS[0])
        curve.set_title("Cost above the minimum")
        curve.set_xlabel("iteration k")
        curve.set_ylabel("E(θ(k)) − E(θ̂) [quality points²]")

        strip.axvspan(0, 2, color="tab:green", alpha=0.15)
        strip.axvspan(2, 2.25, color="tab:red", alpha=0.15)
        for mark, name in ((1, "1/L"), (2, "2/L")):
            strip.axvline(mark, color="black", linewidth=1)
            strip.annotate(name, (mark, 0.75), xytext=(4, 0), textcoords="offset points", va="center")
        strip.plot([tau_L], [0.3], marker="v", markersize=10, color=COLORS[0])
        strip.set_xlim(0, 2.25)
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        strip.set_title("Step size: every step lowers E for τ < 2/L (green), gradient descent diverges above (red)", fontsize=9)
        strip.set_xlabel("step size τ, in units of 1/L")

    def summary(self, result: dict) -> str:
        land, excess = result["landscape"], result["excess"]
        steps = len(excess) - 1
        if not np.isfinite(excess[-1]) or result["tau_times_L"] > 2:
            verdict = "<b>diverges</b>: τ is above 2/L, so the swings across the valley grow (slowly when τ is close to 2/L)"
        elif result["monotone"]:
            verdict = "every step lowered E"
        else:
            verdict = "E went up at some step"
        return (
            f"τ = {result['tau_times_L']:.2f}/L = {result['tau']:.3g} &nbsp;|&nbsp; L/μ = {land.L / land.mu:,.0f} &nbsp;|&nbsp; "
            f"after {steps} steps E(θ(k)) − E(θ̂) = {excess[-1]:.3g}, ‖θ(k) − θ̂‖ = {result['distances'][-1]:.3g} "
            f"(from {result['distances'][0]:.3g}) &nbsp;|&nbsp; {verdict}"
        )
