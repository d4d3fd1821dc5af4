"""mlp.sgd: the heavy ball's factor per step on the regression cost, against notebook 04's ρ(τ) and against
the iteration itself run in float64 (an independent oracle)."""
import numpy as np
import pytest

from mlp import convergence, regression, sgd


def features(seed, n=40, d=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d)


@pytest.mark.parametrize("seed", range(5))
def test_without_momentum_it_is_notebook_04s_factor(seed):
    X = features(seed)
    tau = 1.5 / convergence.lambda_max(X)
    assert sgd.heavy_ball_factor(X, tau, 0.0) == pytest.approx(convergence.contraction_factor(X, tau), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_the_factor_is_the_rate_of_the_iteration(seed):
    """Run θ(k+1) = θ(k) − τ∇E + β(θ(k) − θ(k−1)) on E = ||Aθ − y||² and measure how fast ‖θ(k) − θ̂‖ shrinks."""
    X = features(seed)
    rng = np.random.default_rng(seed + 100)
    y = rng.standard_normal(len(X))
    theta_hat = regression.fit_least_squares(X, y)
    tau, beta = 0.1 / convergence.lambda_max(X), 0.3
    previous = theta = rng.standard_normal(X.shape[1] + 1)
    distances = []
    for _ in range(400):
        theta, previous = theta - tau * regression.gradient(X, y, theta) + beta * (theta - previous), theta
        distances.append(np.linalg.norm(theta - theta_hat))
    assert distances[-1] > 1e-8 * distances[0]        # still far above rounding
    measured = (distances[399] / distances[199]) ** (1 / 200)
    assert measured == pytest.approx(sgd.heavy_ball_factor(X, tau, beta), rel=2e-2)


@pytest.mark.parametrize("seed", range(5))
def test_polyaks_choice_gives_root_kappa_and_nothing_near_it_does_better(seed):
    X = features(seed)
    tau, beta = sgd.best_heavy_ball(X)
    kappa = convergence.condition_number(X)
    best = sgd.heavy_ball_factor(X, tau, beta)
    assert best == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1), rel=1e-6)
    assert best == pytest.approx(np.sqrt(beta), rel=1e-6)
    assert best < convergence.contraction_factor(X, 2 / (convergence.lambda_max(X) + 1 / kappa * convergence.lambda_max(X)))
    for t in tau * np.array([0.8, 0.9, 1.1, 1.2]):
        for b in (beta * 0.8, beta, min(beta * 1.2, 0.99)):
            assert sgd.heavy_ball_factor(X, t, b) >= best - 1e-9


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5, "0.5", True, np.array([0.1, 0.2])])
def test_a_bad_momentum_is_named(momentum):
    with pytest.raises(ValueError, match="momentum β must be a number in \\[0, 1\\)"):
        sgd.heavy_ball_factor(features(0), 1e-3, momentum)


def test_a_singular_problem_has_no_best_heavy_ball():
    X = np.ones((10, 1))          # the feature is a copy of the bias column: AᵀA is singular
    with pytest.raises(ValueError, match="singular"):
        sgd.best_heavy_ball(X)
