"""mlp against an independent automatic differentiation, autograd (float64): same values, same gradients.

autograd differentiates plain numpy code by tracing it, knowing nothing of mlp's backward passes;
the network is written here a second time with autograd.numpy, and E and every gradient must agree.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from mlp.layers import ACTIVATIONS, Linear, LeakyReLU
from mlp.losses import SquaredError
from mlp.network import fully_connected

ORACLE = {  # each registered activation, written with autograd's numpy
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, LeakyReLU().slope * z),
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "tanh": anp.tanh,
    "identity": lambda z: z,
}


def test_the_oracle_knows_every_registered_activation():
    assert ORACLE.keys() == ACTIVATIONS.keys()


def oracle_cost(net, activation, reduction, y):
    """E(x, θ) written with autograd.numpy, the network's layers read from `net` (structure only)."""
    def cost(x, params):
        z = x
        for i, layer in enumerate(net.layers):
            z = z @ params[f"{i}.weight"].T + params[f"{i}.bias"] if isinstance(layer, Linear) else ORACLE[activation](z)
        E = anp.sum((z - y) ** 2)
        return E / len(y) if reduction == "mean" else E
    return cost


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("sizes", [[3, 1], [11, 64, 64, 1], [4, 7, 5, 3], [2, 8, 8, 8, 2]], ids=str)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_values_and_gradients_match_autograd(activation, sizes, reduction):
    rng = np.random.default_rng(sum(sizes))
    net = fully_connected(sizes, activation=activation, rng=rng)
    for theta in net.params.values():
        theta += 0.1 * rng.standard_normal(theta.shape)
    X, y = rng.standard_normal((6, sizes[0])), rng.standard_normal((6, sizes[-1]))
    loss = SquaredError(reduction)
    E = loss.forward(net.forward(X), y)
    dx = net.backward(loss.backward())

    cost = oracle_cost(net, activation, reduction, y)
    params = {name: p.copy() for name, p in net.params.items()}
    assert E == pytest.approx(cost(X, params), rel=1e-12)
    np.testing.assert_allclose(dx, grad(cost, 0)(X, params), rtol=1e-10, atol=1e-13)
    oracle = grad(cost, 1)(X, params)
    assert net.grads.keys() == oracle.keys()
    for name, g in net.grads.items():
        np.testing.assert_allclose(g, oracle[name], rtol=1e-10, atol=1e-13, err_msg=name)


def test_sigmoid_is_exact_where_the_naive_formula_overflows():
    from mlp.layers import sigmoid

    z = np.array([-1e4, -700.0, -50.0, -1.0, 0.0, 1.0, 50.0, 700.0, 1e4])
    with np.errstate(over="ignore"):
        naive = 1.0 / (1.0 + np.exp(-z))  # right wherever it does not overflow (e^1e4 is inf, giving 0 exactly)
    np.testing.assert_allclose(sigmoid(z), naive, rtol=1e-15, atol=0)
    assert np.all(np.isfinite(sigmoid(z))) and sigmoid(np.array([-1e4]))[0] == 0.0
