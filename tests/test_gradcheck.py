"""Gradient checking: numerical gradients of known functions, rel_error, and verdicts on right and wrong layers."""
import numpy as np
import pytest

from mlp.gradcheck import TOLERANCE, Report, check_layer, check_loss, check_network, numerical_gradient, rel_error
from mlp.layers import Linear, Sigmoid
from mlp.losses import SquaredError
from mlp.network import Sequential, fully_connected

X = np.random.default_rng(2024).standard_normal((5, 4))


# --- numerical_gradient -----------------------------------------------------------------------------

def test_numerical_gradient_of_a_cubic():
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    # centred differences err by h²/6 |f'''| plus rounding 1e-16 |f| / h; with |f| = 36 that is about 4e-9
    np.testing.assert_allclose(grad, 3 * np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]]) ** 2, rtol=1e-8, atol=1e-8)


def test_numerical_gradient_of_a_quadratic_form():
    rng = np.random.default_rng(1)
    A, x = rng.standard_normal((4, 4)), rng.standard_normal(4)
    grad = numerical_gradient(lambda: float(x @ A @ x), x)
    np.testing.assert_allclose(grad, (A + A.T) @ x, rtol=1e-8)


def test_numerical_gradient_of_sin_and_exp():
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(np.sin(x))), x), np.cos(x), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(np.exp(x))), x), np.exp(x), rtol=1e-8)


def test_numerical_gradient_restores_its_input():
    x = np.random.default_rng(2).standard_normal((3, 3))
    before = x.copy()
    numerical_gradient(lambda: float(np.sum(x**2)), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


# --- rel_error ------------------------------------------------------------------------------------

def test_rel_error_properties():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(10), rng.standard_normal(10)
    assert rel_error(a, a) == 0.0
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(1e-9 * a, 1e-9 * b) == pytest.approx(rel_error(a, b), rel=1e-12)  # blind to the scale
    assert rel_error(1e9 * a, 1e9 * b) == pytest.approx(rel_error(a, b), rel=1e-12)
    assert 0 < rel_error(a, b) <= 1
    assert rel_error(a, -a) == 1.0
    assert rel_error(a, np.zeros_like(a)) == 1.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0


def test_rel_error_of_a_small_perturbation_is_small_and_measured_against_the_largest_entry():
    a = np.array([10.0, 0.0])
    b = np.array([10.0, 1e-11])  # an entry 0 vs 1e-11 is no 100 % error
    assert rel_error(a, b) == pytest.approx(1e-11 / 20, rel=1e-6)
    assert rel_error([1.0, 2.0], [1.0, 2.0 + 2e-6]) == pytest.approx(2e-6 / (2 + 2 + 2e-6), rel=1e-6)


def test_rel_error_needs_equal_shapes():
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(3), np.zeros(4))


# --- check_layer on right and wrong layers --------------------------------------------------------

def test_check_layer_gives_a_truthy_report_for_correct_layers():
    layer = Linear(4, 3, rng=0)
    layer.params["bias"][:] = [0.1, -0.4, 0.2]
    report = check_layer(layer, X)
    assert isinstance(report, Report) and report
    assert [c.name for c in report.checks] == ["x", "weight", "bias"]
    assert all(c.passed for c in report.checks)
    assert "all gradients agree" in str(report)
    assert "FAIL" not in str(report)
    assert report["weight"].error < TOLERANCE
    assert check_layer(Sigmoid(), X)


def test_check_layer_leaves_the_layer_ready_for_backward():
    layer = Linear(4, 3, rng=0)
    check_layer(layer, X)
    np.testing.assert_array_equal(layer.input, X)


class WrongSignWeight(Linear):
    def _backward(self, dz):
        dx = super()._backward(dz)
        self.grads["weight"] = -self.grads["weight"]
        return dx


class MissingBias(Linear):
    def _backward(self, dz):
        self.grads["weight"] = dz.T @ self.input
        return dz @ self.params["weight"]


class WrongShapeDx(Linear):
    def _backward(self, dz):
        super()._backward(dz)
        return (dz @ self.params["weight"]).T


class ReturnsNone(Linear):
    def _backward(self, dz):
        super()._backward(dz)
        return None


class SigmoidOfInputMistake(Sigmoid):
    """The classic slip: σ'(z) written as z(1 − z) with the input z instead of σ(z)."""

    def _backward(self, dz):
        z = self.input
        return dz * z * (1 - z)


class ForgetsTheTranspose(Linear):
    def _backward(self, dz):
        super()._backward(dz)
        self.grads["weight"] = self.grads["weight"].T
        return dz @ self.params["weight"]


def failing(report):
    return {c.name for c in report.checks if not c.passed}


@pytest.mark.parametrize("layer, wrong, words", [
    (WrongSignWeight(4, 3, rng=0), {"weight"}, "worst at"),
    (MissingBias(4, 3, rng=0), {"bias"}, "no gradient"),
    (WrongShapeDx(4, 3, rng=0), {"x"}, "shape"),
    (ReturnsNone(4, 3, rng=0), {"x"}, "None"),
    (SigmoidOfInputMistake(), {"x"}, "worst at"),
    (ForgetsTheTranspose(4, 4, rng=0), {"weight"}, "worst at"),
], ids=["wrong sign dW", "missing bias grad", "wrong-shaped dx", "dx None", "sigmoid uses z", "dW transposed"])
def test_check_layer_names_the_wrong_gradient(layer, wrong, words):
    x = X if layer.n_in in (None, 4) else X[:, :4]
    report = check_layer(layer, x)
    assert not report
    assert failing(report) == wrong
    text = str(report)
    assert "some gradients are wrong" in text
    fail_lines = [line for line in text.splitlines() if "FAIL" in line]
    assert len(fail_lines) == len(wrong)
    assert any(name in fail_lines[0] for name in wrong)
    assert words in fail_lines[0]


def test_check_layer_catches_a_transposed_weight_gradient_even_for_an_x_drawn_with_seed_0():
    x = np.random.default_rng(0).standard_normal((5, 4))  # what a student writes first
    report = check_layer(ForgetsTheTranspose(4, 4, rng=1), x)
    assert not report and failing(report) == {"weight"}


def test_the_report_shows_the_two_values_at_the_worst_entry():
    report = check_layer(WrongSignWeight(4, 3, rng=0), X)
    check = report["weight"]
    assert check.analytic == pytest.approx(-check.numeric, rel=1e-6)
    assert f"{check.analytic:.6g}" in str(report)


def test_a_report_works_in_assert_and_passes_its_tolerance_on():
    report = check_layer(Linear(4, 3, rng=0), X, tolerance=1e-3)
    assert report.checks[0].tolerance == 1e-3
    assert "tolerance 1e-03" in str(report)


# --- check_loss and check_network ---------------------------------------------------------------

class HalfGradientLoss(SquaredError):
    def backward(self):
        return self.residual  # forgot the factor 2


def test_check_loss():
    rng = np.random.default_rng(4)
    y_hat, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    assert check_loss(SquaredError(), y_hat, y)
    assert check_loss(SquaredError("mean"), y_hat, y)
    report = check_loss(HalfGradientLoss(), y_hat, y)
    assert not report and failing(report) == {"y_hat"}
    assert "FAIL  y_hat" in str(report)


def test_check_network_names_the_wrong_parameter_of_a_network():
    rng = np.random.default_rng(5)
    net = Sequential([Linear(4, 3, rng=rng), Sigmoid(), WrongSignWeight(3, 2, rng=rng)])
    y = rng.standard_normal((5, 2))
    report = check_network(net, SquaredError(), X, y)
    assert not report
    assert failing(report) == {"2.weight"}
    assert "2.weight" in [line.split()[1] for line in str(report).splitlines() if "FAIL" in line]


def test_check_network_sees_an_error_that_spreads_to_earlier_layers():
    rng = np.random.default_rng(6)
    net = Sequential([Linear(4, 3, rng=rng), SigmoidOfInputMistake(), Linear(3, 2, rng=rng)])
    report = check_network(net, SquaredError(), X, rng.standard_normal((5, 2)))
    assert not report
    assert failing(report) == {"x", "0.weight", "0.bias"}


def test_check_network_passes_a_correct_network():
    rng = np.random.default_rng(7)
    net = fully_connected([4, 5, 2], activation="tanh", rng=rng)
    report = check_network(net, SquaredError(), X, rng.standard_normal((5, 2)))
    assert report
    assert [c.name for c in report.checks] == ["x", *net.params]


class NoParamsLayer:
    """A correct layer written as a student would, no base class: x ↦ x² componentwise."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dz):
        return 2 * self.x * dz


def test_check_layer_on_a_students_own_parameter_free_layer():
    report = check_layer(NoParamsLayer(), X)
    assert report and [c.name for c in report.checks] == ["x"]
