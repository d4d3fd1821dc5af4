"""Explorer for the gradient-descent notebook: gradient descent on the contours of E(slope, intercept).

Quality is fitted on alcohol alone, N(x; θ) = θ_1 x + θ_2, so E has two parameters and can be
drawn. Choose the step size τ (in units of 1/λ_max, λ_max the largest eigenvalue of the Hessian of E),
the number of steps and raw or standardised alcohol; see the path θ(k) on the contours,
E(θ(k)) − E(θ̂) over k, and τ against 1/λ_max and 2/λ_max.
The maths is `mlp.convergence`, the contours are drawn by `mlp.plots`.
"""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import convergence, data
from ..convergence import landscape
from ..plots import COLORS, draw_contours
from . import Explorer

HORIZONS = (10, 20, 50, 100, 200)  # the cost plot's x-axis ends at the first of these that holds every step
FLOOR = 1e-12                      # E(θ(k)) − E(θ̂) below this is drawn at it (rounding noise)


def horizon(num_steps: int) -> int:
    return next((h for h in HORIZONS if h >= num_steps), num_steps)


def decades(values: np.ndarray) -> tuple[float, float]:
    """The powers of ten just below the smallest and just above the largest finite value (at least FLOOR)."""
    finite = values[np.isfinite(values)]
    finite = np.maximum(finite, FLOOR)
    low = 10.0 ** np.floor(np.log10(finite.min())) if finite.size else FLOOR
    high = 10.0 ** np.ceil(np.log10(finite.max()) + 1e-9) if finite.size else 1.0
    return float(low), float(max(high, 10 * low))


class DescentExplorer(Explorer):
    """Step size τ · λ_max, number of steps and feature scaling -> path on the contours and E(θ(k))."""

    title = "Gradient descent on the contours of E(θ)"
    figsize = (10.0, 5.2)

    def __init__(self, tau_times_lambda: float = 1.0, num_steps: int = 30, features: str = "raw") -> None:
        wine = data.load_wine_quality()
        alcohol = wine.feature("alcohol").reshape(-1, 1)
        standardised, *_ = data.standardize(alcohol)
        self.landscapes = {"raw": landscape(alcohol, wine.y), "standardised": landscape(standardised, wine.y)}
        self.units = {"raw": "% vol", "standardised": "standard deviation"}
        self.cost_ranges = {name: self._cost_range(land) for name, land in self.landscapes.items()}
        controls = {
            "tau_times_lambda": widgets.FloatSlider(value=tau_times_lambda, min=0.05, max=2.2, step=0.05,
                                                    description="τ · λ_max", readout_format=".2f"),
            "num_steps": widgets.IntSlider(value=num_steps, min=1, max=200, description="steps"),
            "features": widgets.ToggleButtons(options=["raw", "standardised"], value=features, description="alcohol"),
        }
        super().__init__(controls)

    def compute(self, tau_times_lambda: float, num_steps: int, features: str) -> dict:
        """Run gradient descent with τ = tau_times_lambda / λ_max from θ(0) on the chosen landscape.

        Returns the landscape, tau, the trajectory (num_steps + 1, 2), excess[k] = E(θ(k)) − E(θ̂),
        monotone (every step lowered E) and distances ‖θ(k) − θ̂‖.
        """
        if features not in self.landscapes:
            raise ValueError(f"features must be 'raw' or 'standardised', got {features!r}")
        land = self.landscapes[features]
        tau = tau_times_lambda / land.lambda_max
        trajectory = convergence.regression_trajectory(land.x, land.y, tau, num_steps, land.theta0)
        costs = convergence.costs_along(land.x, land.y, trajectory)
        return {
            "features": features, "landscape": land, "tau": tau, "tau_times_lambda": tau_times_lambda,
            "trajectory": trajectory, "excess": costs - land.cost_hat,
            "monotone": bool(np.all(np.diff(costs) <= 0)),
            "distances": np.linalg.norm(trajectory - land.theta_hat, axis=1),
        }

    @staticmethod
    def _cost_range(land) -> tuple[float, float]:
        """The cost plot's y-range for a landscape, the same for every τ and number of steps (so moving
        them never redraws the axes): from E(θ(0)) − E(θ̂) down to the lowest a stable τ reaches in 200 steps."""
        lowest = []
        for tau_l in (1.0, 1.99):
            path = convergence.regression_trajectory(land.x, land.y, tau_l / land.lambda_max, HORIZONS[-1], land.theta0)
            lowest.append((convergence.costs_along(land.x, land.y, path) - land.cost_hat).min())
        start = convergence.costs_along(land.x, land.y, land.theta0[None, :])[0] - land.cost_hat
        low, high = decades(np.array([min(lowest), start]))
        return low / 2, high * 2

    def build(self, fig) -> None:
        grid = fig.add_gridspec(2, 2, height_ratios=[5, 1], width_ratios=[1.25, 1], left=0.07, right=0.98,
                                top=0.9, bottom=0.1, wspace=0.3, hspace=0.45)
        self.ax_paths, self.ax_costs, self.ax_strip = (fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]),
                                                       fig.add_subplot(grid[1, :]))
        self.contours = {}
        for name, land in self.landscapes.items():  # both contour plots are drawn once; one is shown
            before = set(self.ax_paths.get_children())
            draw_contours(self.ax_paths, land, self.units[name], f"Path θ(k) on the contours of E ({name} alcohol)")
            self.contours[name] = [a for a in self.ax_paths.get_children() if a not in before]
        (self.path,) = self.ax_paths.plot([], [], marker="o", markersize=3, linewidth=1.2, color=COLORS[0],
                                          label="θ(k), k = 0, 1, …")
        star = next(a for a in self.contours["raw"] if a.get_label() == "θ̂ (least squares)")
        self.ax_paths.set_anchor("W")  # the square plot at the left of its cell, the legend beside it (off the data)
        self.ax_paths.legend(handles=[star, self.path], loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                             borderaxespad=0)

        ax = self.ax_costs
        (self.cost_line,) = ax.plot([], [], marker="o", markersize=3, color=COLORS[0])
        ax.set_yscale("log")
        ax.set_title("Cost above the minimum")
        ax.set_xlabel("iteration k")
        ax.set_ylabel("E(θ(k)) − E(θ̂) [quality points²]")
        self.off_scale = ax.text(0.55, 0.96, "", transform=ax.transAxes, ha="center", va="top", color="tab:red", fontsize=8)

        strip = self.ax_strip
        strip.axvspan(0, 2, color="tab:green", alpha=0.15)
        strip.axvspan(2, 2.25, color="tab:red", alpha=0.15)
        for mark, name in ((1, "$1/\\lambda_{\\max}$"), (2, "$2/\\lambda_{\\max}$")):
            strip.axvline(mark, color="black", linewidth=1)
            strip.annotate(name, (mark, 0.75), xytext=(4, 0), textcoords="offset points", va="center")
        (self.marker,) = strip.plot([], [], marker="v", markersize=10, color=COLORS[0], linestyle="none")
        self.marker_text = strip.annotate("", (0, 0.3), xytext=(8, 0), textcoords="offset points", va="center",
                                          color=COLORS[0], fontsize=9)
        strip.set_xlim(0, 2.25)
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        strip.set_title("Step size: every step lowers E for $\\tau < 2/\\lambda_{\\max}$ (green), "
                        "gradient descent diverges above (red)", fontsize=9)
        strip.set_xlabel("step size τ, in units of $1/\\lambda_{\\max}$ ($\\lambda_{\\max}$: the largest eigenvalue of the Hessian of E)")
        self.view.animate(self.path, self.cost_line, self.off_scale, self.marker, self.marker_text)

    def draw(self, result: dict) -> None:
        features, land, tau_l = result["features"], result["landscape"], result["tau_times_lambda"]
        excess = np.where(np.isfinite(result["excess"]), result["excess"], np.nan)
        low, high = self.cost_ranges[features]
        steps = len(excess) - 1
        end = horizon(steps)
        self.view.track(self.ax_paths, features)
        self.view.track(self.ax_costs, (features, end))
        # the unchanging parts of these versions: the chosen contours, the window, the cost plot's ranges
        for name, artists in self.contours.items():
            for artist in artists:
                artist.set_visible(name == features)
        self.ax_paths.set_xlim(land.slopes[[0, -1]])
        self.ax_paths.set_ylim(land.intercepts[[0, -1]])
        self.ax_paths.set_title(f"Path θ(k) on the contours of E,\n{features} alcohol", fontsize=11)
        self.ax_paths.set_xlabel(f"slope $\\theta_1$ [quality points per {self.units[features]}]")
        self.ax_paths.set_ylabel("intercept $\\theta_2$ [quality points]")
        self.ax_costs.set_xlim(-0.02 * end, 1.02 * end)
        self.ax_costs.set_ylim(low, high)
        # what moves
        self.path.set_data(result["trajectory"][:, 0], result["trajectory"][:, 1])
        self.cost_line.set_data(np.arange(steps + 1), np.maximum(excess, FLOOR))
        above = not np.all(np.isfinite(result["excess"])) or np.nanmax(excess) > high
        self.off_scale.set_text("↑ E(θ(k)) grows out of the plot: gradient descent diverges" if above else "")
        self.marker.set_data([min(tau_l, 2.24)], [0.3])
        self.marker_text.xy = (min(tau_l, 2.24), 0.3)
        right = tau_l < 1.7  # the label on the side with room
        self.marker_text.set_position((8, 0) if right else (-8, 0))
        self.marker_text.set_horizontalalignment("left" if right else "right")
        self.marker_text.set_text(f"τ = {tau_l:.2f}/$\\lambda_{{\\max}}$")

    def summary(self, result: dict) -> str:
        land, excess = result["landscape"], result["excess"]
        steps = len(excess) - 1
        if not np.isfinite(excess[-1]) or result["tau_times_lambda"] > 2:
            verdict = "<b>diverges</b>: τ is above 2/λ_max, so the swings across the valley grow (slowly when τ is close to 2/λ_max)"
        elif result["monotone"]:
            verdict = "every step lowered E"
        else:
            verdict = "E went up at some step"
        return (
            f"τ = {result['tau_times_lambda']:.2f}/λ_max = {result['tau']:.3g} &nbsp;|&nbsp; κ = λ_max/λ_min = {land.lambda_max / land.lambda_min:,.0f} &nbsp;|&nbsp; "
            f"after {steps} steps E(θ(k)) − E(θ̂) = {excess[-1]:.3g}, ‖θ(k) − θ̂‖ = {result['distances'][-1]:.3g} "
            f"(from {result['distances'][0]:.3g}) &nbsp;|&nbsp; {verdict}"
        )
