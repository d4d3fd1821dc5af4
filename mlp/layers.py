"""Layers ℓ(z; θ): the lecture's layer pseudocode made real.

Every layer works on a batch: a matrix with one sample per row.

    z = layer.forward(x)      x: (N, n_in)  ->  z: (N, n_out); keeps what backward needs
    dx = layer.backward(dz)   dz = dE/dz: (N, n_out)  ->  dx = dE/dx: (N, n_in)
                              and stores dE/dθ in layer.grads (same keys and shapes as layer.params)

`backward` overwrites `layer.grads`; it never adds to them. Calling it twice after one `forward`
gives the same result. The local gradient of each layer (a transposed Jacobian) sits right
beside the formula it differentiates.
"""
from __future__ import annotations

import numpy as np

from . import _validate


class Layer:
    """Base class: a function ℓ(x; θ) of a batch x with parameters θ (possibly none).

    Subclasses implement `_forward(x)` and `_backward(dz)`; this class checks the input, keeps
    it for `backward` and reports misuse (a wrong shape, `backward` before `forward`) clearly.
    """

    n_in: int | None = None  # number of input features, if the layer fixes it

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input: np.ndarray | None = None
        self.output: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return ℓ(x; θ) for a batch x of shape (N, n_in) and keep x for `backward`."""
        x = _validate.batch(x, "x", self.n_in, owner=type(self).__name__)
        self.input = x
        self.output = self._forward(x)
        return self.output

    def backward(self, dz: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Given dz = dE/dz of shape (N, n_out), store dE/dθ in `grads` and return dE/dx.

        With `input_grad=False` dE/dx is not computed and None is returned: the first layer of
        a network skips it during training, since nothing upstream needs it.
        """
        name = type(self).__name__
        if self.input is None:
            raise RuntimeError(f"{name}.backward was called before forward: run forward(x) first")
        dz = _validate.floating(_validate.as_array(dz, "dz"), "dz")
        if dz.shape != self.output.shape:
            raise ValueError(
                f"{name}.backward expected dz with the shape of the last output {self.output.shape}, got {dz.shape}"
            )
        return self._backward(dz, input_grad)

    __call__ = forward

    def _forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, dz: np.ndarray, input_grad: bool) -> np.ndarray | None:
        raise NotImplementedError

    @property
    def n_params(self) -> int:
        """Number of learnable parameters (entries of θ) of this layer."""
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Affine layer φ(x; θ) = θ_w x + θ_b, applied to every row of a batch.

    Parameters: params["weight"] = θ_w of shape (n_out, n_in), params["bias"] = θ_b of shape (n_out,).
    Forward:  z = x θ_wᵀ + θ_b                  x: (N, n_in) -> z: (N, n_out)
    Backward: dE/dx = dz θ_w,  dE/dθ_w = dzᵀ x,  dE/dθ_b = Σ_rows dz

    Initialisation (He et al. 2015, suited to ReLU): θ_w ~ Normal(0, 2 / n_in), θ_b = 0.
    `rng` is a seed or a numpy Generator; None draws fresh randomness (numpy's convention).
    """

    def __init__(self, n_in: int, n_out: int, rng=None, dtype=np.float64) -> None:
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

    def _backward(self, dz: np.ndarray, input_grad: bool) -> np.ndarray | None:
        self.grads["weight"] = dz.T @ self.input
        self.grads["bias"] = dz.sum(axis=0)
        return dz @ self.params["weight"] if input_grad else None

    def __repr__(self) -> str:
        return f"Linear({self.n_in} -> {self.n_out})"


class ReLU(Layer):
    """Rectified linear unit, componentwise: σ(z)_j = max(z_j, 0).

    Backward: dE/dx = dz ⊙ 1[x > 0]. At the kink x = 0 we use the derivative 0.
    """

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def _backward(self, dz: np.ndarray, input_grad: bool) -> np.ndarray | None:
        # dz ⊙ 1[x > 0] as a product with the 0/1 mask: several times faster than np.where here
        return dz * (self.output > 0) if input_grad else None


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = e^x / (e^x + 1), componentwise, without overflow for any float x.

    For x >= 0 it computes 1 / (1 + e^-x), for x < 0 e^x / (e^x + 1): e is only ever raised to a
    number <= 0, so nothing overflows even for |x| = 1e4.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(Layer):
    """Logistic sigmoid, componentwise: σ(z)_j = e^{z_j} / (e^{z_j} + 1).

    Backward: dE/dx = dz ⊙ σ(x)(1 − σ(x)), from the output kept by forward.
    """

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)

    def _backward(self, dz: np.ndarray, input_grad: bool) -> np.ndarray | None:
        s = self.output
        return dz * s * (1 - s) if input_grad else None


class Tanh(Layer):
    """Hyperbolic tangent, componentwise: tanh(z_j). Backward: dE/dx = dz ⊙ (1 − tanh(x)²)."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def _backward(self, dz: np.ndarray, input_grad: bool) -> np.ndarray | None:
        t = self.output
        return dz * (1 - t * t) if input_grad else None


class Identity(Layer):
    """The identity ℓ(x) = x: a "no activation" placeholder. Backward: dE/dx = dz."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def _backward(self, dz: np.ndarray, input_grad: bool) -> np.ndarray | None:
        return dz if input_grad else None


ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


def make_activation(name: str) -> Layer:
    """Return a new activation layer by name: one of "relu", "sigmoid", "tanh", "identity"."""
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(map(repr, ACTIVATIONS))}")
    return ACTIVATIONS[name.lower()]()
