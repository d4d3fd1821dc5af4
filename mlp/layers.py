"""Layers ℓ(x; θ): the lecture's layer pseudocode made real.

A layer is anything with these four members (the protocol `Layer`; no base class needed):

    z = layer.forward(x)      x: (N, n_in) -> z: (N, n_out); keeps what backward needs
    dx = layer.backward(dz)   dz = dE/dz: (N, n_out) -> dx = dE/dx: (N, n_in),
                              and stores dE/dθ in layer.grads (same keys and shapes as layer.params)
    layer.params, layer.grads dicts of arrays: θ and dE/dθ

The lecture's pseudocode returns [d_params, d_input]; here `backward` returns d_input and keeps
d_params in `grads`, where gradient descent finds them next to `params`. `backward` overwrites
`grads`, it never adds to them: calling it twice after one `forward` gives the same result.
A class that subclasses `Layer` explicitly and sets no params/grads (an activation) gets empty ones.

A layer may also offer `backward_params(dz)`: the grads of `backward` without computing dE/dx,
for the first layer of a network, whose input is data (`backward_params(model, dz)` below uses it
when it is there, else `backward`). mlp's own layers derive from `ValidatedLayer`, which checks
the input in `forward` and `backward` (shape, dtype), keeps it, and lets each layer write only
`_forward(x)` and `_backward(dz)`, the formula and its local gradient side by side. `ACTIVATIONS`
is the one list of activation functions: `make_activation`, `fully_connected`, the explorers and
the tests all read it.
"""
from __future__ import annotations

import inspect
from functools import cached_property
from typing import Protocol, runtime_checkable

import numpy as np

from . import _validate
from ._validate import Seed


@runtime_checkable
class Layer(Protocol):
    """The lecture's layer: forward(x), backward(dz) and the dicts params (θ) and grads (dE/dθ)."""

    @cached_property
    def params(self) -> dict[str, np.ndarray]:
        """θ by name; a subclass without parameters gets an empty dict of its own."""
        return {}

    @cached_property
    def grads(self) -> dict[str, np.ndarray]:
        """dE/dθ by name, filled by backward; empty for a subclass without parameters."""
        return {}

    def forward(self, x: np.ndarray) -> np.ndarray: ...

    def backward(self, dz: np.ndarray) -> np.ndarray: ...


class ValidatedLayer:
    """Base class of mlp's layers: checks what comes in, keeps it, and reports misuse clearly.

    Subclasses implement `_forward(x)` (x already checked: a float batch of shape (N, n_in))
    and `_backward(dz)` (dz already checked: the shape of the last output); `self.input` and
    `self.output` hold the last forward's x and z. Layers you write yourself need none of this.
    """

    n_in: int | None = None   # number of input features, if the layer fixes it
    n_out: int | None = None  # number of outputs, if the layer fixes it

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input: np.ndarray | None = None
        self.output: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """ℓ(x; θ) for a batch x of shape (N, n_in); keeps x and the output for `backward`.

        NaN and infinity pass through as numpy computes them (a network checks its data for them once,
        where they come in; inside it they mean that θ blew up, which training reports).
        """
        x = _validate.batch(x, "x", self.n_in, owner=type(self).__name__)
        self.input = x
        self.output = self._forward(x)
        return self.output

    __call__ = forward

    def backward(self, dz: np.ndarray) -> np.ndarray:
        """Given dz = dE/dz of shape (N, n_out), store dE/dθ in `grads` and return dE/dx (N, n_in)."""
        return self._backward(self._checked_dz(dz))

    def backward_params(self, dz: np.ndarray) -> None:
        """Only what `backward` stores in `grads`, without dE/dx where that saves work (Linear).

        A subclass that writes its own `backward` gets it called.
        """
        if type(self).backward is not ValidatedLayer.backward:
            self.backward(dz)
        else:
            self._params_only(self._checked_dz(dz))

    def _checked_dz(self, dz) -> np.ndarray:
        name = type(self).__name__
        if self.input is None:
            raise RuntimeError(f"{name}.backward was called before forward: run forward(x) first")
        dz = _validate.floating(_validate.as_array(dz, "dz"), "dz")
        if dz.shape != self.output.shape:
            raise ValueError(f"{name}.backward expected dz with the shape of the last output {self.output.shape}, got {dz.shape}")
        return dz

    def _params_only(self, dz: np.ndarray) -> None:
        self._backward(dz)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _forward(x)")

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _backward(dz)")

    @property
    def n_params(self) -> int:
        """Number of learnable parameters (entries of θ) of this layer."""
        return count_params(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def count_params(layer: Layer) -> int:
    """The number of entries of θ of any layer: the sizes of its params added up."""
    return sum(int(np.size(p)) for p in layer.params.values())


def backward_params(model: Layer, dz: np.ndarray) -> None:
    """The backward pass a gradient step needs: every dE/dθ of `model`, and dE/dx only where it cannot be skipped.

    Calls model.backward_params(dz) if the model offers it (mlp's layers and Sequential), else model.backward(dz).
    """
    getattr(model, "backward_params", model.backward)(dz)


class Linear(ValidatedLayer):
    """Affine layer φ(x; θ) = θ_w x + θ_b, applied to every row of a batch.

    Parameters: params["weight"] = θ_w of shape (n_out, n_in), params["bias"] = θ_b of shape (n_out,).
    Forward:  z = x θ_wᵀ + θ_b                  x: (N, n_in) -> z: (N, n_out)
    Backward: dE/dx = dz θ_w,  dE/dθ_w = dzᵀ x,  dE/dθ_b = Σ_rows dz

    Initialisation (He et al. 2015, suited to ReLU): θ_w ~ Normal(0, 2 / n_in), θ_b = 0.
    `rng` is a seed or a numpy Generator; None draws fresh randomness (numpy's convention).
    """

    def __init__(self, n_in: int, n_out: int, rng: Seed = None, dtype=np.float64) -> None:
        super().__init__()
        self.n_in = _validate.count(n_in, "n_in")
        self.n_out = _validate.count(n_out, "n_out")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear needs a floating-point dtype such as np.float64, got {dtype}")
        rng = np.random.default_rng(rng)
        scale = np.sqrt(2.0 / n_in)
        self.params["weight"] = (rng.standard_normal((n_out, n_in)) * scale).astype(dtype)
        self.params["bias"] = np.zeros(n_out, dtype=dtype)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        weight, bias = self.params["weight"], self.params["bias"]
        if x.dtype != weight.dtype:
            raise TypeError(
                f"Linear holds {weight.dtype} parameters but got {x.dtype} input: convert the input with "
                f"x.astype(np.{weight.dtype}) or build the layer with dtype=np.{x.dtype}"
            )
        z = x @ weight.T
        z += bias
        return z

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        self._params_only(dz)
        return dz @ self.params["weight"]

    def _params_only(self, dz: np.ndarray) -> None:
        self.grads["weight"] = dz.T @ self.input
        self.grads["bias"] = dz.sum(axis=0)

    def __repr__(self) -> str:
        return f"Linear({self.n_in} -> {self.n_out})"


class ReLU(ValidatedLayer):
    """Rectified linear unit, componentwise: σ(x)_j = max(x_j, 0).

    Backward: dE/dx = dz ⊙ 1[x > 0]. At the kink x = 0 we use the derivative 0.
    """

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        # dz ⊙ 1[x > 0] as a product with the 0/1 mask: several times faster than np.where here
        return dz * (self.output > 0)


class LeakyReLU(ValidatedLayer):
    """Leaky rectified linear unit, componentwise: σ(x)_j = x_j for x_j > 0, slope · x_j otherwise.

    Backward: dE/dx = dz ⊙ (1 for x > 0, slope otherwise); at the kink x = 0 the slope is used.
    A unit never dies completely: its gradient is at least `slope` times what arrives.
    """

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(slope, bool) or not isinstance(slope, (int, float, np.floating)) or not 0 <= slope < 1:
            raise ValueError(f"LeakyReLU's slope must be a number with 0 <= slope < 1, got {slope!r}")
        self.slope = float(slope)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, self.slope * x)  # for 0 <= slope < 1 the larger of the two is the right branch

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        return dz * np.where(self.input > 0, 1.0, self.slope).astype(dz.dtype, copy=False)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope:g})"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = e^x / (e^x + 1), componentwise, without overflow for any float x.

    For x >= 0 it computes 1 / (1 + e^-x), for x < 0 e^x / (e^x + 1): e is only ever raised to a
    number <= 0, so nothing overflows even for |x| = 1e4.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(ValidatedLayer):
    """Logistic sigmoid, componentwise: σ(x)_j = e^{x_j} / (e^{x_j} + 1).

    Backward: dE/dx = dz ⊙ σ(x)(1 − σ(x)), from the output kept by forward.
    """

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        s = self.output
        return dz * s * (1 - s)


class Tanh(ValidatedLayer):
    """Hyperbolic tangent, componentwise: tanh(x_j). Backward: dE/dx = dz ⊙ (1 − tanh(x)²)."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        t = self.output
        return dz * (1 - t * t)


class Identity(ValidatedLayer):
    """The identity ℓ(x) = x: a "no activation" placeholder. Backward: dE/dx = dz."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def _backward(self, dz: np.ndarray) -> np.ndarray:
        return dz


# The activations by name, in the order menus show them. Adding one: its class above and a line here.
ACTIVATIONS: dict[str, type[ValidatedLayer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
}


def make_activation(activation: str | type, **args) -> Layer:
    """A new activation layer: a name from ACTIVATIONS ("relu", "leaky_relu", ...) or a class of your own.

    Keyword arguments go to the class, e.g. make_activation("leaky_relu", slope=0.1).
    """
    if isinstance(activation, str):
        if activation.lower() not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(map(repr, ACTIVATIONS))}, "
                             "or pass a layer class of your own")
        activation = ACTIVATIONS[activation.lower()]
    name = getattr(activation, "__name__", repr(activation))
    if not isinstance(activation, type):
        raise TypeError(f"activation must be a name such as 'tanh' or a layer class, got the function {name}")
    try:
        inspect.signature(activation).bind(**args)
    except TypeError:
        accepted = [p for p in inspect.signature(activation).parameters if p != "self"]
        raise TypeError(f"{name} takes the arguments {accepted or 'none'}, got {sorted(args)}") from None
    return activation(**args)
