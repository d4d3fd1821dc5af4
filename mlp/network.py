"""Networks as deeply nested functions N(x; θ) = ℓ^L(… ℓ^2(ℓ^1(x; θ^1); θ^2) …; θ^L).

`Sequential` composes layers (any object with forward, backward, params and grads, see
`mlp.layers.Layer`: mlp's own, your own, or another Sequential); `fully_connected` builds the
lecture's fully connected network φ^L(σ(φ^{L-1}(… σ(φ^1(x; θ^1)) …))) with φ^i affine and σ an
activation.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validate
from ._validate import Seed
from .layers import Layer, Linear, backward_params, count_params, make_activation

MEMBERS = ("forward", "backward", "params", "grads")  # what makes an object a layer


def _check_layer(i: int, layer) -> None:
    """Raise TypeError, saying what is missing, unless `layer` follows the layer protocol."""
    name = getattr(layer, "__name__", type(layer).__name__)
    if isinstance(layer, type):
        raise TypeError(f"layer {i} is the class {name}, not a layer: write {name}(...) with parentheses")
    missing = [m for m in MEMBERS if not hasattr(layer, m)]
    if missing:
        raise TypeError(f"layer {i} ({name}) is not a layer: it has no {', '.join(missing)}. A layer needs forward(x), "
                        "backward(dz) and the dicts params and grads (see mlp.layers.Layer), e.g. Linear(3, 4) or ReLU()")
    for method in ("forward", "backward"):
        if not callable(getattr(layer, method)):
            raise TypeError(f"layer {i} ({name}).{method} is not a method")


class Sequential:
    """The composition ℓ^L ∘ … ∘ ℓ^1 of a list of layers, itself a layer (it can be nested).

    forward(x):   x (N, n_in) -> N(x; θ) (N, n_out), running ℓ^1 first
    backward(dz): dz = dE/dN (N, n_out) -> dE/dx (N, n_in), running ℓ^L first;
                  fills every layer's grads (overwritten, never accumulated)
    params/grads: one dict over all layers, keys "<index>.<name>" such as "0.weight" for ℓ^1
                  (model.layers[0]); the arrays are the layers' own, so updating them in place
                  updates the network.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
            raise TypeError(f"Sequential takes a list of layers, e.g. Sequential([Linear(3, 4), ReLU()]), got {layers!r}")
        layers = list(layers)
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            _check_layer(i, layer)
        self.layers = layers
        self._check_sizes()

    def _check_sizes(self) -> None:
        width = None
        for i, layer in enumerate(self.layers):
            n_in, n_out = getattr(layer, "n_in", None), getattr(layer, "n_out", None)
            if n_in is not None and width is not None and n_in != width:
                raise ValueError(f"layer {i} ({layer!r}) expects {n_in} inputs but the layer before it gives {width}")
            if n_out is not None:
                width = n_out

    @property
    def n_in(self) -> int | None:
        """Number of input features, if the first layer with a size fixes it."""
        return next((n for layer in self.layers if (n := getattr(layer, "n_in", None)) is not None), None)

    @property
    def n_out(self) -> int | None:
        """Number of outputs, if the last layer with a size fixes it."""
        return next((n for layer in reversed(self.layers) if (n := getattr(layer, "n_out", None)) is not None), None)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """N(x; θ): feed the batch x (N, n_in), checked for shape and NaN, through ℓ^1, …, ℓ^L."""
        x = _validate.finite(_validate.batch(x, "x", self.n_in, owner="the network"), "x")
        self._input_shapes = []  # for checking what layers of your own return from backward
        for i, layer in enumerate(self.layers):
            self._input_shapes.append(x.shape)
            x = self._checked(i, layer, "forward", layer.forward(x), len(x))
        self._output_shape = x.shape
        return x

    __call__ = forward

    def _checked(self, i: int, layer, method: str, out, n: int, shape=None) -> np.ndarray:
        """What a layer returned, as an array, or an error naming the layer and the problem."""
        if type(out) is np.ndarray and out.ndim == 2 and len(out) == n and (shape is None or out.shape == shape):
            return out  # the usual case, decided in a few comparisons
        name = type(layer).__name__
        if out is None:
            raise TypeError(f"layer {i} ({name}).{method} returned None: did you forget the return statement?")
        if not isinstance(out, np.ndarray):
            raise TypeError(f"layer {i} ({name}).{method} returned a {type(out).__name__}, not a numpy array")
        if shape is not None and out.shape != shape:
            raise ValueError(f"layer {i} ({name}).backward returned shape {out.shape}, but its input had shape {shape}: "
                             "dE/dx has the shape of x")
        if out.ndim != 2 or len(out) != n:
            raise ValueError(f"layer {i} ({name}).{method} returned shape {out.shape}, but a batch of {n} samples "
                             f"needs shape ({n}, features)")
        return out

    def backward(self, dz: np.ndarray) -> np.ndarray:
        """Backpropagate dz = dE/dN (N, n_out) through ℓ^L, …, ℓ^1; return dE/dx (N, n_in)."""
        return self._backward_from(self._checked_dz(dz), first=0)

    def backward_params(self, dz: np.ndarray) -> None:
        """backward without dE/dx of the first layer (a training step never needs the gradient for the data)."""
        if type(self).backward is not Sequential.backward:  # a subclass with a backward of its own
            self.backward(dz)
            return
        backward_params(self.layers[0], self._backward_from(self._checked_dz(dz), first=1))

    def _backward_from(self, dz: np.ndarray, first: int) -> np.ndarray:
        """Backpropagate dz through ℓ^L, …, ℓ^(first+1) with each layer's backward; return what the last one gave."""
        for i in reversed(range(first, len(self.layers))):
            layer = self.layers[i]
            dz = self._checked(i, layer, "backward", layer.backward(dz), len(dz), self._input_shapes[i])
        return dz

    def _checked_dz(self, dz) -> np.ndarray:
        """dz as a float array of the last output's shape, or an error saying what is off."""
        shape = getattr(self, "_output_shape", None)
        if shape is None:
            raise RuntimeError("Sequential.backward was called before forward: run forward(x) first")
        dz = _validate.floating(_validate.as_array(dz, "dz"), "dz")
        if dz.shape != shape:
            raise ValueError(f"the network's backward expected dz with the shape of its last output {shape}, got {dz.shape}")
        return dz

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
        return sum(count_params(layer) for layer in self.layers)

    def __repr__(self) -> str:
        rows = []
        for i, layer in enumerate(self.layers):
            # a layer of your own without a __repr__ is shown by its class name, not an object address
            text = repr(layer) if type(layer).__repr__ is not object.__repr__ else f"{type(layer).__name__}()"
            text = text.replace("\n", "\n      ")
            count = f"{count_params(layer):,} parameters" if layer.params else ""
            rows.append(f"  ({i}) {text:<24}{count:>20}".rstrip())
        return "Sequential(\n" + "\n".join(rows) + f"\n)  {self.n_params:,} parameters in total"


def fully_connected(sizes: Sequence[int], activation: str | type = "relu", rng: Seed = None,
                    dtype=np.float64, bias_std: float = 0.0, **activation_args) -> Sequential:
    """Fully connected network φ^L(σ(φ^{L-1}(… σ(φ^1(x))))) with layer widths `sizes`.

    sizes = [n_0, n_1, …, n_L]: n_0 input features, n_L outputs, L affine layers φ^i: R^{n_{i-1}} -> R^{n_i}
    and the activation σ between them, none after the last. `activation` is a name from
    mlp.layers.ACTIVATIONS ("relu", "leaky_relu", "sigmoid", "tanh", "identity") or a layer class of
    your own; keyword arguments go to it, e.g. fully_connected([1, 8, 1], "leaky_relu", slope=0.1).
    Example: fully_connected([11, 64, 64, 1]) has two hidden layers of 64 ReLU units.
    `rng` (seed or Generator) draws all initial weights, so a seed fixes the whole network.
    bias_std: the hidden layers' biases start as draws from Normal(0, bias_std²) (after all weights, from
    the same rng); 0, the default, starts them at 0 like every Linear. With one input and zero biases every
    first-layer unit switches (kink, centre) at x = 0; spread biases start the units at different places.
    The output layer's bias always starts at 0.
    """
    sizes = _validate.sizes(sizes)
    if isinstance(bias_std, bool) or not isinstance(bias_std, (int, float, np.floating)) or not bias_std >= 0:
        raise ValueError(f"bias_std must be a number ≥ 0 (the standard deviation of the hidden biases), got {bias_std!r}")
    make_activation(activation, **activation_args)  # fail early on an unknown name or argument
    rng = np.random.default_rng(rng)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(make_activation(activation, **activation_args))
        layers.append(Linear(n_in, n_out, rng=rng, dtype=dtype))
    if bias_std:
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.params["bias"][:] = bias_std * rng.standard_normal(layer.n_out)
    return Sequential(layers)
