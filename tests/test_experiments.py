"""mlp.experiments: training in chunks gives mlp.train's trajectory, costs are mean squared errors,
divergence is reported, not raised, and bad input is refused with a clear message."""
import re

import numpy as np
import pytest

import mlp
from mlp import experiments


@pytest.fixture(scope="module")
def split():
    """Small seeded regression data: 60 training and 20 test samples with 3 features, y (N, 1)."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((80, 3))
    y = (np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3] + 0.1 * rng.standard_normal((80, 1)))
    return (X[:60], y[:60]), (X[60:], y[60:])


def trained(sizes, activation, tau, steps, X, y, rng=0):
    """The oracle: the same seeded network trained by mlp.train in one go."""
    net = mlp.fully_connected(sizes, activation, rng=rng)
    history = mlp.train(net, mlp.SquaredError("mean"), X, y, tau, steps, progress=False)
    return net, history


@pytest.mark.parametrize("every", [None, 1, 7, 10, 25])
def test_run_follows_the_trajectory_of_mlp_train(split, every):
    (X, y), test = split
    run = experiments.run([3, 8, 1], "tanh", 0.05, 25, train=(X, y), test=test, rng=4, every=every)
    net, history = trained([3, 8, 1], "tanh", 0.05, 25, X, y, rng=4)
    np.testing.assert_allclose(run.train_costs, history.costs, rtol=1e-12)
    for name, theta in net.params.items():
        np.testing.assert_allclose(run.model.params[name], theta, rtol=1e-12)
    assert run.train_cost == pytest.approx(history.costs[-1], rel=1e-12)


def test_test_costs_are_mean_squared_errors_at_the_recorded_steps(split):
    (X, y), (X_test, y_test) = split
    run = experiments.run([3, 6, 6, 1], "relu", 0.02, 12, train=(X, y), test=(X_test, y_test), every=4)
    assert run.held_out_steps.tolist() == [0, 4, 8, 12]
    for k, cost in zip(run.held_out_steps, run.held_out_costs):
        net, _ = trained([3, 6, 6, 1], "relu", 0.02, int(k), X, y) if k else (mlp.fully_connected([3, 6, 6, 1], rng=0), None)
        residual = net(X_test) - y_test
        assert cost == pytest.approx(np.mean(residual ** 2), rel=1e-10)
    assert run.test_cost == run.held_out_costs[-1]


def test_run_describes_itself(split):
    train, test = split
    run = experiments.run([3, 5, 1], "relu", 0.1, 3, train=train, test=test)
    assert run.name == "[3, 5, 1] relu"
    assert run.n_params == 3 * 5 + 5 + 5 + 1
    assert run.step_size == 0.1 and run.diverged is None
    assert run.predict(test[0]).shape == (20,)


def test_progress_prints_training_and_test_cost_every_progress_steps(split, capsys):
    train, test = split
    run = experiments.run([3, 4, 1], "relu", 0.05, 20, train=train, test=test, every=5, progress=10)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["0/20", "10/20", "20/20"]
    assert f"{run.train_costs[10]:.4f}" in lines[1] and f"{run.held_out_costs[2]:.4f}" in lines[1]


def test_no_output_without_progress(split, capsys):
    train, test = split
    experiments.run([3, 4, 1], "relu", 0.05, 10, train=train, test=test, every=5)
    assert capsys.readouterr().out == ""


def test_divergence_is_reported_not_raised(split, capsys):
    train, test = split
    run = experiments.run([3, 16, 1], "relu", 50.0, 40, train=train, test=test, every=10, progress=10)
    assert run.diverged and "diverged at step 2 " in run.diverged and "too large" in run.diverged
    assert np.isnan(run.train_cost) and np.isnan(run.test_cost)
    assert "diverged: τ = 50 is too large" in capsys.readouterr().out
    assert "diverged" in experiments.table([run])
    assert "diverged" in repr(run)


def test_a_slow_divergence_is_caught_at_the_same_step_as_by_one_call_of_mlp_train(split):
    (X, y), test = split
    A = mlp.regression.add_bias_column(X)
    L = np.linalg.eigvalsh(2 * A.T @ A / len(X)).max()   # E/N of a linear net grows ~1.2x per step at τ = 2.2/L
    tau = 2.2 / L
    with pytest.raises(mlp.DivergenceError, match=r"diverged at step (\d+)") as error:
        trained([3, 1], "relu", tau, 400, X, y)
    k = int(re.search(r"at step (\d+)", str(error.value)).group(1))
    run = experiments.run([3, 1], "relu", tau, 400, train=(X, y), test=test, every=10)
    assert f"diverged at step {k} " in run.diverged
    assert list(run.held_out_steps) == list(range(0, k, 10))  # measured every 10 steps until it blew up


def test_fit_linear_is_least_squares_measured_per_sample(split):
    (X, y), (X_test, y_test) = split
    run = experiments.fit_linear((X, y), (X_test, y_test))
    theta = mlp.regression.fit_least_squares(X, y[:, 0])
    np.testing.assert_allclose(run.model, theta)
    A, A_test = mlp.regression.add_bias_column(X), mlp.regression.add_bias_column(X_test)
    assert run.train_cost == pytest.approx(np.mean((A @ theta - y[:, 0]) ** 2), rel=1e-10)
    assert run.test_cost == pytest.approx(np.mean((A_test @ theta - y_test[:, 0]) ** 2), rel=1e-10)
    np.testing.assert_allclose(run.predict(X_test), A_test @ theta)
    assert run.step_size is None and run.n_params == 4


def test_a_linear_network_trained_long_approaches_least_squares(split):
    train, test = split
    linear = experiments.fit_linear(train, test)
    net = experiments.run([3, 1], "relu", 0.2, 300, train=train, test=test)
    assert net.train_cost == pytest.approx(linear.train_cost, rel=1e-6)
    assert net.test_cost == pytest.approx(linear.test_cost, rel=1e-4)


def test_table_has_one_aligned_row_per_run(split):
    train, test = split
    runs = [experiments.fit_linear(train, test), experiments.run([3, 4, 1], "tanh", 0.05, 5, train=train, test=test)]
    lines = experiments.table(runs).splitlines()
    assert len(lines) == 2 + len(runs)
    assert len({len(line) for line in lines}) == 1
    assert lines[2].startswith("linear regression") and lines[3].startswith("[3, 4, 1] tanh")
    assert f"{runs[1].test_cost:.4f}" in lines[3] and f"{runs[1].test_cost - runs[1].train_cost:+.4f}" in lines[3]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(every=4, progress=6), ValueError, "must be a multiple of every=4"),
    (dict(y_shape=(60,)), ValueError, "use y_train.reshape(-1, 1)"),
    (dict(sizes=[4, 5, 1]), ValueError, "start sizes with 3"),
    (dict(test_features=2), ValueError, "expected 3 input features"),
    (dict(train_as_X=True), TypeError, "must be a pair (X, y)"),
    (dict(num_steps=0), ValueError, "num_steps must be at least 1"),
])
def test_bad_input_is_refused_clearly(split, kwargs, error, message):
    (X, y), (X_test, y_test) = split
    if "y_shape" in kwargs:
        y = y.reshape(kwargs.pop("y_shape"))
    if "test_features" in kwargs:
        X_test = X_test[:, :kwargs.pop("test_features")]
    train = X if kwargs.pop("train_as_X", False) else (X, y)
    args = dict(sizes=[3, 5, 1], activation="relu", step_size=0.1, num_steps=8, train=train, test=(X_test, y_test)) | kwargs
    with pytest.raises(error) as raised:
        experiments.run(**args)
    assert message in str(raised.value)


# --- validation and test: choosing on one set, judging once on another -------------------------

def test_a_run_measured_on_the_validation_set_is_named_so_and_refuses_a_test_cost(split, capsys):
    train, validation = split
    run = experiments.run([3, 5, 1], "relu", 0.05, 10, train=train, validation=validation, every=5, progress=5)
    assert run.held_out == "validation" and run.validation_cost == run.held_out_costs[-1]
    assert "validation E/N" in capsys.readouterr().out and "validation" in repr(run)
    with pytest.raises(ValueError, match="measured on the validation set, not on the test set"):
        run.test_cost
    linear = experiments.fit_linear(train, validation=validation)
    assert linear.held_out == "validation" and "validation E/N" in experiments.table([linear, run])
    with pytest.raises(ValueError, match="use run.test_cost"):
        experiments.fit_linear(*split).validation_cost


@pytest.mark.parametrize("given", [{}, {"both": True}])
def test_exactly_one_held_out_set_is_taken(split, given):
    train, held = split
    kwargs = dict(test=held, validation=held) if given else {}
    with pytest.raises(TypeError, match="give exactly one held-out set"):
        experiments.run([3, 4, 1], "relu", 0.05, 5, train=train, **kwargs)
    with pytest.raises(TypeError, match="give exactly one held-out set"):
        experiments.fit_linear(train, **kwargs)


def test_cost_on_measures_the_trained_model_on_new_data(split):
    train, test = split
    run = experiments.run([3, 6, 1], "tanh", 0.05, 20, train=train, validation=test)
    assert run.cost_on(test) == pytest.approx(run.validation_cost, rel=1e-12)
    assert run.cost_on(train) == pytest.approx(run.train_cost, rel=1e-12)
    linear = experiments.fit_linear(train, validation=test)
    assert linear.cost_on(test) == pytest.approx(linear.validation_cost, rel=1e-12)
    diverged = experiments.run([3, 16, 1], "relu", 50.0, 40, train=train, validation=test)
    with pytest.raises(ValueError, match="diverged: there is no trained model"):
        diverged.cost_on(test)


def test_best_is_the_lowest_held_out_cost_among_runs_that_did_not_diverge(split):
    train, validation = split
    runs = [experiments.run([3, 8, 1], "relu", tau, 30, train=train, validation=validation) for tau in (0.01, 0.1, 50.0)]
    assert runs[2].diverged
    assert experiments.best(runs) is min(runs[:2], key=lambda r: r.validation_cost)
    with pytest.raises(ValueError, match="every run diverged"):
        experiments.best(runs[2:])
    with pytest.raises(ValueError, match="measured on different sets"):
        experiments.best([runs[0], experiments.fit_linear(train, test=validation)])
