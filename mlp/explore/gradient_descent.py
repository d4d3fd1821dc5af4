"""Explorer for the gradient-descent notebook: gradient descent on the contours of E(slope, intercept).

Quality is fitted on alcohol alone, N(x; θ) = θ_1 x + θ_2, so E has two parameters and can be
drawn. Choose the step size τ (in units of 1/λ_max), the number of steps and raw or standardised
alcohol; see the path θ(k) on the contours, E(θ(k)) − E(θ̂) over k, and τ against 1/λ_max and 2/λ_max.
The maths is `mlp.convergence`, the contours and paths are drawn by `mlp.plots`.
"""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import convergence, data
from ..convergence import landscape
from ..plots import COLORS, draw_contours, draw_path
from . import Explorer

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
        controls = {
            # redraw on release: a figure takes a few tenths of a second, too slow to follow a drag
            "tau_times_lambda": widgets.FloatSlider(value=tau_times_lambda, min=0.05, max=2.2, step=0.05, description="τ · λ_max",
                                               readout_format=".2f", continuous_update=False),
            "num_steps": widgets.IntSlider(value=num_steps, min=1, max=200, description="steps", continuous_update=False),
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
        trajectory = convergence.gradient_descent(land.x, land.y, tau, num_steps, land.theta0)
        costs = convergence.costs_along(land.x, land.y, trajectory)
        return {
            "features": features, "landscape": land, "tau": tau, "tau_times_lambda": tau_times_lambda,
            "trajectory": trajectory, "excess": costs - land.cost_hat,
            "monotone": bool(np.all(np.diff(costs) <= 0)),
            "distances": np.linalg.norm(trajectory - land.theta_hat, axis=1),
        }

    def draw(self, fig, result: dict) -> None:
        land, tau_l = result["landscape"], result["tau_times_lambda"]
        fig.set_layout_engine("none")  # fixed margins: constrained layout would triple the drawing time
        grid = fig.add_gridspec(2, 2, height_ratios=[5, 1], left=0.07, right=0.98, top=0.94, bottom=0.1,
                                wspace=0.3, hspace=0.45)
        paths, curve, strip = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
        draw_contours(paths, land, self.units[result["features"]], f"Path θ(k) on the contours of E ({result['features']} alcohol)")
        draw_path(paths, result["trajectory"], f"τ = {tau_l:.2f}/λ_max", COLORS[0])
        paths.legend(loc="best", fontsize=8)

        k = np.arange(len(result["excess"]))
        excess = np.where(np.isfinite(result["excess"]), result["excess"], np.nan)
        curve.semilogy(k, np.maximum(excess, 1e-12), marker="o", markersize=3, color=COLORS[0])
        curve.set_title("Cost above the minimum")
        curve.set_xlabel("iteration k")
        curve.set_ylabel("E(θ(k)) − E(θ̂) [quality points²]")

        strip.axvspan(0, 2, color="tab:green", alpha=0.15)
        strip.axvspan(2, 2.25, color="tab:red", alpha=0.15)
        for mark, name in ((1, "1/λ_max"), (2, "2/λ_max")):
            strip.axvline(mark, color="black", linewidth=1)
            strip.annotate(name, (mark, 0.75), xytext=(4, 0), textcoords="offset points", va="center")
        strip.plot([tau_l], [0.3], marker="v", markersize=10, color=COLORS[0])
        strip.set_xlim(0, 2.25)
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        strip.set_title("Step size: every step lowers E for τ < 2/λ_max (green), gradient descent diverges above (red)", fontsize=9)
        strip.set_xlabel("step size τ, in units of 1/λ_max")

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
            f"τ = {result['tau_times_lambda']:.2f}/λ_max = {result['tau']:.3g} &nbsp;|&nbsp; λ_max/λ_min = {land.lambda_max / land.lambda_min:,.0f} &nbsp;|&nbsp; "
            f"after {steps} steps E(θ(k)) − E(θ̂) = {excess[-1]:.3g}, ‖θ(k) − θ̂‖ = {result['distances'][-1]:.3g} "
            f"(from {result['distances'][0]:.3g}) &nbsp;|&nbsp; {verdict}"
        )
