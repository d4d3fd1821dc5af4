"""Notebook 03's explorer of 1-D fully connected networks (the kinks themselves are `mlp.kinks`)."""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import _validate
from ..data import make_regression_1d
from ..layers import Linear
from ..kinks import slope_changes
from ..regression import cost, fit_least_squares
from ..network import Sequential, fully_connected
from . import Explorer


def _one_input(model: Sequential) -> Linear:
    first = model.layers[0]
    if not isinstance(first, Linear) or first.n_in != 1:
        raise ValueError(f"expected a network with one input whose first layer is Linear(1 -> n), got {first!r}")
    return first


def spread_units(model: Sequential, lo: float, hi: float, rng=None) -> Sequential:
    """Move every hidden unit's switch point (ReLU kink, sigmoid/tanh centre) to a random input in [lo, hi].

    For a network with one input: the bias of hidden unit j of each hidden Linear layer is set so that its
    pre-activation is zero at x = c_j, with c_j uniform on [lo, hi]: b_j = −(W h(c_j))_j, h the layer's input.
    In the first layer this is b_j = −w_j c_j. Changes `model` in place and returns it.
    """
    _one_input(model)
    rng = np.random.default_rng(rng)
    for i, layer in enumerate(model.layers[:-1]):
        if isinstance(layer, Linear):
            c = rng.uniform(lo, hi, (layer.n_out, 1))
            h = Sequential(model.layers[:i]).forward(c) if i else c
            layer.params["bias"][:] = -np.einsum("jk,jk->j", h, layer.params["weight"])
    return model


def fit_output_layer(model: Sequential, x: np.ndarray, y: np.ndarray) -> Sequential:
    """Set the last layer φ^L of `model` to the least-squares fit of y on the last hidden layer's outputs.

    x (N, n_0), y (N, 1). With H = the hidden outputs (N, n_{L−1}), the output weights and bias are
    θ̂ = argmin ||[H, 1] θ − y||² (notebook 01's least squares). Changes `model` in place and returns it.
    """
    last = model.layers[-1]
    if not isinstance(last, Linear) or last.n_out != 1 or len(model.layers) < 2:
        raise ValueError("expected a network with hidden layers and one output, ending in Linear(n -> 1)")
    hidden = Sequential(model.layers[:-1]).forward(x)
    theta = fit_least_squares(hidden, y[:, 0])
    last.params["weight"][0] = theta[:-1]
    last.params["bias"][0] = theta[-1]
    return model


class ActivationExplorer(Explorer):
    """Choose the activation, the hidden width and the number of hidden layers; see the network function.

    The network is fully_connected([1, width, …, width, 1], activation), seeded. To answer within a few
    milliseconds it is trained in one step instead of by gradient descent: the hidden layers keep their
    seeded random weights, with every unit's switch point moved to a random input in [−3, 3]
    (`spread_units`), and the output layer is the least-squares fit on their outputs (`fit_output_layer`).
    """

    title = "Activations and fully connected networks"
    figsize = (10.0, 3.8)
    widths = (1, 2, 4, 8, 16, 32)
    lo, hi = -5.0, 5.0   # the plotted inputs; the data live on [−3, 3]

    def __init__(self, activation: str = "relu", width: int = 8, layers: int = 1, target: str = "sine") -> None:
        style = {"description_width": "initial"}
        controls = {
            "activation": widgets.Dropdown(options=["relu", "sigmoid", "tanh"], value=activation,
                                           description="activation σ", style=style),
            "width": widgets.SelectionSlider(options=self.widths, value=width, description="hidden width", style=style),
            "layers": widgets.IntSlider(value=layers, min=1, max=3, description="hidden layers", style=style),
            "target": widgets.Dropdown(options=["sine", "abs", "step"], value=target, description="target", style=style),
        }
        super().__init__(controls)

    def compute(self, activation: str = "relu", width: int = 8, layers: int = 1, target: str = "sine", seed: int = 0) -> dict:
        """Build and fit the network for these settings; return what the figure and status line need.

        Keys: x, y (the data, (80, 1)), truth_x, truth_y (the noise-free target on [−3, 3]), grid (G,),
        f (N on the grid, (G,)), pieces (G, width): the output-weighted last hidden units θ^L_w,j h_j(x),
        cost and linear_cost (E/N of the network and of the best straight line), n_params, kinks
        (positions of the slope changes in [lo, hi] for ReLU, None otherwise), the fitted model and the settings.
        """
        if width not in self.widths:
            raise ValueError(f"width must be one of {self.widths}, got {width!r}")
        layers = _validate.count(layers, "layers")
        rng = np.random.default_rng(seed)
        x, y = make_regression_1d(80, noise=0.1, rng=0, kind=target)
        truth_x, truth_y = make_regression_1d(400, noise=0.0, rng=1, kind=target)
        model = fully_connected([1] + [width] * layers + [1], activation, rng=rng)
        fit_output_layer(spread_units(model, -3.0, 3.0, rng), x, y)
        grid = np.linspace(self.lo, self.hi, 501)
        hidden = Sequential(model.layers[:-1]).forward(grid[:, None])
        out = model.layers[-1].params
        theta_linear = fit_least_squares(x, y[:, 0])
        return {
            "activation": activation, "width": width, "layers": layers, "target": target,
            "x": x, "y": y, "truth_x": truth_x[:, 0], "truth_y": truth_y[:, 0],
            "grid": grid, "f": hidden @ out["weight"][0] + out["bias"][0], "pieces": hidden * out["weight"][0],
            "cost": float(np.mean((model.forward(x) - y) ** 2)),
            "linear_cost": cost(x, y[:, 0], theta_linear) / len(x),
            "n_params": model.n_params,
            "kinks": slope_changes(model, self.lo, self.hi, num=5_001) if activation == "relu" else None,
            "model": model,
        }

    def draw(self, fig, result: dict) -> None:
        left, right = fig.subplots(1, 2)
        for ax in (left, right):
            ax.axvspan(-3, 3, color="0.93", zorder=0, label="where the data are")
        left.scatter(result["x"][:, 0], result["y"][:, 0], s=10, color="0.4", label="training data")
        left.plot(result["truth_x"], result["truth_y"], "--", color="0.2", lw=1, label="target without noise")
        left.plot(result["grid"], result["f"], color="C0", lw=2, label="network N(x; θ)")
        if result["kinks"] is not None and len(result["kinks"]):
            left.plot(result["kinks"], np.interp(result["kinks"], result["grid"], result["f"]), "|",
                      color="C3", ms=10, mew=1.5, label="kinks")
        low, high = result["y"].min(), result["y"].max()
        left.set_ylim(low - 1.0, high + 1.0)
        fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=5, fontsize=8, frameon=False)
        left.set_title("Network function and the data")
        left.set_xlabel("input x (dimensionless)")
        left.set_ylabel("output (dimensionless)")
        right.plot(result["grid"], result["pieces"], lw=1)
        right.set_title("Its pieces: last hidden units × output weights")
        right.set_xlabel("input x (dimensionless)")
        right.set_ylabel("θ^L_w,j · h_j(x) (dimensionless)")

    def summary(self, result: dict) -> str:
        layers = "1 hidden layer" if result["layers"] == 1 else f"{result['layers']} hidden layers"
        kinks = "" if result["kinks"] is None else f"; <b>{len(result['kinks'])}</b> kinks in [−5, 5]"
        return (
            f"<b>{result['activation']}</b>, {layers} of {result['width']} units ({result['n_params']} parameters): "
            f"training cost E/N = <b>{result['cost']:.4f}</b> (best straight line: {result['linear_cost']:.4f}){kinks}"
        )
