"""Networks as deeply nested functions N(x; θ) = ℓ^L(… ℓ^2(ℓ^1(x; θ^1); θ^2) …; θ^L).

`Sequential` composes layers; `fully_connected` builds the lecture's fully connected network
φ^L(σ(φ^{L-1}(… σ(φ^1(x; θ^1)) …))) with φ^i affine and σ an activation.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validate
from .layers import Layer, Linear, make_activation


class Sequential:
    """The composition ℓ^L ∘ … ∘ ℓ^1 of a list of layers, itself used like a layer.

    forward(x):   x (N, n_in) -> N(x; θ) (N, n_out), running ℓ^1 first
    backward(dz): dz = dE/dN (N, n_out) -> dE/dx (N, n_in), running ℓ^L first;
                  fills every layer's grads (overwritten, never accumulated)
    params/grads: one dict over all layers, keys "<index>.<name>" such as "0.weight" for ℓ^1
                  (model.layers[0]); the arrays are the layers' own, so updating them in place
                  updates the network.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if isinstance(layer, type) and issubclass(layer, Layer):
                raise TypeError(f"layer {i} is the class {layer.__name__}, not a layer: write {layer.__name__}(...) with parentheses")
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is a {type(layer).__name__}, not an mlp Layer (e.g. Linear(3, 4) or ReLU())")
        self.layers = layers
        self._check_sizes()

    def _check_sizes(self) -> None:
        width = None
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Linear):
                if width is not None and layer.n_in != width:
                    raise ValueError(
                        f"layer {i} ({layer!r}) expects {layer.n_in} inputs but the layer before it gives {width}"
                    )
                width = layer.n_out

    @property
    def n_in(self) -> int | None:
        """Number of input features, if the first layer with a size fixes it."""
        return next((layer.n_in for layer in self.layers if layer.n_in is not None), None)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """N(x; θ): feed the batch x (N, n_in) through ℓ^1, …, ℓ^L."""
        x = _validate.batch(x, "x", self.n_in, owner="the network")
        _validate.finite(x, "x")
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dz: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dz = dE/dN (N, n_out) through ℓ^L, …, ℓ^1; return dE/dx (N, n_in).

        With `input_grad=False` the first layer skips dE/dx (training never needs it) and None
        is returned.
        """
        for layer in reversed(self.layers[1:]):
            dz = layer.backward(dz)
        return self.layers[0].backward(dz, input_grad=input_grad)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """All parameters θ = (θ^1, …, θ^L), keyed "<layer index>.<name>"."""
        return {f"{i}.{name}": p for i, layer in enumerate(self.layers) for name, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """dE/dθ from the last backward, with the same keys and shapes as `params`."""
        return {f"{i}.{name}": g for i, layer in enumerate(self.layers) for name, g in layer.grads.items()}

    @property
    def n_params(self) -> int:
        """Total number of learnable parameters."""
        return sum(layer.n_params for layer in self.layers)

    def __repr__(self) -> str:
        rows = []
        for i, layer in enumerate(self.layers):
            count = f"{layer.n_params:,} parameters" if layer.params else ""
            rows.append(f"  ({i}) {layer!r:<24}{count:>20}".rstrip())
        return "Sequential(\n" + "\n".join(rows) + f"\n)  {self.n_params:,} parameters in total"


def fully_connected(sizes: Sequence[int], activation: str = "relu", rng=None, dtype=np.float64) -> Sequential:
    """Fully connected network φ^L(σ(φ^{L-1}(… σ(φ^1(x))))) with layer widths `sizes`.

    sizes = [n_0, n_1, …, n_L]: n_0 input features, n_L outputs, L affine layers φ^i: R^{n_{i-1}} -> R^{n_i}
    and the activation σ ("relu", "sigmoid", "tanh" or "identity") between them, none after the last.
    Example: fully_connected([11, 64, 64, 1]) has two hidden layers of 64 ReLU units.
    `rng` (seed or Generator) draws all initial weights, so a seed fixes the whole network.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of layer widths [n_inputs, ..., n_outputs] such as [11, 64, 1], got {sizes!r}")
    sizes = list(sizes)
    if not sizes or len(sizes) < 2:
        raise ValueError("sizes needs at least two entries [n_inputs, ..., n_outputs], e.g. [11, 64, 1]")
    sizes = [_validate.count(n, f"sizes[{i}]") for i, n in enumerate(sizes)]
    make_activation(activation)  # fail early on an unknown name
    rng = np.random.default_rng(rng)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(make_activation(activation))
        layers.append(Linear(n_in, n_out, rng=rng, dtype=dtype))
    return Sequential(layers)
