"""Gradient descent: the update rule, train's history, convergence on a convex quadratic, divergence, progress."""
import re
import warnings

import numpy as np
import pytest

from mlp.data import load_wine_quality, standardize
from mlp.layers import Linear
from mlp.regression import fit_least_squares
from mlp.losses import SquaredError
from mlp.network import fully_connected
from mlp.optim import Descent, DivergenceError, GradientDescent, History, train


@pytest.fixture(scope="module")
def wine():
    """Standardised wine features X (1599, 11), quality y (1599, 1), and L, the largest eigenvalue of ∇²E = 2AᵀA."""
    data = load_wine_quality()
    X, _, _ = standardize(data.X)
    A = np.column_stack([X, np.ones(len(X))])
    L = float(np.linalg.eigvalsh(2 * A.T @ A)[-1])
    return X, data.y.reshape(-1, 1), L


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    net = fully_connected([3, 4, 1], activation="tanh", rng=rng)
    return net, rng.standard_normal((8, 3)), rng.standard_normal((8, 1))


# --- one step ---------------------------------------------------------------------------------------

def test_one_step_is_theta_minus_tau_times_the_gradient_exactly():
    net, X, y = small_problem()
    loss = SquaredError()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    before = {k: v.copy() for k, v in net.params.items()}
    grads = {k: v.copy() for k, v in net.grads.items()}
    tau = 0.037
    GradientDescent(tau).step(net)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k] - tau * grads[k])
        assert net.params[k] is net.layers[int(k.split(".")[0])].params[k.split(".")[1]]


def test_step_works_on_a_single_layer():
    layer = Linear(2, 1, rng=0)
    layer.forward(np.array([[1.0, 2.0]]))
    layer.backward(np.array([[1.0]]))
    w = layer.params["weight"].copy()
    GradientDescent(0.5).step(layer)
    np.testing.assert_array_equal(layer.params["weight"], w - 0.5 * np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(layer.params["bias"], [-0.5])


def test_step_size_is_kept_as_a_float():
    assert GradientDescent(1).step_size == 1.0
    assert repr(GradientDescent(0.01)) == "GradientDescent(step_size=0.01)"


# --- train's history --------------------------------------------------------------------------------

def test_history_holds_the_cost_of_every_iterate():
    net, X, y = small_problem(1)
    twin, _, _ = small_problem(1)
    history = train(net, SquaredError(), X, y, step_size=0.01, num_steps=25, progress=False)
    assert isinstance(history, History) and history.steps == 25 and not history.converged
    assert history.costs.shape == history.grad_norms.shape == (26,)
    # the same iteration written out by hand on an identical network
    loss, optimizer = SquaredError(), GradientDescent(0.01)
    costs, norms = [], []
    for k in range(26):
        costs.append(loss.forward(twin.forward(X), y))
        twin.backward(loss.backward())
        norms.append(np.sqrt(sum(np.sum(g**2) for g in twin.grads.values())))
        if k < 25:
            optimizer.step(twin)
    np.testing.assert_allclose(history.costs, costs, rtol=1e-12)
    np.testing.assert_allclose(history.grad_norms, norms, rtol=1e-12)
    # train leaves the model at θ(25): its cost there is the last entry
    assert SquaredError().forward(net.forward(X), y) == pytest.approx(history.costs[-1], rel=1e-12)


def test_zero_steps_only_evaluates_the_start():
    net, X, y = small_problem(2)
    before = {k: v.copy() for k, v in net.params.items()}
    history = train(net, SquaredError(), X, y, step_size=0.1, num_steps=0, progress=False)
    assert history.steps == 0
    assert history.costs[0] == pytest.approx(SquaredError().forward(net.forward(X), y), rel=1e-15)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


# --- the convex quadratic: a linear network on the wine data -------------------------------------

@pytest.mark.parametrize("fraction", [0.5, 1.0, 1.9])
def test_cost_decreases_at_every_step_for_step_sizes_below_two_over_L(wine, fraction):
    X, y, L = wine
    history = train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=fraction / L, num_steps=300, progress=False)
    assert np.all(np.diff(history.costs) < 0)


def test_gradient_descent_converges_to_the_least_squares_solution(wine):
    X, y, L = wine
    theta_hat = fit_least_squares(X, y.ravel())
    net = fully_connected([11, 1], rng=0)
    history = train(net, SquaredError(), X, y, step_size=1.0 / L, num_steps=2000, progress=False)
    np.testing.assert_allclose(net.layers[0].params["weight"].ravel(), theta_hat[:-1], atol=1e-8)
    np.testing.assert_allclose(net.layers[0].params["bias"], theta_hat[-1:], atol=1e-8)
    A = np.column_stack([X, np.ones(len(X))])
    assert history.costs[-1] == pytest.approx(float(np.sum((A @ theta_hat - y.ravel()) ** 2)), rel=1e-12)


def test_grad_tol_stops_early_and_says_so(wine):
    X, y, L = wine
    history = train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=1.0 / L, num_steps=5000,
                    grad_tol=1e-3, progress=False)
    assert history.converged
    assert history.steps < 5000
    assert history.grad_norms[-1] <= 1e-3
    assert np.all(history.grad_norms[:-1] > 1e-3)
    assert "stopped at the gradient tolerance" in repr(history)


def test_without_reaching_grad_tol_converged_is_false(wine):
    X, y, L = wine
    history = train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=1.0 / L, num_steps=3,
                    grad_tol=1e-12, progress=False)
    assert not history.converged and history.steps == 3


# --- divergence -----------------------------------------------------------------------------------

@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fraction", [2.2, 50.0, 1e6])
def test_step_size_above_two_over_L_raises_a_clear_divergence_error(wine, fraction):
    X, y, L = wine
    tau = fraction / L
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")  # no NaN or overflow warning may leak out of train
        with pytest.raises(DivergenceError) as info:
            train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=tau, num_steps=10_000, progress=False)
    message = str(info.value)
    step = int(re.search(r"at step (\d+)", message).group(1))
    assert 0 < step < 10_000
    assert re.search(r"E = [0-9.e+]+", message)
    assert "step size" in message
    assert f"{tau:g}" in message


def test_the_divergence_error_reports_the_cost_where_it_stopped(wine):
    X, y, L = wine
    with pytest.raises(DivergenceError) as info:
        train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=3.0 / L, num_steps=10_000, progress=False)
    message = str(info.value)
    step = int(re.search(r"at step (\d+)", message).group(1))
    reported = float(re.search(r"\(E = ([0-9.e+-]+)", message).group(1))
    # redo the first `step` steps by hand: the cost there is the reported one (to the 3 digits printed)
    net, loss, optimizer = Linear(11, 1, rng=0), SquaredError(), GradientDescent(3.0 / L)
    first = loss.forward(net.forward(X), y)
    for _ in range(step):
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        optimizer.step(net)
    assert loss.forward(net.forward(X), y) == pytest.approx(reported, rel=5e-3)
    assert reported > 1e8 * first


def test_divergence_error_is_an_arithmetic_error():
    assert issubclass(DivergenceError, ArithmeticError)


# --- progress -------------------------------------------------------------------------------------

def test_progress_every_n_steps_prints_deterministic_lines(capsys):
    net, X, y = small_problem(3)
    history = train(net, SquaredError(), X, y, step_size=0.01, num_steps=10, progress=5)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 3
    for line, k in zip(lines, (0, 5, 10)):
        assert re.match(rf"step +{k}/10 ", line), line
        printed = float(re.search(r"E = (\S+)", line).group(1))
        assert printed == pytest.approx(history.costs[k], rel=1e-5)
    net2, _, _ = small_problem(3)
    train(net2, SquaredError(), X, y, step_size=0.01, num_steps=10, progress=5)
    assert capsys.readouterr().out == out


def test_progress_false_prints_nothing(capsys):
    net, X, y = small_problem(4)
    train(net, SquaredError(), X, y, step_size=0.01, num_steps=50, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_auto_is_silent_for_a_short_run(capsys):
    net, X, y = small_problem(5)
    train(net, SquaredError(), X, y, step_size=0.01, num_steps=5)
    assert capsys.readouterr().out == ""


def test_the_progress_names_the_gradient_of_the_cost_it_prints(capsys):
    from mlp.network import fully_connected
    X, y = np.ones((4, 2)), np.zeros((4, 1))
    history = train(fully_connected([2, 1], rng=0), SquaredError("mean"), X, y, 0.1, 1, progress=1)
    lines = capsys.readouterr().out.splitlines()
    assert all("E/N = " in line and "‖∇(E/N)‖ = " in line for line in lines) and len(lines) == 2
    assert "‖∇(E/N)‖:" in repr(history)


# --- Descent: the state of gradient descent, one step at a time -------------------------------------

def test_descent_steps_are_train_bit_for_bit_and_keep_the_model_at_theta_k():
    net, X, y = small_problem(6)
    twin, _, _ = small_problem(6)
    history = train(net, SquaredError("mean"), X, y, step_size=0.05, num_steps=30, progress=False)
    descent = Descent(twin, SquaredError("mean"), X, y, step_size=0.05)
    assert descent.k == 0 and descent.costs.shape == (1,)
    for k in range(1, 31):
        descent.step()
        assert descent.k == k and descent.cost() == descent.costs[k]
        assert descent.cost() == SquaredError("mean").forward(twin.forward(X), y)
    np.testing.assert_array_equal(descent.costs, history.costs)
    np.testing.assert_array_equal(descent.grad_norms, history.grad_norms)
    for name in net.params:
        np.testing.assert_array_equal(twin.params[name], net.params[name])


def test_the_step_size_can_change_between_steps_and_is_checked():
    net, X, y = small_problem(7)
    descent = Descent(net, SquaredError(), X, y, step_size=0.01)
    descent.step_size = 0.02
    assert descent.optimizer.step_size == 0.02
    with pytest.raises(ValueError, match="step_size τ must be a positive number"):
        descent.step_size = -1


def minibatch_by_hand(seed, X, y, tau, B, steps, momentum=0.0):
    """Minibatch SGD written out: one permutation per epoch from the seed, slices of B, the last one smaller."""
    net, _, _ = small_problem(seed)
    rng, loss = np.random.default_rng(123), SquaredError("mean")
    velocity = {k: np.zeros_like(v) for k, v in net.params.items()}
    batches, costs = [], []
    for k in range(steps + 1):
        i = k % int(np.ceil(len(X) / B))
        if i == 0:
            order = rng.permutation(len(X))
        batch = order[i * B:(i + 1) * B]
        batches.append(batch)
        costs.append(loss.forward(net.forward(X[batch]), y[batch]))
        net.backward(loss.backward())
        if k < steps:
            for name, theta in net.params.items():
                velocity[name] = momentum * velocity[name] - tau * net.grads[name]
                theta += velocity[name]
    return net, batches, costs


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_minibatches_shuffle_once_per_epoch_keep_the_last_smaller_batch_and_follow_the_update_by_hand(momentum):
    _, X, y = small_problem(8)  # N = 8 samples, batches of 3: sizes 3, 3, 2 in every epoch
    net, _, _ = small_problem(8)
    descent = Descent(net, SquaredError("mean"), X, y, step_size=0.05, batch_size=3, momentum=momentum, rng=123)
    seen = [descent.batch.copy()]
    for _ in range(9):
        descent.step()
        seen.append(descent.batch.copy())
    assert descent.steps_per_epoch == 3 and descent.epoch == 3
    assert [len(b) for b in seen] == [3, 3, 2] * 3 + [3]
    for epoch in range(3):
        assert sorted(np.concatenate(seen[3 * epoch:3 * epoch + 3])) == list(range(8))
    assert not all(np.array_equal(np.concatenate(seen[0:3]), np.concatenate(seen[3 * e:3 * e + 3])) for e in (1, 2))
    reference, batches, costs = minibatch_by_hand(8, X, y, 0.05, 3, 9, momentum)
    for a, b in zip(seen, batches):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(descent.costs, costs, rtol=1e-12)
    for name in net.params:
        np.testing.assert_allclose(net.params[name], reference.params[name], rtol=1e-12)


def test_train_with_minibatches_is_seeded():
    runs = []
    for _ in range(2):
        net, X, y = small_problem(9)
        runs.append(train(net, SquaredError("mean"), X, y, 0.05, 20, progress=False, batch_size=2, rng=5).costs)
    np.testing.assert_array_equal(runs[0], runs[1])
    net, X, y = small_problem(9)
    other = train(net, SquaredError("mean"), X, y, 0.05, 20, progress=False, batch_size=2, rng=6).costs
    assert not np.array_equal(runs[0], other)


def test_momentum_zero_is_plain_gradient_descent_and_heavy_ball_matches_the_formula():
    net, X, y = small_problem(10)
    loss = SquaredError()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    theta0 = {k: v.copy() for k, v in net.params.items()}
    g0 = {k: v.copy() for k, v in net.grads.items()}
    optimizer = GradientDescent(0.01, momentum=0.5)
    optimizer.step(net)
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    theta1 = {k: v.copy() for k, v in net.params.items()}
    optimizer.step(net)
    for k in theta0:
        v1 = -0.01 * g0[k]
        np.testing.assert_allclose(theta1[k], theta0[k] + v1, rtol=1e-14)
        np.testing.assert_allclose(net.params[k], theta1[k] + 0.5 * v1 - 0.01 * net.grads[k], rtol=1e-14)
    assert repr(optimizer) == "GradientDescent(step_size=0.01, momentum=0.5)"


def test_momentum_speeds_up_an_ill_conditioned_regression(wine):
    X, y, L = wine
    tau = 0.5 / L
    plain = train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=tau, num_steps=300, progress=False)
    heavy = train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=tau, num_steps=300, progress=False, momentum=0.9)
    optimum = float(np.sum((np.column_stack([X, np.ones(len(X))]) @ fit_least_squares(X, y.ravel()) - y.ravel()) ** 2))
    assert heavy.costs[-1] - optimum < 0.1 * (plain.costs[-1] - optimum)


def test_minibatch_sgd_settles_near_the_least_squares_cost_and_nearer_for_a_smaller_step(wine):
    X, y, _ = wine
    optimum = float(np.mean((np.column_stack([X, np.ones(len(X))]) @ fit_least_squares(X, y.ravel()) - y.ravel()) ** 2))
    gaps = []
    for tau in (0.05, 0.005):
        net = Linear(11, 1, rng=0)
        train(net, SquaredError("mean"), X, y, tau, 4000, progress=False, batch_size=16, rng=0)
        gaps.append(SquaredError("mean").forward(net.forward(X), y) - optimum)
    assert 0 < 3 * gaps[1] < gaps[0] < 0.1 * optimum  # a neighbourhood of the optimum that shrinks with τ


@pytest.mark.parametrize("kwargs, error, message", [
    ({"momentum": 1.0}, ValueError, r"momentum μ must be a number with 0 <= μ < 1"),
    ({"momentum": -0.1}, ValueError, r"momentum μ must be a number with 0 <= μ < 1"),
    ({"batch_size": 0}, ValueError, r"batch_size must be at least 1"),
    ({"batch_size": 2.5}, TypeError, r"batch_size must be a whole number"),
    ({"grad_tol": 1e-3, "batch_size": 4}, ValueError, r"grad_tol needs the full gradient"),
])
def test_bad_variant_arguments_are_named(kwargs, error, message):
    net, X, y = small_problem(11)
    with pytest.raises(error, match=message):
        train(net, SquaredError(), X, y, 0.01, 5, progress=False, **kwargs)


def test_descent_names_the_iterate_whose_cost_blew_up_with_trains_message(wine):
    X, y, L = wine
    with pytest.raises(DivergenceError) as from_train:
        train(Linear(11, 1, rng=0), SquaredError(), X, y, step_size=3.0 / L, num_steps=10_000, progress=False)
    net = Linear(11, 1, rng=0)
    descent = Descent(net, SquaredError(), X, y, step_size=3.0 / L)
    with pytest.raises(DivergenceError) as from_descent:
        while True:
            descent.step()
    assert str(from_descent.value) == str(from_train.value)
    assert f"at step {descent.k} " in str(from_descent.value)
    # the model holds θ(k), whose cost is the one reported; costs stop at E(θ(k − 1))
    reported = float(re.search(r"\(E = ([0-9.e+-]+)", str(from_descent.value)).group(1))
    assert SquaredError().forward(net.forward(X), y) == pytest.approx(reported, rel=5e-3)
    assert len(descent.costs) == descent.k and descent.error is from_descent.value
    with pytest.raises(DivergenceError):
        descent.step()
