"""Linear regression N(x; θ) = (x, 1)ᵀ θ: least squares, cost, gradient and Hessian."""
import numpy as np
import pytest

from mlp import regression
from mlp.data import load_wine_quality


@pytest.fixture(scope="module")
def wine():
    data = load_wine_quality()
    return data.X, data.y


def random_problem(n=30, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + 0.5 + 0.1 * rng.standard_normal(n), rng.standard_normal(d + 1)


def design(X):
    """[X, 1] written out independently of mlp."""
    return np.column_stack([X, np.ones(len(X))])


def test_add_bias_column_puts_ones_last():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(regression.add_bias_column(X), [[1.0, 2.0, 1.0], [3.0, 4.0, 1.0]])


def test_predict_and_cost_follow_the_formulas():
    X, y, theta = random_problem()
    prediction = np.array([x @ theta[:-1] + theta[-1] for x in X])
    np.testing.assert_allclose(regression.predict(X, theta), prediction, rtol=1e-13)
    assert regression.cost(X, y, theta) == pytest.approx(np.sum((prediction - y) ** 2), rel=1e-13)


def test_fit_on_the_wine_data_solves_the_normal_equations(wine):
    X, y = wine
    A = design(X)
    theta_normal = np.linalg.solve(A.T @ A, A.T @ y)
    theta = regression.fit_least_squares(X, y)
    assert theta.shape == (12,)
    np.testing.assert_allclose(theta, theta_normal, rtol=1e-6)


def test_fit_recovers_an_exact_linear_relation():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 3))
    theta_true = np.array([1.5, -2.0, 0.25, 3.0])
    theta = regression.fit_least_squares(X, design(X) @ theta_true)
    np.testing.assert_allclose(theta, theta_true, rtol=1e-12)


def test_gradient_vanishes_at_the_least_squares_solution(wine):
    X, y = wine
    theta = regression.fit_least_squares(X, y)
    g_hat = regression.gradient(X, y, theta)
    g_zero = regression.gradient(X, y, np.zeros(12))
    assert np.linalg.norm(g_hat) < 1e-8 * np.linalg.norm(g_zero)
    # and every other θ nearby costs more
    rng = np.random.default_rng(2)
    for _ in range(5):
        assert regression.cost(X, y, theta + 1e-3 * rng.standard_normal(12)) > regression.cost(X, y, theta)


def test_gradient_agrees_with_finite_differences():
    X, y, theta = random_problem(seed=3)
    analytic = regression.gradient(X, y, theta)
    h = 1e-6
    numeric = np.array([(regression.cost(X, y, theta + h * e) - regression.cost(X, y, theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7)
    np.testing.assert_allclose(analytic, 2 * design(X).T @ (design(X) @ theta - y), rtol=1e-12)


def test_hessian_is_two_a_transpose_a():
    X, y, theta = random_problem(seed=4)
    A = design(X)
    H = regression.hessian(X)
    np.testing.assert_allclose(H, 2 * A.T @ A, rtol=1e-13)
    # the gradient is affine in θ with slope H: ∇E(θ + v) − ∇E(θ) = H v for any v
    v = np.random.default_rng(5).standard_normal(len(theta))
    np.testing.assert_allclose(regression.gradient(X, y, theta + v) - regression.gradient(X, y, theta), H @ v, rtol=1e-10)


def test_too_few_samples_to_fit():
    with pytest.raises(ValueError, match="at least 4 samples"):
        regression.fit_least_squares(np.ones((2, 3)), np.ones(2))
