"""mlp.convergence: the curvature of the linear-regression cost and gradient descent on it."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlp
from mlp import convergence, regression


def problem(seed, n=30, d=3, scales=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * (1.0 if scales is None else np.asarray(scales)) + rng.uniform(-2, 2, d)
    return X, rng.standard_normal(n)


# --- curvature ----------------------------------------------------------------------------------

def test_smoothness_is_twice_the_largest_squared_singular_value_of_A():
    X, _ = problem(0)
    A = np.hstack([X, np.ones((len(X), 1))])
    assert convergence.lambda_max(X) == pytest.approx(2 * np.linalg.svd(A, compute_uv=False)[0] ** 2, rel=1e-12)


def test_one_standardised_feature_has_lambda_max_equal_2N_and_condition_number_one():
    x = np.random.default_rng(1).standard_normal((50, 1))
    x = (x - x.mean()) / x.std()  # then AᵀA = diag(Σx², N) = N I
    assert convergence.lambda_max(x) == pytest.approx(100.0, rel=1e-12)
    assert convergence.condition_number(x) == pytest.approx(1.0, rel=1e-12)
    assert convergence.stable_step_bound(x) == pytest.approx(0.02, rel=1e-12)


def test_hessian_eigenvalues_are_increasing_and_reassemble_the_trace():
    X, _ = problem(2)
    eigenvalues = convergence.hessian_eigenvalues(X)
    A = np.hstack([X, np.ones((len(X), 1))])
    assert np.all(np.diff(eigenvalues) >= 0)
    assert eigenvalues.sum() == pytest.approx(2 * np.sum(A * A), rel=1e-12)


def test_condition_number_is_infinite_for_a_repeated_feature():
    X, _ = problem(3, d=1)
    assert convergence.condition_number(np.hstack([X, X])) > 1e12


def test_scaling_one_feature_up_raises_lambda_max_and_the_condition_number():
    X, _ = problem(4)
    scaled = X * np.array([1.0, 1.0, 100.0])
    assert convergence.lambda_max(scaled) > 1000 * convergence.lambda_max(X)
    assert convergence.condition_number(scaled) > 100 * convergence.condition_number(X)


# --- gradient descent ---------------------------------------------------------------------------

def test_one_step_matches_the_hand_computed_update():
    # A = [[1, 1], [2, 1]], y = (1, 2), θ(0) = 0: ∇E(0) = −2 Aᵀ y = −2 (5, 3), so θ(1) = τ (10, 6)
    trajectory = convergence.regression_trajectory(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), 0.01, 1)
    np.testing.assert_allclose(trajectory, [[0, 0], [0.1, 0.06]], rtol=1e-12)


def test_trajectory_starts_at_theta0_and_has_one_row_per_iterate():
    X, y = problem(5)
    theta0 = np.arange(4.0)
    trajectory = convergence.regression_trajectory(X, y, 1e-3, 7, theta0)
    assert trajectory.shape == (8, 4)
    np.testing.assert_array_equal(trajectory[0], theta0)
    assert np.array_equal(theta0, np.arange(4.0)), "theta0 must not be modified"


def test_distance_to_theta_hat_shrinks_at_least_like_1_minus_lambda_min_over_lambda_max_with_tau_one_over_lambda_max():
    X, y = problem(6)
    lam_min, lam_max = convergence.hessian_eigenvalues(X)[[0, -1]]
    distances = np.linalg.norm(convergence.regression_trajectory(X, y, 1 / lam_max, 200) - regression.fit_least_squares(X, y), axis=1)
    bound = (1 - lam_min / lam_max) ** np.arange(201) * distances[0]
    assert np.all(distances <= bound * (1 + 1e-9) + 1e-12)


def test_converges_to_the_least_squares_solution():
    X, y = problem(6)
    X = X - X.mean(axis=0)  # centred features: a well-conditioned Hessian
    trajectory = convergence.regression_trajectory(X, y, 1 / convergence.lambda_max(X), 500)
    np.testing.assert_allclose(trajectory[-1], regression.fit_least_squares(X, y), rtol=1e-10, atol=1e-12)


def test_same_costs_as_mlp_train_on_a_linear_layer():
    X, y = problem(7)
    tau = 0.5 / convergence.lambda_max(X)
    layer = mlp.Linear(3, 1, rng=0)
    layer.params["weight"][:] = 0.0
    history = mlp.train(layer, mlp.SquaredError("sum"), X, y.reshape(-1, 1), step_size=tau, num_steps=20, progress=False)
    costs = convergence.costs_along(X, y, convergence.regression_trajectory(X, y, tau, 20))
    np.testing.assert_allclose(costs, history.costs, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100.0), fraction=st.floats(0.05, 0.99))
def test_every_step_lowers_E_below_2_over_lambda_max(seed, scale, fraction):
    X, y = problem(seed, scales=[1.0, scale, 1.0])
    costs = convergence.costs_along(X, y, convergence.regression_trajectory(X, y, fraction * convergence.stable_step_bound(X), 30))
    assert np.all(np.diff(costs) <= 1e-9 * costs[0])


@pytest.mark.parametrize("fraction", [1.05, 1.5])
def test_above_2_over_lambda_max_the_cost_grows(fraction):
    X, y = problem(8)
    costs = convergence.costs_along(X, y, convergence.regression_trajectory(X, y, fraction * convergence.stable_step_bound(X), 300))
    assert costs[-1] > 1e3 * costs[0]


def test_above_2_over_lambda_max_mlp_train_reports_divergence():
    X, y = problem(9)
    layer = mlp.Linear(3, 1, rng=0)
    with pytest.raises(mlp.DivergenceError, match="too large"):
        mlp.train(layer, mlp.SquaredError(), X, y.reshape(-1, 1), step_size=1.1 * convergence.stable_step_bound(X),
                  num_steps=2000, progress=False)


def test_costs_along_matches_linear_cost_row_by_row():
    X, y = problem(10)
    thetas = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(convergence.costs_along(X, y, thetas), [regression.cost(X, y, t) for t in thetas], rtol=1e-12)


# --- the cost grid for contour plots --------------------------------------------------------------

def test_cost_grid_matches_linear_cost_with_rows_for_intercepts():
    x, y = problem(11, d=1)
    slopes, intercepts = np.linspace(-1, 2, 4), np.linspace(-3, 3, 5)
    grid = convergence.cost_grid(x, y, slopes, intercepts)
    assert grid.shape == (5, 4)
    for i, b in enumerate(intercepts):
        for j, s in enumerate(slopes):
            assert grid[i, j] == pytest.approx(regression.cost(x, y, np.array([s, b])), rel=1e-10)


# --- clear errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda X, y: convergence.regression_trajectory(X, y, -0.1, 5), ValueError, "step_size τ must be a positive number"),
    (lambda X, y: convergence.regression_trajectory(X, y, 0.1, 5, np.zeros(3)), ValueError, "theta must have shape \\(4,\\)"),
    (lambda X, y: convergence.regression_trajectory(X, y.reshape(-1, 1), 0.1, 5), ValueError, "y must have shape"),
    (lambda X, y: convergence.costs_along(X, y, np.zeros(4)), ValueError, "one θ\\(k\\) of 4 entries per row"),
    (lambda X, y: convergence.cost_grid(X, y, [0.0], [0.0]), ValueError, "x must have shape \\(N, 1\\)"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    X, y = problem(12)
    with pytest.raises(error, match=message):
        call(X, y)


# --- how fast: the factor per step and the steps needed ----------------------------------------------

def test_contraction_factor_is_the_norm_of_the_error_map():
    X, _ = problem(13, scales=[1.0, 3.0, 0.5])
    H = regression.hessian(X)
    for fraction in (0.2, 0.9, 0.99, 1.3):
        tau = fraction * convergence.stable_step_bound(X)
        assert convergence.contraction_factor(X, tau) == pytest.approx(np.linalg.norm(np.eye(4) - tau * H, 2), rel=1e-12)


def test_contraction_factor_bounds_every_step_and_is_attained_along_an_eigenvector():
    X, y = problem(14, scales=[1.0, 2.0, 0.5])
    theta_hat = regression.fit_least_squares(X, y)
    values, vectors = np.linalg.eigh(regression.hessian(X))
    for tau in (0.5 / values[-1], 1.9 / values[-1]):
        rho = convergence.contraction_factor(X, tau)
        starts = [theta_hat + v for v in np.random.default_rng(0).standard_normal((20, 4))]
        for start in starts:
            step = convergence.regression_trajectory(X, y, tau, 1, start)
            assert np.linalg.norm(step[1] - theta_hat) <= rho * np.linalg.norm(step[0] - theta_hat) * (1 + 1e-9)
        worst = vectors[:, 0] if abs(1 - tau * values[0]) >= abs(1 - tau * values[-1]) else vectors[:, -1]
        step = convergence.regression_trajectory(X, y, tau, 1, theta_hat + worst)
        assert np.linalg.norm(step[1] - theta_hat) == pytest.approx(rho, rel=1e-6)


def test_the_best_step_size_balances_the_flattest_and_the_steepest_direction():
    X, _ = problem(15, scales=[1.0, 3.0, 0.5])
    low, high = convergence.hessian_eigenvalues(X)[[0, -1]]
    best = 2 / (high + low)
    kappa = high / low
    assert convergence.contraction_factor(X, best) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-9)
    for tau in (0.9 * best, 1.1 * best):
        assert convergence.contraction_factor(X, tau) > convergence.contraction_factor(X, best)


def test_steps_needed_is_the_first_k_with_rho_to_the_k_below_shrink():
    X, _ = problem(16, scales=[1.0, 2.0, 0.5])
    tau = 1 / convergence.lambda_max(X)
    rho = convergence.contraction_factor(X, tau)
    for shrink in (0.5, 1e-3, 1e-8):
        k = convergence.steps_needed(X, tau, shrink)
        assert rho ** k <= shrink < rho ** (k - 1)


@pytest.mark.parametrize("tau_factor, shrink, message", [
    (1.0, 1.5, "shrink must lie strictly between 0 and 1"),
    (1.0, 0.0, "shrink must lie strictly between 0 and 1"),
    (2.5, 0.1, "does not shrink from every start"),
])
def test_steps_needed_refuses_what_has_no_answer(tau_factor, shrink, message):
    X, _ = problem(17)
    with pytest.raises(ValueError, match=message):
        convergence.steps_needed(X, tau_factor / convergence.lambda_max(X), shrink)


def test_framed_landscape_holds_the_points_theta0_and_theta_hat_away_from_the_edges():
    x, y = problem(18, d=1)
    points = np.array([[3.0, -1.0], [-2.0, 4.0]])
    land = convergence.framed_landscape(x, y, points, margin=0.2)
    width = land.slopes[-1] - land.slopes[0]
    assert land.intercepts[-1] - land.intercepts[0] == pytest.approx(width)  # square
    for point in [*points, land.theta0, land.theta_hat]:
        assert land.slopes[0] + 0.2 * width - 1e-9 <= point[0] <= land.slopes[-1] - 0.2 * width + 1e-9
        assert land.intercepts[0] + 0.2 * width - 1e-9 <= point[1] <= land.intercepts[-1] - 0.2 * width + 1e-9
    assert land.lambda_max == pytest.approx(convergence.lambda_max(x))
    np.testing.assert_allclose(land.costs, convergence.cost_grid(x, y, land.slopes, land.intercepts))
