"""Checks for notebook 02: a stack of affine layers is one affine map, and what that map can be.

Each check runs the student's function on fresh stacks and data drawn from the trial's seed (so no
cell shows them) and on fixed cases chosen to tell the usual slips apart: the weights multiplied in
the wrong order, a transposed W, a bias lost or added up, a sum where a mean is asked for, a fit
without its bias, a width left out of the rank bound. A slip is named only where the drawn inputs
tell it from the right answer. The expected (W, b) and ranks come from numpy in this module, never
from mlp.collapse, whose functions are the answers (2.2 is meant to use mlp.regression, notebook
01's least squares). The check docstrings say what is checked, never the answer.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from .. import data, regression
from ..layers import Linear
from ..network import Sequential
from . import expect
from .core import Wrong, exercise, scoreboard_for
from .wire import scenario

# --- Exercise 2.1: collapse a stack ------------------------------------------------------------------


def _stack(weights, biases) -> Sequential:
    """A Sequential of Linear layers holding the given θ_w^i (n_i, n_{i−1}) and θ_b^i (n_i,)."""
    layers = []
    for theta_w, theta_b in zip(weights, biases):
        theta_w = np.asarray(theta_w, dtype=np.float64)
        layer = Linear(theta_w.shape[1], theta_w.shape[0], rng=0)
        layer.params["weight"][...] = theta_w
        layer.params["bias"][...] = theta_b
        layers.append(layer)
    return Sequential(layers)


@scenario
def collapse_stack_on(collapse_stack, weights, biases):
    """The student's collapse_stack(stack) on a Sequential of Linear layers with these weights and biases;
    returns (its answer, the weights and biases as it left them)."""
    stack = _stack(weights, biases)
    answer = collapse_stack(stack)
    return (answer, [layer.params["weight"].copy() for layer in stack.layers],
            [layer.params["bias"].copy() for layer in stack.layers])


def _random_stack(t, sizes):
    weights = [t.rng.standard_normal((m, n)) / np.sqrt(n) for n, m in zip(sizes[:-1], sizes[1:])]
    biases = [t.rng.standard_normal(m) for m in sizes[1:]]
    return weights, biases


def _product(matrices):
    result = matrices[0]
    for matrix in matrices[1:]:
        result = result @ matrix
    return result


def _collapsed(weights, biases):
    """The check's own (W, b) of a stack: x ↦ θ_w^i x + θ_b^i applied to the identity and 0, layer by layer."""
    W, b = np.eye(weights[0].shape[1]), np.zeros(weights[0].shape[1])
    for theta_w, theta_b in zip(weights, biases):
        W, b = theta_w @ W, theta_w @ b + theta_b
    return W, b


@exercise("2.1", "collapse_stack", answer=("mlp.collapse.collapse", "mlp.layers.Linear._forward"), uses=(),
          task="combine the layers' weights and biases yourself")
def check_collapse_stack(t, collapse_stack):
    """collapse_stack(stack) on stacks of Linear layers with random weights and biases, square and not:
    the pair (W, b) of the one affine map that each stack computes, the stack left unchanged."""
    random_sizes = [int(n) for n in t.rng.integers(1, 7, size=int(t.rng.integers(3, 6)))]
    for sizes in ([4, 4, 4, 4], [3, 4, 2], [5, 3], [2, 6, 1, 3], random_sizes):
        weights, biases = _random_stack(t, sizes)
        what = f"collapse_stack(stack) for a stack with widths {sizes}"
        answer, weights_after, biases_after = t.run(collapse_stack_on, collapse_stack, weights, biases, what=what)
        for i, (before, after) in enumerate(zip(weights, weights_after)):
            expect.unchanged(before, after, f"stack.layers[{i}].params['weight']", "collapse_stack")
        for i, (before, after) in enumerate(zip(biases, biases_after)):
            expect.unchanged(before, after, f"stack.layers[{i}].params['bias']", "collapse_stack")
        W, b = expect.sequence(answer, 2, what, "the pair (W, b), e.g. `return W, b`")
        W_true, b_true = _collapsed(weights, biases)
        n_out, n_in = W_true.shape
        W_shape = np.shape(W)
        if n_out != n_in and W_shape == (n_in, n_out):
            raise Wrong(f"W for the widths {sizes} has shape {W_shape} = (inputs, outputs): W maps the {n_in} inputs "
                        f"to the {n_out} outputs, so it is stored like params['weight'], one row per output")
        if n_out == n_in and expect.close(W, W_true.T) and not expect.close(W, W_true):
            raise Wrong(f"W for the widths {sizes} is the transpose of the stack's map: store it like "
                        "params['weight'], one row per output (the check compares X @ W.T + b with the stack)")
        if not expect.close(W, W_true):  # a slip is named only where it differs from the right W
            if len({w.shape for w in weights}) == 1 and len(weights) > 1 and expect.close(W, _product(weights)):
                raise Wrong("W multiplies the weights in the wrong order: an input x meets the first layer first, "
                            "so on which side of the product must stack.layers[0]'s weight stand?")
            expect.array(W, W_true, f"W for the widths {sizes}",
                         hint="Follow one input x through two layers on paper: which matrix multiplies x at the end?")
        b = expect.shaped(b, b_true.shape, f"b for the widths {sizes}")
        if not expect.close(b, b_true):
            after_first = _product(weights[1:][::-1]) if len(weights) > 1 else np.eye(len(b_true))
            if len(weights) > 1 and expect.close(b, biases[-1]):
                raise Wrong("b is only the last layer's bias: the earlier biases pass through the later layers too")
            if len({v.shape for v in biases}) == 1 and len(biases) > 1 and expect.close(b, sum(biases)):
                raise Wrong("b adds up the biases as they are, but an earlier bias also passes through the weights "
                            "of every later layer")
            if len(weights) > 1 and expect.close(b, b_true - after_first @ biases[0]):
                raise Wrong("b misses the first layer's bias: it, too, passes through every later layer")
        expect.array(b, b_true, f"b for the widths {sizes}",
                     hint="Follow one input x through two layers on paper and collect what does not depend on x.")
    return ("(W, b) reproduce every stack: its output is X @ W.T + b, one affine map, however many layers "
            "it has.")


# --- Exercise 2.2: the best a stack can do -----------------------------------------------------------

def _least_squares_cost(X: np.ndarray, y: np.ndarray) -> float:
    """E(θ̂)/N of notebook 01's least-squares fit (the exercise's answer is to see that this is the best)."""
    return regression.cost(X, y, regression.fit_least_squares(X, y)) / len(X)


@cache
def _wine_problems() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """The standardised and the raw wine data with their best E/N (computed once per process, read-only)."""
    wine = data.load_wine_quality()
    problems = {}
    for name, X in [("the standardised wine data", data.standardize(wine.X)[0]), ("the wine data", wine.X.copy())]:
        y = wine.y.copy()
        X.flags.writeable = y.flags.writeable = False
        problems[name] = (X, y, _least_squares_cost(X, y))
    return problems


@exercise("2.2", "best_stack_cost", answer=(),
          uses=("mlp.regression.fit_least_squares", "mlp.regression.cost", "mlp.regression.predict",
                "mlp.regression.add_bias_column"),
          task="decide which function the best stack computes")
def check_best_stack_cost(t, best_stack_cost):
    """best_stack_cost(X, y) on random data and on the wine data, raw and standardised: the lowest mean
    cost E/N that any stack of Linear layers with one output can reach on them."""
    n, d = int(t.rng.integers(30, 60)), int(t.rng.integers(2, 6))
    X = t.rng.standard_normal((n, d)) * t.rng.uniform(0.5, 3, d) + t.rng.uniform(-3, 3, d)
    y = X @ t.rng.uniform(-2, 2, d) + t.rng.uniform(2, 5) + 0.3 * t.rng.standard_normal(n)
    problems = {f"random data ({n} samples, {d} features)": (X, y, _least_squares_cost(X, y)), **_wine_problems()}
    for name, (A, target, expected) in problems.items():
        what = f"best_stack_cost(X, y) on {name}"
        got = expect.number(t.call(best_stack_cost, A, target, what=what), what)
        N = len(A)
        if np.isclose(got, expected, rtol=1e-6):
            continue
        no_bias = np.linalg.lstsq(A, target, rcond=None)[0]
        slips = [(expected * N, f"is the summed cost E; the question asks for the mean E/N (here N = {N})"),
                 (np.sqrt(expected), "is the square root of E/N: the question asks for the mean squared error itself"),
                 (np.mean((A @ no_bias - target) ** 2), "comes from a fit without a bias, but every Linear layer "
                                                        "has one: fit θ with the bias column, as in notebook 01"),
                 (np.var(target), "is what the constant prediction mean(y) costs: a stack can do better than a constant")]
        hint = expect.slip(got, slips, rtol=1e-6, atol=1e-8)
        if hint:
            raise Wrong(f"{what} {hint}")
        if got < expected:
            raise Wrong(f"{what} claims E/N = {got:.6g}, below what any affine map reaches: which family of "
                        "functions do the stacks span?")
        raise Wrong(f"{what} returned E/N = {got:.6g}, but a stack can do better: which single affine map "
                    "is the best one, and what does it cost?")
    wine_best = problems["the wine data"][2]
    return (f"no stack of Linear layers beats least squares: on the wine data the best E/N is {wine_best:.4f}, "
            "raw or standardised.")


# --- Exercise 2.3: the rank of the collapsed map -----------------------------------------------------

@exercise("2.3", "max_rank", answer=("mlp.collapse.rank_bound",), uses=(),
          task="bound the rank from the shapes of the factors yourself")
def check_max_rank(t, max_rank):
    """max_rank(sizes) for fixed and random lists of widths: the largest rank the collapsed weight W of
    a stack with these widths can have."""
    cases = [[3, 1, 3], [2, 5, 3], [6, 4, 5, 6], [4, 7, 9], [3, 3], [5, 8, 2], [9, 6, 2, 7, 8], [7, 9, 9, 4]]
    for _ in range(3):
        cases.append([int(n) for n in t.rng.integers(1, 13, size=int(t.rng.integers(2, 7)))])
    for sizes in cases:
        what = f"max_rank({sizes})"
        got = expect.integer(t.call(max_rank, list(sizes), what=what), what)  # 2.0 (np.min of floats) counts as 2
        expected = min(sizes)
        if got == expected:
            continue
        if len(sizes) > 2 and got == min(sizes[1:-1]):
            raise Wrong(f"{what} gave {got}, the narrowest hidden width; but the input and output widths bound "
                        "the rank too (W has only that many columns and rows)")
        if got == min(sizes[1:]):
            raise Wrong(f"{what} gave {got}, which leaves out the input width {sizes[0]}: W has only {sizes[0]} columns")
        if got == min(sizes[:-1]):
            raise Wrong(f"{what} gave {got}, which leaves out the output width {sizes[-1]}: W has only {sizes[-1]} rows")
        if got > expected:
            raise Wrong(f"{what} gave {got}, but no product of weights of these shapes reaches that rank: "
                        "which width limits it?")
        raise Wrong(f"{what} gave {got}, but random weights of these shapes already give W a higher rank: "
                    "which width limits it?")
    return "the rank of W = θ_w^L ⋯ θ_w^1 is at most the smallest width in the stack, and random weights reach it."


scoreboard = scoreboard_for(__name__)
