"""Sequential and fully_connected: composition, structure, parameters, repr and gradients."""
import numpy as np
import pytest

from mlp.gradcheck import check_network
from mlp.layers import ACTIVATIONS, Linear, ReLU, Sigmoid, Tanh, backward_params
from mlp.losses import SquaredError
from mlp.network import Sequential, fully_connected


def test_sequential_forward_is_the_composition_of_its_layers():
    rng = np.random.default_rng(0)
    l1, l2, l3, l4 = Linear(3, 5, rng=rng), Tanh(), Linear(5, 2, rng=rng), Sigmoid()
    net = Sequential([l1, l2, l3, l4])
    x = rng.standard_normal((4, 3))
    W1, b1, W2, b2 = l1.params["weight"], l1.params["bias"], l3.params["weight"], l3.params["bias"]
    by_hand = np.tanh(x @ W1.T + b1) @ W2.T + b2
    by_hand = 1 / (1 + np.exp(-by_hand))
    np.testing.assert_allclose(net.forward(x), by_hand, rtol=1e-13)
    np.testing.assert_array_equal(net(x), net.forward(x))


def test_sequential_backward_is_the_layers_backward_in_reverse_order():
    rng = np.random.default_rng(1)
    net = fully_connected([3, 4, 2], activation="tanh", rng=rng)
    x, dz = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    net.forward(x)
    dx = net.backward(dz)
    a, act, b = net.layers
    # by hand, reusing nothing but the layers' parameters and the formulas of the lecture
    h = np.tanh(x @ a.params["weight"].T + a.params["bias"])
    dh = dz @ b.params["weight"]
    dpre = dh * (1 - h**2)
    np.testing.assert_allclose(net.grads["2.weight"], dz.T @ h, rtol=1e-13)
    np.testing.assert_allclose(net.grads["2.bias"], dz.sum(0), rtol=1e-13)
    np.testing.assert_allclose(net.grads["0.weight"], dpre.T @ x, rtol=1e-13)
    np.testing.assert_allclose(net.grads["0.bias"], dpre.sum(0), rtol=1e-13)
    np.testing.assert_allclose(dx, dpre @ a.params["weight"], rtol=1e-13)


def test_the_training_backward_fills_every_gradient_that_backward_fills():
    rng = np.random.default_rng(3)
    net = fully_connected([3, 4, 2], rng=rng)
    x, dz = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    net.forward(x)
    net.backward(dz)
    full = {k: v.copy() for k, v in net.grads.items()}
    for layer in net.layers[1:]:
        layer.grads.clear()
    net.layers[0].grads.clear()
    backward_params(net, dz)
    assert net.grads.keys() == full.keys()
    for k, v in net.grads.items():
        np.testing.assert_array_equal(v, full[k])


def test_fully_connected_structure_for_the_wine_network():
    net = fully_connected([11, 64, 64, 1], rng=0)
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [Linear, ReLU, Linear, ReLU, Linear]
    sizes = [(layer.n_in, layer.n_out) for layer in net.layers if isinstance(layer, Linear)]
    assert sizes == [(11, 64), (64, 64), (64, 1)]
    assert net.n_in == 11
    assert net.forward(np.zeros((7, 11))).shape == (7, 1)


@pytest.mark.parametrize("name, cls", list(ACTIVATIONS.items()))
def test_fully_connected_puts_the_named_activation_between_affine_layers_and_none_after_the_last(name, cls):
    net = fully_connected([2, 3, 3, 1], activation=name, rng=0)
    assert [type(layer) for layer in net.layers] == [Linear, cls, Linear, cls, Linear]
    assert isinstance(net.layers[-1], Linear)


def test_fully_connected_with_two_sizes_is_a_single_linear_layer():
    net = fully_connected([4, 2], rng=0)
    assert len(net.layers) == 1 and isinstance(net.layers[0], Linear)


def test_fully_connected_is_seeded():
    a, b, c = fully_connected([3, 5, 1], rng=7), fully_connected([3, 5, 1], rng=7), fully_connected([3, 5, 1], rng=8)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert not np.array_equal(a.params["0.weight"], c.params["0.weight"])
    # the layers draw different weights from the one generator
    assert not np.array_equal(fully_connected([3, 3, 3], rng=0).params["0.weight"],
                              fully_connected([3, 3, 3], rng=0).params["2.weight"])


def test_params_and_grads_keys_and_shapes():
    net = fully_connected([11, 64, 64, 1], rng=0)
    expected = {"0.weight": (64, 11), "0.bias": (64,), "2.weight": (64, 64), "2.bias": (64,),
                "4.weight": (1, 64), "4.bias": (1,)}
    assert {k: v.shape for k, v in net.params.items()} == expected
    X = np.random.default_rng(0).standard_normal((9, 11))
    net.forward(X)
    net.backward(np.ones((9, 1)))
    assert {k: v.shape for k, v in net.grads.items()} == expected


def test_params_are_the_layers_own_arrays_so_in_place_updates_reach_the_layers():
    net = fully_connected([3, 4, 2], rng=0)
    x = np.ones((1, 3))
    before = net.forward(x).copy()
    net.params["2.bias"] += 1.0
    np.testing.assert_array_equal(net.layers[2].params["bias"], np.ones(2))
    np.testing.assert_allclose(net.forward(x), before + 1.0, rtol=1e-15)
    net.params["0.weight"][...] = 0.0
    assert np.all(net.layers[0].params["weight"] == 0.0)


def test_parameter_count_and_repr_of_the_wine_network():
    sizes = [11, 64, 64, 1]
    expected = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    assert expected == 4993
    net = fully_connected(sizes, rng=0)
    assert net.n_params == expected
    text = repr(net)
    assert f"{expected:,} parameters in total" in text
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        assert f"Linear({n_in} -> {n_out})" in text
        assert f"{n_in * n_out + n_out:,} parameters" in text
    assert text.count("ReLU()") == 2
    assert len(text.splitlines()) == len(net.layers) + 2


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_check_network_passes_on_random_smooth_networks(seed, activation):
    rng = np.random.default_rng(seed)
    net = fully_connected([3, 5, 4, 2], activation=activation, rng=rng)
    for p in net.params.values():
        p += 0.1 * rng.standard_normal(p.shape)  # nonzero biases
    X, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    report = check_network(net, SquaredError(), X, y)
    assert report, str(report)
    assert {c.name for c in report.checks} == {"x", *net.params}


def test_check_network_passes_on_a_relu_network_away_from_the_kinks():
    rng = np.random.default_rng(11)
    net = fully_connected([3, 6, 2], activation="relu", rng=rng)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    pre = net.layers[0].forward(X)
    assert np.min(np.abs(pre)) > 1e-3  # no pre-activation near the kink for this seed
    report = check_network(net, SquaredError("mean"), X, y)
    assert report, str(report)


def test_float32_network_keeps_float32_everywhere():
    net = fully_connected([3, 4, 1], activation="sigmoid", rng=0, dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    y = np.zeros((5, 1), dtype=np.float32)
    loss = SquaredError()
    y_hat = net.forward(X)
    assert y_hat.dtype == np.float32
    loss.forward(y_hat, y)
    dz = loss.backward()
    assert dz.dtype == np.float32
    assert net.backward(dz).dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.grads.values())
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_bias_std_draws_the_hidden_biases_after_the_weights_and_leaves_the_output_bias_at_0():
    plain = fully_connected([2, 5, 4, 1], "tanh", rng=3)
    spread = fully_connected([2, 5, 4, 1], "tanh", rng=3, bias_std=2.0)
    linears = [i for i, layer in enumerate(spread.layers) if isinstance(layer, Linear)]
    rng = np.random.default_rng(3)
    for i in linears:  # the weights are drawn as without bias_std, then the hidden biases from the same stream
        rng.standard_normal(spread.layers[i].params["weight"].shape)
    for i in linears:
        np.testing.assert_array_equal(spread.layers[i].params["weight"], plain.layers[i].params["weight"])
    for i in linears[:-1]:
        np.testing.assert_array_equal(spread.layers[i].params["bias"], 2.0 * rng.standard_normal(spread.layers[i].n_out))
    assert np.all(spread.layers[linears[-1]].params["bias"] == 0)
    assert all(np.all(plain.layers[i].params["bias"] == 0) for i in linears)


@pytest.mark.parametrize("bias_std", [-1.0, float("nan"), "1", True])
def test_bias_std_must_be_a_number_at_least_0(bias_std):
    with pytest.raises(ValueError, match="bias_std must be a number ≥ 0"):
        fully_connected([1, 3, 1], rng=0, bias_std=bias_std)
