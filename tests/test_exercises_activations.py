"""The checks of notebook 03 accept right answers and explain typical wrong ones."""
import numpy as np
import pytest

from mlp.exercises import ExerciseError
from mlp.exercises.activations import check_count_parameters, check_one_hidden_layer, check_relu, check_sigmoid


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    return (z > 0).astype(float)


def forward(X, W1, b1, W2, b2):
    return sigmoid(X @ W1.T + b1) @ W2.T + b2


def count(sizes):
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def test_right_answers_pass_with_a_tick(capsys):
    check_sigmoid(sigmoid, sigmoid_prime)
    check_relu(relu, relu_prime)
    check_one_hidden_layer(forward)
    check_count_parameters(count)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"✔ Exercise 3.{i}" for i in range(1, 5)]


@pytest.mark.parametrize("wrong_sigmoid, wrong_prime, message", [
    (lambda z: 1 / (1 + np.exp(z)), sigmoid_prime, "mirrored"),
    (sigmoid, lambda z: sigmoid(z) * (1 + sigmoid(z)), "sigmoid_prime"),
    (lambda z: None, sigmoid_prime, "forget the return"),
    (lambda z: sigmoid(z).ravel(), sigmoid_prime, "shape"),
])
def test_sigmoid_mistakes_are_explained(wrong_sigmoid, wrong_prime, message):
    with pytest.raises(ExerciseError, match=message):
        check_sigmoid(wrong_sigmoid, wrong_prime)


def test_relu_mistakes_are_explained():
    with pytest.raises(ExerciseError, match="kink z = 0"):
        check_relu(relu, lambda z: (z >= 0).astype(float))
    with pytest.raises(ExerciseError, match=r"relu\(z\) is off"):
        check_relu(np.abs, relu_prime)
    with pytest.raises(ExerciseError, match="raised"):
        check_relu(lambda z: max(z, 0), relu_prime)


@pytest.mark.parametrize("wrong, message", [
    (lambda X, W1, b1, W2, b2: (X @ W1.T + b1) @ W2.T + b2, "no activation"),
    (lambda X, W1, b1, W2, b2: np.maximum(X @ W1.T + b1, 0) @ W2.T + b2, "ReLU"),
    (lambda X, W1, b1, W2, b2: sigmoid(X @ W1.T) @ W2.T + b2, "lost its bias"),
    (lambda X, W1, b1, W2, b2: sigmoid(X @ W1.T + b1) @ W2.T, "b2"),
    (lambda X, W1, b1, W2, b2: sigmoid(X @ W1 + b1) @ W2 + b2, "raised ValueError"),
])
def test_forward_pass_mistakes_are_explained(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_one_hidden_layer(wrong)


def test_parameter_count_mistakes_are_explained():
    with pytest.raises(ExerciseError, match="weights only"):
        check_count_parameters(lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))
    with pytest.raises(ExerciseError, match="inputs a bias"):
        check_count_parameters(lambda sizes: count(sizes) + sizes[0])
    with pytest.raises(ExerciseError, match="whole number"):
        check_count_parameters(lambda sizes: float(count(sizes)))


def test_stubs_raise_not_implemented():
    def stub(*args):
        raise NotImplementedError("Exercise 3.1: write your code here")
    for check, n in ((check_sigmoid, 2), (check_relu, 2), (check_one_hidden_layer, 1), (check_count_parameters, 1)):
        with pytest.raises(NotImplementedError):
            check(*[stub] * n)
