"""Why stacked affine layers buy nothing: φ^L ∘ … ∘ φ^1 with φ^i(x) = θ_w^i x + θ_b^i is one affine map.

    φ^2(φ^1(x)) = θ_w^2 (θ_w^1 x + θ_b^1) + θ_b^2 = (θ_w^2 θ_w^1) x + (θ_w^2 θ_b^1 + θ_b^2)

and, layer by layer, the whole stack is x ↦ W x + b with W = θ_w^L ⋯ θ_w^1 and
b = θ_w^L ⋯ θ_w^2 θ_b^1 + … + θ_w^L θ_b^{L−1} + θ_b^L. rank_bound says how large the rank of W can be.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validate
from .layers import Identity, Layer, Linear
from .network import Sequential


def linear_stack(sizes: Sequence[int], rng=None, dtype=np.float64) -> Sequential:
    """A stack of Linear layers only, φ^L ∘ … ∘ φ^1, with widths sizes = [n_0, n_1, …, n_L].

    Like fully_connected(sizes) without the activations. `rng` (seed or Generator) draws all weights.
    """
    sizes = _validate.sizes(sizes, example="[11, 8, 1]")
    rng = np.random.default_rng(rng)
    return Sequential([Linear(n_in, n_out, rng=rng, dtype=dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])])


def collapse(model: Sequential | Sequence[Layer]) -> tuple[np.ndarray, np.ndarray]:
    """The one affine map x ↦ W x + b that equals a stack of Linear layers.

    model: a Sequential (or a list of layers) of Linear layers; Identity layers are allowed and skipped.
    Returns W = θ_w^L ⋯ θ_w^1 of shape (n_L, n_0) and b of shape (n_L,), built up layer by layer:
    W ← θ_w^i W and b ← θ_w^i b + θ_b^i, starting from W = I, b = 0.
    For a batch X (N, n_0) the stack's output is then X @ W.T + b.
    """
    layers = model.layers if isinstance(model, Sequential) else list(model)
    linear = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Identity):
            continue
        if not isinstance(layer, Linear):
            raise TypeError(
                f"layer {i} is {layer!r}, which is not affine: only a stack of Linear layers collapses into one "
                "affine map (with an activation in between, the network is no longer affine)"
            )
        linear.append(layer)
    if not linear:
        raise ValueError("the stack has no Linear layer, so there is no affine map to collapse")
    W = np.eye(linear[0].n_in, dtype=linear[0].params["weight"].dtype)
    b = np.zeros(linear[0].n_in, dtype=W.dtype)
    for layer in linear:
        W_i, b_i = layer.params["weight"], layer.params["bias"]
        if W_i.shape[1] != W.shape[0]:
            raise ValueError(f"{layer!r} expects {W_i.shape[1]} inputs but the layer before it gives {W.shape[0]}")
        W, b = W_i @ W, W_i @ b + b_i
    return W, b


def rank_bound(sizes: Sequence[int]) -> int:
    """The largest rank W = θ_w^L ⋯ θ_w^1 can have for widths sizes = [n_0, …, n_L]: min(sizes).

    Each factor θ_w^i (n_i × n_{i−1}) has rank ≤ min(n_i, n_{i−1}), and rank(A B) ≤ min(rank A, rank B).
    """
    return min(_validate.sizes(sizes, minimum=1, example="[11, 8, 1]"))
