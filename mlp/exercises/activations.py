"""Checks for notebook 03, activations and fully connected networks.

Each check calls the student's function on test inputs and compares with mlp's own layers and
networks (mlp.layers, mlp.network), then says in one sentence what is right or what is off.
"""
from __future__ import annotations

import numpy as np

from ..layers import ReLU, Sigmoid
from ..network import fully_connected
from ._legacy import call, check_array, fail, passed


def _layer_and_derivative(layer, z):
    """(ℓ(z), ℓ'(z)) from an mlp layer: the derivative is backward with dz = 1."""
    out = layer.forward(z)
    return out, layer.backward(np.ones_like(z))


def check_sigmoid(student_sigmoid, student_sigmoid_prime) -> None:
    """Exercise 3.1: σ(z) = e^z / (e^z + 1) and σ'(z) = σ(z)(1 − σ(z)), componentwise."""
    label = "Exercise 3.1"
    z = np.linspace(-8, 8, 33).reshape(3, 11)
    value, slope = _layer_and_derivative(Sigmoid(), z)
    got = call(label, "sigmoid(z)", student_sigmoid, z.copy())
    if got is not None and np.shape(got) == z.shape and np.allclose(np.asarray(got, dtype=np.float64), 1 - value):
        fail(label, "sigmoid(z) is mirrored: it should rise from 0 to 1 as z grows (check the sign in the exponent)")
    check_array(label, got, value, "sigmoid(z)", hint="σ(0) should be 0.5, σ(8) close to 1.")
    got = call(label, "sigmoid_prime(z)", student_sigmoid_prime, z.copy())
    check_array(label, got, slope, "sigmoid_prime(z)", hint="σ'(z) = σ(z)(1 − σ(z)); its largest value is σ'(0) = 0.25.")
    passed(label, "σ and σ' match mlp's Sigmoid layer, forward and backward.")


def check_relu(student_relu, student_relu_prime) -> None:
    """Exercise 3.2: ReLU(z) = max(z, 0) and its derivative 1[z > 0] (0 at the kink z = 0), componentwise."""
    label = "Exercise 3.2"
    z = np.array([[-3.0, -0.5, 0.0, 0.25, 2.0], [1e-3, -1e-3, 7.0, -7.0, 0.0]])
    value, slope = _layer_and_derivative(ReLU(), z)
    check_array(label, call(label, "relu(z)", student_relu, z.copy()), value, "relu(z)",
                hint="Negative entries become 0, the others stay as they are: np.maximum works componentwise.")
    got = call(label, "relu_prime(z)", student_relu_prime, z.copy())
    if got is not None and np.shape(got) == z.shape:
        got = np.asarray(got, dtype=np.float64)
        away = z != 0
        if np.allclose(got[away], slope[away]) and not np.allclose(got, slope):
            fail(label, "relu_prime is right except at the kink z = 0: use the value 0 there, as mlp does")
    check_array(label, got, slope, "relu_prime(z)", hint="The slope is 1 where z > 0 and 0 elsewhere.")
    passed(label, "ReLU and its derivative match mlp's ReLU layer, forward and backward.")


def check_one_hidden_layer(student_forward) -> None:
    """Exercise 3.3: student_forward(X, W1, b1, W2, b2) = σ(X W1ᵀ + b1) W2ᵀ + b2 with σ the sigmoid."""
    label = "Exercise 3.3"
    for sizes, seed in (([3, 5, 2], 0), ([1, 4, 1], 1), ([6, 2, 3], 2)):
        rng = np.random.default_rng(seed)
        net = fully_connected(sizes, "sigmoid", rng=rng)
        first, last = net.layers[0], net.layers[2]
        for layer in (first, last):
            layer.params["bias"][:] = rng.standard_normal(layer.n_out)
        X = rng.standard_normal((8, sizes[0]))
        W1, b1, W2, b2 = first.params["weight"], first.params["bias"], last.params["weight"], last.params["bias"]
        got = call(label, "one_hidden_layer(X, W1, b1, W2, b2)", student_forward,
                    X.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy())
        expected = net.forward(X)
        if got is not None and np.shape(got) == expected.shape:
            got = np.asarray(got, dtype=np.float64)
            if np.allclose(got, (X @ W1.T + b1) @ W2.T + b2):
                fail(label, "your network has no activation: apply σ to the hidden layer, σ(X W1ᵀ + b1)")
            if np.allclose(got, np.maximum(X @ W1.T + b1, 0) @ W2.T + b2):
                fail(label, "you used ReLU; this exercise asks for the sigmoid σ as the activation")
            if np.allclose(got, Sigmoid().forward(X @ W1.T) @ W2.T + b2):
                fail(label, "the hidden layer lost its bias: σ(X W1ᵀ + b1)")
            if np.allclose(got, Sigmoid().forward(X @ W1.T + b1) @ W2.T):
                fail(label, "the output layer lost its bias b2")
        check_array(label, got, expected, f"one_hidden_layer for sizes {sizes}",
                    hint="One sample per row of X: multiply by the transposed weights, X @ W1.T.")
    passed(label, "your forward pass gives exactly what mlp.fully_connected(..., 'sigmoid') computes.")


def check_count_parameters(student_count) -> None:
    """Exercise 3.4: student_count(sizes) = number of learnable parameters of fully_connected(sizes)."""
    label = "Exercise 3.4"
    for sizes in ([1, 1], [11, 64, 64, 1], [1, 8, 1], [3, 5, 7, 2], [784, 100, 10]):
        answer = call(label, f"count_parameters({sizes})", student_count, list(sizes))
        expected = fully_connected(sizes, rng=0).n_params
        if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
            fail(label, f"count_parameters({sizes}) should return a whole number, got {answer!r}")
        if answer == expected:
            continue
        weights_only = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        if answer == weights_only:
            fail(label, f"count_parameters({sizes}) = {answer} counts the weights only: every unit also has a bias")
        if answer == weights_only + sum(sizes):
            fail(label, f"count_parameters({sizes}) = {answer} gives the inputs a bias too: only the units of "
                        "the hidden and output layers have one")
        fail(label, f"count_parameters({sizes}) = {answer}, but the network has {expected} parameters")
    passed(label, "you count the parameters exactly as mlp does, weights and biases.")
