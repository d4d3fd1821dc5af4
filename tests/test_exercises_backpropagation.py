"""Notebook 04's exercise checks: a clear verdict on right answers AND on several kinds of wrong ones.
Also mlp.gradcheck.numerical_jacobian, added for the notebook's transposed Jacobians."""
import re

import numpy as np
import pytest

from mlp.exercises import ExerciseError
from mlp.exercises.backpropagation import (
    check_hand_gradients, check_linear_backward, check_multiply_backward, check_sigmoid_layer,
)
from mlp.gradcheck import numerical_jacobian
from mlp.graph import Node

# --- Exercise 5.1 ---------------------------------------------------------------------------------
# at x = 1, y = −3, z = 2: d = −2, e = −4, L = 25, ∂L/∂e = 2(e − 1) = −10, ∂L/∂d = z·(−10) = −20,
# ∂L/∂z = d·(−10) = 20, ∂L/∂x = ∂L/∂y = −20 (worked out by hand, not taken from mlp)
RIGHT = {"d": -2, "e": -4, "L": 25, "dL_de": -10, "dL_dd": -20, "dL_dz": 20, "dL_dx": -20, "dL_dy": -20}


def answers(**changes):
    return lambda: {**RIGHT, **changes}


def test_hand_gradients_right(capsys):
    check_hand_gradients(answers())
    assert capsys.readouterr().out.startswith("✔ Exercise 5.1: all eight numbers are right")


def test_hand_gradients_accept_floats_and_numpy_numbers(capsys):
    check_hand_gradients(lambda: {k: np.float64(v) for k, v in RIGHT.items()})
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("changes, message", [
    ({"d": -1}, "d is off: got −1, expected −2"),
    ({"e": 0}, "e is off \\(d are right\\).*product d · z"),              # d + z = 0
    ({"L": -5}, "L is off.*forgot to square"),                             # e − 1
    ({"dL_de": -5}, "dL_de is off.*forgot the factor 2"),                  # e − 1
    ({"dL_de": -8}, "2\\(e − 1\\), not 2e"),
    ({"dL_dd": 20}, "dL_dd is off.*used d as the local gradient: ∂e/∂d = z"),  # d · ∂L/∂e
    ({"dL_dd": 2}, "z is only the local gradient ∂e/∂d"),
    ({"dL_dz": -20}, "dL_dz is off.*used z as the local gradient: ∂e/∂z = d"),
    ({"dL_dx": 1}, "1 is only the local gradient ∂d/∂x"),
    ({"dL_dy": 20}, "dL_dy is off.*The sign is off"),
])
def test_hand_gradients_name_the_first_wrong_number_and_the_slip(changes, message):
    with pytest.raises(ExerciseError, match="(?s)^Exercise 5.1: .*" + message):
        check_hand_gradients(answers(**changes))


def test_hand_gradients_wrong_container_or_missing_keys():
    with pytest.raises(ExerciseError, match="should return a dict"):
        check_hand_gradients(lambda: [-2, -4, 25])
    partial = dict(RIGHT)
    del partial["dL_dz"]
    with pytest.raises(ExerciseError, match="no entries \\['dL_dz'\\]"):
        check_hand_gradients(lambda: partial)
    with pytest.raises(ExerciseError, match="dL_dx should be a number"):
        check_hand_gradients(answers(dL_dx="-20"))


# --- Exercise 5.2 ---------------------------------------------------------------------------------

def multiply_node(backward):
    """A multiply node class with the given backward(self, a, b)."""
    class Candidate(Node):
        symbol = "·"

        def forward(self):
            return self.inputs[0].value * self.inputs[1].value

        def backward(self):
            backward(self, *self.inputs)
    return Candidate


def right_multiply(node, a, b):
    a.grad += b.value * node.grad
    b.grad += a.value * node.grad


def test_multiply_right(capsys):
    check_multiply_backward(multiply_node(right_multiply))
    assert capsys.readouterr().out.startswith("✔ Exercise 5.2")


def swapped(node, a, b):
    a.grad += a.value * node.grad
    b.grad += b.value * node.grad


def no_upstream(node, a, b):
    a.grad += b.value
    b.grad += a.value


def assigned(node, a, b):
    a.grad = b.value * node.grad
    b.grad = a.value * node.grad


def returned(node, a, b):
    return b.value * node.grad, a.value * node.grad


def negated(node, a, b):
    a.grad -= b.value * node.grad
    b.grad -= a.value * node.grad


@pytest.mark.parametrize("backward, message", [
    (swapped, "∂L/∂d is off.*swapped the local gradients"),
    (no_upstream, "got −4, expected 104. Multiply the local gradient by self.grad"),
    (assigned, "x · x at x = 3.*got 3.*use \\+=, not ="),
    (returned, "got 0, expected 104. Backward left it at 0.*a.grad \\+="),
    (negated, "got −104, expected 104. The sign is off"),
])
def test_multiply_wrong_backward_is_named(backward, message):
    with pytest.raises(ExerciseError, match="(?s)^Exercise 5.2: .*" + message):
        check_multiply_backward(multiply_node(backward))


def test_multiply_needs_the_class():
    with pytest.raises(ExerciseError, match="pass the class itself"):
        check_multiply_backward(multiply_node(right_multiply)())


# --- Exercise 5.3 ---------------------------------------------------------------------------------

def sigmoid_layer(forward=None, backward=None):
    """A pseudocode-style sigmoid layer; forward/backward(σ, x, dz) replace the right ones."""
    class Candidate:
        def __init__(self):
            self.params, self.grads = {}, {}

        def forward(self, x):
            self.x = x
            self.s = 1 / (1 + np.exp(-x))
            return forward(self.s, x) if forward else self.s

        def backward(self, dz):
            s, x = self.s, self.x
            return backward(s, x, dz) if backward else dz * s * (1 - s)
    return Candidate


def test_sigmoid_right(capsys):
    check_sigmoid_layer(sigmoid_layer())
    assert capsys.readouterr().out.startswith("✔ Exercise 5.3: forward gives σ(x) and backward agrees")


@pytest.mark.parametrize("backward, hint", [
    (lambda s, x, dz: dz * s, "forgot the factor \\(1 − σ\\(x\\)\\)"),
    (lambda s, x, dz: s * (1 - s), "Multiply σ'\\(x\\) by dz"),
    (lambda s, x, dz: dz * x * (1 - x), "Use σ\\(x\\) \\(the output forward kept\\), not x"),
    (lambda s, x, dz: -dz * s * (1 - s), "The sign is off"),
    (lambda s, x, dz: dz * (1 - s * s), "the pattern of tanh"),
    (lambda s, x, dz: dz * s * (1 - s) * 1.01, ""),   # 1 % off: no known slip, the report still says FAIL
])
def test_sigmoid_wrong_backward_says_which_gradient_and_by_how_much(backward, hint):
    with pytest.raises(ExerciseError) as error:
        check_sigmoid_layer(sigmoid_layer(backward=backward))
    message = str(error.value)
    assert message.startswith("Exercise 5.3: backward disagrees with finite differences")
    assert "FAIL  x" in message and "relative error" in message and "finite differences" in message
    if hint:
        assert re.search("Hint: .*" + hint, message)
    else:
        assert "Hint" not in message


@pytest.mark.parametrize("forward, message", [
    (lambda s, x: None, "forward returned None"),
    (lambda s, x: np.tanh(x), "That is tanh"),
    (lambda s, x: 1 / (1 + np.exp(x)), "sign in the exponent"),
    (lambda s, x: s[:, :1], "should have x's shape \\(4, 3\\)"),
    (lambda s, x: s + 0.1, "forward is off at x ="),
])
def test_sigmoid_wrong_forward_is_named(forward, message):
    with pytest.raises(ExerciseError, match="(?s)^Exercise 5.3: .*" + message):
        check_sigmoid_layer(sigmoid_layer(forward=forward))


def test_sigmoid_backward_returning_none_or_changing_x_in_place():
    with pytest.raises(ExerciseError, match="backward returned None"):
        check_sigmoid_layer(sigmoid_layer(backward=lambda s, x, dz: None))

    class InPlace:
        params, grads = {}, {}

        def forward(self, x):
            np.negative(x, out=x)
            return x

    with pytest.raises(ExerciseError, match="changed its input x in place"):
        check_sigmoid_layer(InPlace)


# --- Exercise 5.4 ---------------------------------------------------------------------------------

def linear_layer(backward):
    """A pseudocode-style affine layer whose backward(self, x, W, dz) is given."""
    class Candidate:
        def __init__(self, weight, bias):
            self.params = {"weight": weight, "bias": bias}
            self.grads = {}

        def forward(self, x):
            self.input = x
            return x @ self.params["weight"].T + self.params["bias"]

        def backward(self, dz):
            return backward(self, self.input, self.params["weight"], dz)
    return Candidate


def right_linear(layer, x, W, dz):
    layer.grads["weight"] = dz.T @ x
    layer.grads["bias"] = dz.sum(axis=0)
    return dz @ W


def test_linear_right(capsys):
    check_linear_backward(linear_layer(right_linear))
    assert capsys.readouterr().out.startswith("✔ Exercise 5.4: dE/dx, dE/dθ_w and dE/dθ_b match")


def transposed_weight(layer, x, W, dz):
    right_linear(layer, x, W, dz)
    layer.grads["weight"] = x.T @ dz
    return dz @ W


def unsummed_bias(layer, x, W, dz):
    right_linear(layer, x, W, dz)
    layer.grads["bias"] = dz
    return dz @ W


def mean_bias(layer, x, W, dz):
    right_linear(layer, x, W, dz)
    layer.grads["bias"] = dz.mean(axis=0)
    return dz @ W


def weight_over_n(layer, x, W, dz):
    right_linear(layer, x, W, dz)
    layer.grads["weight"] = dz.T @ x / len(x)
    return dz @ W


def negative_dx(layer, x, W, dz):
    return -right_linear(layer, x, W, dz)


def no_dx(layer, x, W, dz):
    right_linear(layer, x, W, dz)


def no_grads(layer, x, W, dz):
    return dz @ W


def dx_of_wrong_shape(layer, x, W, dz):
    right_linear(layer, x, W, dz)
    return dz


def accumulating(layer, x, W, dz):
    layer.grads.setdefault("weight", np.zeros_like(W))
    layer.grads.setdefault("bias", np.zeros(W.shape[0]))
    layer.grads["weight"] += dz.T @ x
    layer.grads["bias"] += dz.sum(axis=0)
    return dz @ W


@pytest.mark.parametrize("backward, message", [
    (transposed_weight, "grads\\['weight'\\] has shape \\(3, 2\\).*\\(2, 3\\): you computed its transpose"),
    (unsummed_bias, "grads\\['bias'\\] has shape \\(4, 2\\).*sum dz over the samples"),
    (mean_bias, "FAIL  bias .*relative error.*\nHint: grads\\['bias'\\] is the mean"),
    (weight_over_n, "FAIL  weight .*relative error.*\nHint: grads\\['weight'\\] is divided by N"),
    (negative_dx, "FAIL  x .*relative error.*\nHint: Check the sign of dE/dx"),
    (no_dx, "backward returned None"),
    (no_grads, "store the parameter gradients in self.grads"),
    (dx_of_wrong_shape, "dE/dx has shape \\(4, 2\\), but it must have x's shape \\(4, 3\\)"),
])
def test_linear_wrong_backward_is_named(backward, message):
    with pytest.raises(ExerciseError, match="(?s)^Exercise 5.4: .*" + message):
        check_linear_backward(linear_layer(backward))


def test_linear_report_says_which_gradients_pass_and_which_fail():
    with pytest.raises(ExerciseError) as error:
        check_linear_backward(linear_layer(mean_bias))
    lines = str(error.value).splitlines()
    assert any(line.strip().startswith("ok    x") for line in lines)
    assert any(line.strip().startswith("ok    weight") for line in lines)
    assert any(line.strip().startswith("FAIL  bias") for line in lines)


def test_linear_gradients_that_accumulate_are_caught():
    # right on the first call, so only calling backward twice shows it
    with pytest.raises(ExerciseError, match="calling backward twice changed grads.*do not add"):
        check_linear_backward(linear_layer(accumulating))


def test_linear_changed_forward_is_caught():
    class Changed(linear_layer(right_linear)):
        def forward(self, x):
            self.input = x
            return x @ self.params["weight"].T

    with pytest.raises(ExerciseError, match="forward no longer computes"):
        check_linear_backward(Changed)


# --- mlp.gradcheck.numerical_jacobian ------------------------------------------------------------

def test_numerical_jacobian_of_a_linear_map_is_its_matrix():
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    x = np.array([0.3, -0.7, 1.1])
    J = numerical_jacobian(lambda: A @ x, x)
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, A, atol=1e-8)
    np.testing.assert_array_equal(x, [0.3, -0.7, 1.1])  # restored


def test_numerical_jacobian_of_an_entrywise_function_is_diagonal_and_flattened_row_major():
    x = np.array([[0.1, -0.4], [0.8, 1.5]])
    J = numerical_jacobian(lambda: np.tanh(x), x)
    assert J.shape == (4, 4)
    np.testing.assert_allclose(J, np.diag(1 - np.tanh(x.ravel()) ** 2), atol=1e-8)


def test_numerical_jacobian_refuses_float32():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        numerical_jacobian(lambda: x * 2, x)
