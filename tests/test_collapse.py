"""mlp.collapse: a stack of Linear layers equals one affine map, whose rank is at most the smallest width."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mlp
from mlp.collapse import collapse, linear_stack, rank_bound


def with_random_biases(stack, seed=0):
    rng = np.random.default_rng(seed)
    for layer in stack.layers:
        layer.params["bias"][:] = rng.standard_normal(layer.n_out)
    return stack


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=6), seed=st.integers(0, 2**16))
def test_the_collapsed_map_gives_the_stacks_outputs(sizes, seed):
    stack = with_random_biases(linear_stack(sizes, rng=seed), seed)
    W, b = collapse(stack)
    X = np.random.default_rng(seed + 1).standard_normal((9, sizes[0]))
    assert W.shape == (sizes[-1], sizes[0]) and b.shape == (sizes[-1],)
    np.testing.assert_allclose(X @ W.T + b, stack.forward(X), rtol=1e-12, atol=1e-12)


def test_two_layers_by_hand():
    first, second = mlp.Linear(2, 2, rng=0), mlp.Linear(2, 1, rng=1)
    first.params["weight"][:] = [[1.0, 2.0], [0.0, -1.0]]
    first.params["bias"][:] = [1.0, 3.0]
    second.params["weight"][:] = [[2.0, 5.0]]
    second.params["bias"][:] = [-4.0]
    W, b = collapse(mlp.Sequential([first, second]))
    # W = [2, 5] @ [[1, 2], [0, -1]] = [2, -1];  b = [2, 5] @ [1, 3] − 4 = 13
    np.testing.assert_array_equal(W, [[2.0, -1.0]])
    np.testing.assert_array_equal(b, [13.0])


def test_identity_layers_are_skipped_and_a_list_of_layers_works():
    stack = with_random_biases(linear_stack([3, 4, 2], rng=0))
    W, b = collapse([stack.layers[0], mlp.Identity(), stack.layers[1]])
    W2, b2 = collapse(stack)
    np.testing.assert_array_equal(W, W2)
    np.testing.assert_array_equal(b, b2)


def test_an_activation_in_the_stack_is_refused_with_a_reason():
    with pytest.raises(TypeError, match="layer 1 is ReLU.*not affine"):
        collapse(mlp.fully_connected([3, 4, 1], rng=0))


def test_no_linear_layer_is_refused():
    with pytest.raises(ValueError, match="no Linear layer"):
        collapse([mlp.Identity()])


def test_linear_stack_has_only_linear_layers_of_the_given_widths():
    stack = linear_stack([11, 8, 4, 1], rng=0)
    assert [type(l) for l in stack.layers] == [mlp.Linear] * 3
    assert [(l.n_in, l.n_out) for l in stack.layers] == [(11, 8), (8, 4), (4, 1)]
    with pytest.raises(ValueError, match="at least two entries"):
        linear_stack([3])


@pytest.mark.parametrize("sizes", [[3, 1, 3], [8, 2, 8], [6, 4, 5, 6], [2, 7], [9, 6, 2, 7, 8]])
def test_random_stacks_reach_the_rank_bound_and_never_exceed_it(sizes):
    ranks = {int(np.linalg.matrix_rank(collapse(linear_stack(sizes, rng=seed))[0])) for seed in range(5)}
    assert ranks == {min(sizes)}
    assert rank_bound(sizes) == min(sizes)


def test_rank_bound_rejects_bad_widths():
    with pytest.raises(ValueError, match="at least 1"):
        rank_bound([3, 0, 2])
    with pytest.raises(ValueError, match="at least one width"):
        rank_bound([])


def test_training_a_deep_linear_stack_never_beats_least_squares():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = X @ np.array([1.0, -1.0, 2.0, 0.0]) + 1.0 + 0.5 * rng.standard_normal(60)
    best = mlp.regression.cost(X, y, mlp.regression.fit_least_squares(X, y)) / len(X)
    stack = linear_stack([4, 3, 3, 1], rng=0)
    history = mlp.train(stack, mlp.SquaredError("mean"), X, y.reshape(-1, 1), step_size=0.02, num_steps=400, progress=False)
    assert history.costs.min() >= best - 1e-12
    assert history.costs[-1] < best + 1e-3  # and it gets there
