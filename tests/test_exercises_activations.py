"""The checks of notebook 03 accept right answers and name each recognised slip. What every exercise must
satisfy is in tests/test_every_exercise.py."""
import re

import numpy as np
import pytest

import mlp
from mlp.exercises import ExerciseError
from mlp.exercises.activations import (
    check_count_parameters, check_one_hidden_layer, check_relu, check_sigmoid, scoreboard,
)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    return (z > 0).astype(float)


def forward(X, theta_w1, theta_b1, theta_w2, theta_b2):
    return sigmoid(X @ theta_w1.T + theta_b1) @ theta_w2.T + theta_b2


def count(sizes):
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


# --- right answers ------------------------------------------------------------------------------

def test_right_answers_pass_with_a_tick(capsys):
    check_sigmoid(sigmoid, sigmoid_prime)
    check_relu(relu, relu_prime)
    check_one_hidden_layer(forward)
    check_count_parameters(count)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"✔ Exercise 3.{i}" for i in range(1, 5)]
    scoreboard()
    assert capsys.readouterr().out.startswith("4 of 4 solved: 3.1 ✔  3.2 ✔  3.3 ✔  3.4 ✔")


@pytest.mark.parametrize("right_sigmoid, right_prime", [
    (lambda z: np.exp(z) / (np.exp(z) + 1), lambda z: np.exp(z) / (np.exp(z) + 1) ** 2),
    (lambda z: 0.5 * (1 + np.tanh(z / 2)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
])
def test_other_right_forms_of_the_sigmoid_pass(right_sigmoid, right_prime, capsys):
    check_sigmoid(right_sigmoid, right_prime)
    assert capsys.readouterr().out.startswith("✔ Exercise 3.1")


@pytest.mark.parametrize("right_relu, right_prime", [
    (lambda z: z * (z > 0), lambda z: z > 0),
    (lambda z: np.where(z > 0, z, 0.0), lambda z: np.heaviside(z, 0.0)),
])
def test_other_right_forms_of_relu_pass(right_relu, right_prime, capsys):
    check_relu(right_relu, right_prime)
    assert capsys.readouterr().out.startswith("✔ Exercise 3.2")


def test_a_forward_pass_with_a_loop_over_the_rows_passes(capsys):
    def rows(X, theta_w1, theta_b1, theta_w2, theta_b2):
        return np.array([theta_w2 @ sigmoid(theta_w1 @ x + theta_b1) + theta_b2 for x in X])
    check_one_hidden_layer(rows)
    assert capsys.readouterr().out.startswith("✔ Exercise 3.3")


@pytest.mark.parametrize("right", [
    lambda sizes: np.sum((np.array(sizes[:-1]) + 1) * np.array(sizes[1:])),   # a numpy integer
    lambda sizes: float(count(sizes)),                                       # a whole number as a float
    lambda sizes: np.float64(np.dot(np.add(sizes[:-1], 1), sizes[1:])),
])
def test_a_count_as_a_numpy_integer_or_a_whole_float_passes(right, capsys):
    check_count_parameters(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 3.4")


# --- each recognised slip gets its message ---------------------------------------------------------

def _in_place_sigmoid(z):
    z *= -1
    np.exp(z, out=z)
    return 1 / (1 + z)


@pytest.mark.parametrize("wrong_sigmoid, wrong_prime, message", [
    (lambda z: 1 / (1 + np.exp(z)), sigmoid_prime, "sigmoid.* is mirrored"),
    (lambda z: None, sigmoid_prime, "returned None"),
    (lambda z: sigmoid(z).ravel(), sigmoid_prime, "shape"),
    (lambda z: sigmoid(z) + 0.01 * (np.abs(z - 2) < 0.6), sigmoid_prime, r"sigmoid\(z\) .*is off at z = [0-9.]+: got"),
    (_in_place_sigmoid, sigmoid_prime, "changed its input z"),
    (sigmoid, lambda z: -sigmoid_prime(z), "wrong sign"),
    (sigmoid, lambda z: sigmoid(z) * (1 + sigmoid(z)), "quotient rule"),
    (sigmoid, lambda z: z * (1 - z), "as if it were σ"),
    (sigmoid, sigmoid, "returns σ"),
    (sigmoid, lambda z: 1 - sigmoid(z), "one factor missing"),
    (sigmoid, lambda z: sigmoid_prime(z) * 1.1, r"sigmoid_prime\(z\) .*is off at z = 0: got 0.275.*Differentiate"),
])
def test_sigmoid_slips_are_named(wrong_sigmoid, wrong_prime, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 3.1: .*{message}"):
        check_sigmoid(wrong_sigmoid, wrong_prime)


def test_the_sigmoid_message_names_the_z_value_not_an_index():
    with pytest.raises(ExerciseError) as raised:
        check_sigmoid(lambda z: sigmoid(z) + (z == 8.0), sigmoid_prime)
    assert "at z = 8:" in str(raised.value) and "index" not in str(raised.value)


def _in_place_relu(z):
    z[z < 0] = 0
    return z


@pytest.mark.parametrize("wrong_relu, wrong_prime, message", [
    (np.abs, relu_prime, r"gives \|z\|"),
    (lambda z: np.max(z, 0), relu_prime, "np.max reduces"),
    (lambda z: max(z, 0), relu_prime, "raised ValueError"),
    (_in_place_relu, relu_prime, "changed its input z"),
    (lambda z: np.maximum(z, 0.1), relu_prime, r"relu\(z\) .*is off at z = "),
    (lambda z: None, relu_prime, "returned None"),
    (relu, lambda z: (z >= 0).astype(float), "except at the kink z = 0"),
    (relu, relu, r"returns relu\(z\) itself"),
    (relu, np.sign, "−1 where z < 0"),
    (relu, lambda z: np.ones_like(z), r"relu_prime\(z\) .*is off at z = −"),
])
def test_relu_slips_are_named(wrong_relu, wrong_prime, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 3.2: .*{message}"):
        check_relu(wrong_relu, wrong_prime)


def _sig_out(X, w1, b1, w2, b2):
    return sigmoid(sigmoid(X @ w1.T + b1) @ w2.T + b2)


@pytest.mark.parametrize("wrong, message", [
    (_sig_out, "applies σ to the output too"),
    (lambda X, w1, b1, w2, b2: (X @ w1.T + b1) @ w2.T + b2, "has no activation"),
    (lambda X, w1, b1, w2, b2: relu(X @ w1.T + b1) @ w2.T + b2, "uses ReLU"),
    (lambda X, w1, b1, w2, b2: np.tanh(X @ w1.T + b1) @ w2.T + b2, "uses tanh"),
    (lambda X, w1, b1, w2, b2: sigmoid(X @ w1.T) @ w2.T + b2, "leaves out theta_b1"),
    (lambda X, w1, b1, w2, b2: sigmoid(X @ w1.T + b1) @ w2.T, "leaves out theta_b2"),
    (lambda X, w1, b1, w2, b2: sigmoid(X @ w1 + b1) @ w2 + b2, "theta_w1 and theta_w2 as if they had one column"),
    (lambda X, w1, b1, w2, b2: sigmoid(X @ w1 + b1) @ w2.T + b2, "theta_w1 as if it had one column"),
    (lambda X, w1, b1, w2, b2: sigmoid(X @ w1.T + b1) @ w2 + b2, "uses theta_w2 as if"),
    (lambda X, w1, b1, w2, b2: (sigmoid(X @ w1.T + b1) @ w2.T + b2).T, "looks transposed"),
    (lambda X, w1, b1, w2, b2: None, "returned None"),
    (lambda X, w1, b1, w2, b2: sigmoid(X @ w1.T + b1) @ w2.T + b2 + 0.01, r"is off for the sample X\[\d+\], output \d: got"),
])
def test_forward_pass_slips_are_named(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 3.3: .*{message}"):
        check_one_hidden_layer(wrong)


def test_a_forward_pass_that_writes_into_its_inputs_is_refused():
    def in_place(X, w1, b1, w2, b2):
        w1 *= 1.0
        b1 += 0.0
        X += 1.0
        return forward(X - 1.0, w1, b1, w2, b2)
    with pytest.raises(ExerciseError, match="changed its input X"):
        check_one_hidden_layer(in_place)


def _mutating_count(sizes):
    n = count(sizes)
    sizes.clear()
    return n


@pytest.mark.parametrize("wrong, message", [
    (lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])), "counts the weights only"),
    (lambda sizes: count(sizes) + sizes[0], "gives the inputs a bias"),
    (lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + len(sizes) - 1, "one bias per layer"),
    (lambda sizes: sum(sizes), "counts the neurons"),
    (lambda sizes: sum((a + 1) * (b + 1) for a, b in zip(sizes[:-1], sizes[1:])), "for its outputs"),
    (lambda sizes: count(sizes[:-1]), "leaves out the output layer"),
    (lambda sizes: count(sizes) + 0.5, "whole number"),
    (lambda sizes: count(sizes) * 3, r"but the network has [0-9,]+ parameters: count layer by layer"),
    (_mutating_count, "changed its input sizes"),
])
def test_parameter_count_slips_are_named(wrong, message):
    with pytest.raises(ExerciseError, match=f"^Exercise 3.4: .*{message}"):
        check_count_parameters(wrong)


# --- stubs of another exercise, and the student's own errors ---------------------------------------------

def test_a_forward_pass_on_an_unsolved_sigmoid_says_to_solve_3_1_first(stub):
    unsolved = stub("Exercise 3.1")
    with pytest.raises(ExerciseError, match="uses your answer to Exercise 3.1"):
        check_one_hidden_layer(lambda X, w1, b1, w2, b2: unsolved(X @ w1.T + b1) @ w2.T + b2)


def test_the_students_own_error_is_shown_with_its_message(verdict):
    result = verdict(check_one_hidden_layer, {"one_hidden_layer": lambda X, w1, b1, w2, b2: w1 @ X})
    assert result.status == "failed" and "raised ValueError" in result.message and "matmul" in result.message


# --- delegation: the parts of mlp that are an exercise's answer are named in one line -----------------

def _slope_of_mlps_sigmoid(z):
    layer = mlp.Sigmoid()
    layer.forward(z.reshape(-1, 1))
    return layer.backward(np.ones((z.size, 1))).reshape(z.shape)


def _network(X, w1, b1, w2, b2):
    net = mlp.fully_connected([w1.shape[1], w1.shape[0], w2.shape[0]], "sigmoid")
    for layer, (w, b) in zip(net.layers[::2], [(w1, b1), (w2, b2)]):
        layer.params["weight"][...], layer.params["bias"][...] = w, b
    return net.forward(X)


@pytest.mark.parametrize("check, objects, used", [
    (check_sigmoid, [mlp.layers.sigmoid, sigmoid_prime], "mlp.layers.sigmoid"),
    (check_sigmoid, [sigmoid, _slope_of_mlps_sigmoid], "mlp.layers.Sigmoid"),
    (check_relu, [lambda z: mlp.ReLU().forward(z.reshape(-1, 1)).reshape(z.shape), relu_prime], "mlp.layers.ReLU"),
    (check_one_hidden_layer, [lambda X, w1, b1, w2, b2: _network(X, w1, b1, w2, b2)], "mlp.network.fully_connected"),
    (check_count_parameters, [lambda sizes: mlp.fully_connected(sizes).n_params], "mlp.network.fully_connected"),
    (check_count_parameters, [lambda sizes: sum(mlp.Linear(a, b).n_params for a, b in zip(sizes, sizes[1:]))],
     "mlp.layers.Linear"),
])
def test_an_answer_that_calls_mlps_own_code_is_told_so(check, objects, used):
    """3.4's rule "without building a network" is checked here: building one reaches fully_connected or Linear."""
    told = f"Exercise {check.number}: Exercise {check.number} uses {used}: the point is to {check.task}."
    with pytest.raises(ExerciseError, match="^" + re.escape(told) + "$"):
        check(*objects)


# --- the fresh inputs tell every slip apart --------------------------------------------------------------

def test_relus_fresh_inputs_tell_every_named_slip_from_the_right_answer(verdict):
    """Both signs in every fresh input (so |z| and relu′ = relu are refused), one entry at the kink."""
    for seed in range(300):
        for wrong_relu, wrong_prime, slip in [(np.abs, relu_prime, "gives |z|"), (relu, relu, "returns relu(z) itself"),
                                              (relu, np.sign, "−1 where z < 0"),
                                              (relu, lambda z: (z >= 0).astype(float), "except at the kink")]:
            result = verdict(check_relu, {"relu": wrong_relu, "relu_prime": wrong_prime}, seed)
            assert slip in result.message, (seed, result.message)
