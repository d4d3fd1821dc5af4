"""SquaredError: values against the formula, gradient against finite differences, strict shapes."""
import numpy as np
import pytest

from mlp.gradcheck import check_loss
from mlp.losses import SquaredError


def data(n=6, m=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, m)), rng.standard_normal((n, m))


def test_sum_is_the_sum_of_squared_distances():
    y_hat, y = data()
    expected = sum(np.linalg.norm(y_hat[j] - y[j]) ** 2 for j in range(len(y)))
    assert SquaredError().forward(y_hat, y) == pytest.approx(expected, rel=1e-14)
    assert SquaredError("sum").forward(y_hat, y) == pytest.approx(np.sum((y_hat - y) ** 2), rel=1e-14)


def test_mean_divides_by_the_number_of_samples():
    y_hat, y = data(n=5, m=3)
    assert SquaredError("mean").forward(y_hat, y) == pytest.approx(np.sum((y_hat - y) ** 2) / 5, rel=1e-14)


def test_a_small_example_by_hand():
    y_hat = np.array([[1.0], [2.0], [4.0]])
    y = np.array([[0.0], [2.0], [1.0]])
    assert SquaredError().forward(y_hat, y) == 10.0  # 1 + 0 + 9
    assert SquaredError("mean").forward(y_hat, y) == pytest.approx(10.0 / 3)
    loss = SquaredError()
    loss.forward(y_hat, y)
    np.testing.assert_array_equal(loss.backward(), [[2.0], [0.0], [6.0]])


def test_forward_returns_a_python_float():
    assert type(SquaredError().forward(*data())) is float


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_backward_is_two_residuals_scaled_like_forward(reduction):
    y_hat, y = data(seed=1)
    loss = SquaredError(reduction)
    loss.forward(y_hat, y)
    scale = 2.0 if reduction == "sum" else 2.0 / len(y)
    np.testing.assert_allclose(loss.backward(), scale * (y_hat - y), rtol=1e-15)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_backward_agrees_with_finite_differences(reduction):
    y_hat, y = data(n=4, m=3, seed=2)
    assert check_loss(SquaredError(reduction), y_hat, y)
    # and with our own centred differences
    loss, h = SquaredError(reduction), 1e-6
    loss.forward(y_hat, y)
    analytic = loss.backward()
    numeric = np.zeros_like(y_hat)
    for index in np.ndindex(y_hat.shape):
        e = np.zeros_like(y_hat)
        e[index] = h
        numeric[index] = (loss.forward(y_hat + e, y) - loss.forward(y_hat - e, y)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_backward_twice_gives_the_same_gradient():
    loss = SquaredError()
    loss.forward(*data())
    np.testing.assert_array_equal(loss.backward(), loss.backward())


def test_the_loss_is_zero_exactly_at_the_targets():
    _, y = data()
    loss = SquaredError()
    assert loss.forward(y.copy(), y) == 0.0
    np.testing.assert_array_equal(loss.backward(), np.zeros_like(y))


def test_float32_inputs_give_a_float32_gradient():
    y_hat, y = (a.astype(np.float32) for a in data())
    loss = SquaredError()
    loss.forward(y_hat, y)
    assert loss.backward().dtype == np.float32


def test_repr_names_the_reduction():
    assert repr(SquaredError("mean")) == "SquaredError(reduction='mean')"
