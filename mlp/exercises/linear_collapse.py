"""Checks for notebook 02, the collapse of stacked linear layers.

Each check calls the student's function on test inputs and compares with mlp's own implementation
(mlp.collapse, mlp.linear), then says in one sentence what is right or what is off.
"""
from __future__ import annotations

import numpy as np

from .. import regression
from ..data import load_wine_quality, standardize
from ..collapse import collapse, linear_stack, rank_bound
from ._legacy import call, check_array, fail, passed


def _stack_with_biases(sizes, seed):
    """A seeded stack of Linear layers with nonzero biases (mlp starts biases at 0, which would hide a lost bias)."""
    rng = np.random.default_rng(seed)
    stack = linear_stack(sizes, rng=rng)
    for layer in stack.layers:
        layer.params["bias"][:] = rng.standard_normal(layer.n_out)
    return stack


def check_collapse(student_collapse) -> None:
    """Exercise 2.1: student_collapse(stack) -> (W, b) with stack(X) = X Wᵀ + b."""
    label = "Exercise 2.1"
    for sizes, seed in (([4, 4, 4, 4], 2), ([3, 4, 2], 1), ([2, 6, 1, 3], 3), ([5, 3], 4)):
        stack = _stack_with_biases(sizes, seed)
        W_true, b_true = collapse(stack)
        answer = call(label, "your function", student_collapse, stack)
        if not isinstance(answer, tuple) or len(answer) != 2:
            fail(label, "collapse(stack) should return a pair (W, b), e.g. `return W, b`")
        W, b = (np.asarray(a, dtype=np.float64) for a in answer)
        if W.shape == W_true.T.shape and (W.shape != W_true.shape or np.allclose(W, W_true.T) and not np.allclose(W, W_true)):
            fail(label, f"W is transposed: it should have shape {W_true.shape} = (outputs, inputs), like "
                        "Linear's weight: multiply the later layers on the left, W = W_L ⋯ W_1")
        weights = [layer.params["weight"] for layer in stack.layers]
        if W.shape == W_true.shape and len(set(w.shape for w in weights)) == 1:
            reversed_product = weights[0]
            for w in weights[1:]:
                reversed_product = reversed_product @ w
            if np.allclose(W, reversed_product) and not np.allclose(W, W_true):
                fail(label, "W multiplies the layers in the wrong order: the first layer acts first, so it stands "
                            "on the right, W = W_L ⋯ W_2 W_1")
        check_array(label, W, W_true, f"W for the stack {sizes}")
        biases = [layer.params["bias"] for layer in stack.layers]
        if b.shape == b_true.shape and not np.allclose(b, b_true):
            if np.allclose(b, biases[-1]):
                fail(label, "b is only the last layer's bias: the earlier biases pass through the later layers too")
            if len(set(v.shape for v in biases)) == 1 and np.allclose(b, sum(biases)):
                fail(label, "b adds up the biases, but each earlier bias is multiplied by the later weights: "
                            "b ← W_i b + b_i, layer by layer")
        check_array(label, b, b_true, f"b for the stack {sizes}",
                    hint="Update both together, layer by layer: W ← W_i W and b ← W_i b + b_i.")
        X = np.random.default_rng(seed).standard_normal((7, sizes[0]))
        check_array(label, X @ W.T + b, stack.forward(X), "X @ W.T + b")
    passed(label, "(W, b) reproduce every stack exactly: a stack of affine layers is one affine map.")


def check_rank_bound(student_rank_bound) -> None:
    """Exercise 2.3: student_rank_bound(sizes) -> the largest possible rank of W_L ⋯ W_1."""
    label = "Exercise 2.3"
    cases = ([3, 1, 3], [2, 5, 3], [6, 4, 5, 6], [4, 7, 9], [3, 3], [5, 8, 2], [9, 6, 2, 7, 8])
    for sizes in cases:
        answer = call(label, "your function", student_rank_bound, list(sizes))
        expected = rank_bound(sizes)
        if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
            fail(label, f"rank_bound({sizes}) should return a whole number, got {answer!r}")
        if answer == expected:
            continue
        if len(sizes) > 2 and answer == min(sizes[1:-1]):
            fail(label, f"rank_bound({sizes}) gave {answer}, the narrowest hidden width; but the input and output "
                        "widths bound the rank too (W has only that many rows and columns)")
        fail(label, f"rank_bound({sizes}) gave {answer}, but a product of matrices of these sizes can reach rank "
                    f"{expected} and no more")
    passed(label, "the rank of W_L ⋯ W_1 is at most the smallest width of the stack.")


def check_best_stack_cost(student_best_stack_cost) -> None:
    """Exercise 2.2: student_best_stack_cost(X, y) -> the lowest mean cost E/N any stack of Linear layers can reach."""
    label = "Exercise 2.2"
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0 + 0.3 * rng.standard_normal(40)
    wine = load_wine_quality()
    for name, (A, t) in {"random data": (X, y), "the standardised wine data": (standardize(wine.X)[0], wine.y)}.items():
        answer = call(label, "your function", student_best_stack_cost, A, t)
        try:
            answer = float(answer)
        except (TypeError, ValueError):
            fail(label, f"best_stack_cost should return a number, got {type(answer).__name__}")
        theta = regression.fit_least_squares(A, t)
        expected = regression.cost(A, t, theta) / len(A)
        if np.isclose(answer, expected, rtol=1e-6):
            continue
        if np.isclose(answer, expected * len(A), rtol=1e-6):
            fail(label, f"on {name} you returned the summed cost E; the question asks for the mean E/N (divide by N = {len(A)})")
        no_bias, *_ = np.linalg.lstsq(A, t, rcond=None)
        if np.isclose(answer, np.mean((A @ no_bias - t) ** 2), rtol=1e-6):
            fail(label, f"on {name} your fit has no bias, but every Linear layer has one: fit θ with the bias column")
        if answer < expected:
            fail(label, f"on {name} you claim E/N = {answer:.6g}, below what any affine map can reach ({expected:.6g})")
        fail(label, f"on {name} you returned E/N = {answer:.6g}; a stack can do better. Which single affine map "
                    "is the best one, and what does it cost?")
    passed(label, "a stack of Linear layers can at best match least squares, never beat it.")
