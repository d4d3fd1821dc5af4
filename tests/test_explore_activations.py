"""Notebook 03's kinks and explorer: ReLU kinks where the formula puts them, compute() fast and right."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import mlp
from mlp.explore.activations import ActivationExplorer
from mlp.kinks import first_layer_kinks, fit_output_layer, is_piecewise_linear, slope_changes, spread_units


def one_hidden_relu(width, seed):
    net = mlp.fully_connected([1, width, 1], "relu", rng=seed)
    rng = np.random.default_rng(seed)
    net.layers[0].params["bias"][:] = rng.uniform(-2, 2, width)
    net.layers[2].params["weight"][:] = rng.choice([-1.0, 1.0], width) * rng.uniform(0.5, 2, width)
    return net


def test_kinks_of_a_hand_built_net():
    # N(x) = relu(2x − 1) − relu(−x − 1): kinks at x = 0.5 and x = −1
    net = mlp.fully_connected([1, 2, 1], "relu", rng=0)
    net.layers[0].params["weight"][:] = [[2.0], [-1.0]]
    net.layers[0].params["bias"][:] = [-1.0, -1.0]
    net.layers[2].params["weight"][:] = [[1.0, -1.0]]
    np.testing.assert_allclose(first_layer_kinks(net), [-1.0, 0.5])
    np.testing.assert_allclose(slope_changes(net, -3, 3, num=6001), [-1.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(first_layer_kinks(net, lo=0, hi=1), [0.5])


@pytest.mark.parametrize("seed", range(4))
def test_slope_changes_of_one_hidden_layer_are_the_first_layer_kinks(seed):
    net = one_hidden_relu(6, seed)
    expected = first_layer_kinks(net, -3, 3)
    found = slope_changes(net, -3, 3, num=60_001)
    assert len(found) == len(expected)
    np.testing.assert_allclose(found, expected, atol=2e-4)


def test_a_straight_line_has_no_kinks_and_deeper_nets_have_more():
    line = mlp.fully_connected([1, 4, 1], "identity", rng=0)
    assert slope_changes(line, -3, 3).size == 0
    deep = spread_units(mlp.fully_connected([1, 8, 8, 1], "relu", rng=0), -3, 3, rng=0)
    assert len(slope_changes(deep, -3, 3)) > len(first_layer_kinks(deep, -3, 3))


def test_piecewise_linear_activations_are_found_from_the_registry():
    assert {name for name in mlp.ACTIVATIONS if is_piecewise_linear(name)} == {"relu", "leaky_relu", "identity"}

    class Softplus(mlp.layers.ReLU):  # smooth: no kinks to count
        def _forward(self, x):
            return np.log1p(np.exp(x))

    assert not is_piecewise_linear(Softplus)


def test_spread_units_puts_every_switch_point_at_a_random_input_in_the_range():
    net = spread_units(mlp.fully_connected([1, 5, 5, 1], "tanh", rng=0), -3, 3, rng=1)
    kinks = first_layer_kinks(net)
    assert len(kinks) == 5 and np.all((kinks >= -3) & (kinks <= 3))
    # the second hidden layer's pre-activations cross zero inside the range as well
    x = np.linspace(-3, 3, 2001)[:, None]
    z = mlp.Sequential(net.layers[:3]).forward(x)
    assert np.all(np.any(np.diff(np.sign(z), axis=0) != 0, axis=0))


def test_fit_output_layer_solves_the_ridge_normal_equations_and_ridge_0_is_least_squares():
    x, y = mlp.data.make_regression_1d(50, noise=0.1, rng=0)
    for ridge in (0.0, 3e-3, 0.5):
        net = fit_output_layer(spread_units(mlp.fully_connected([1, 6, 1], "tanh", rng=0), -3, 3, rng=0), x, y, ridge)
        H = mlp.Sequential(net.layers[:2]).forward(x)
        A = np.hstack([H, np.ones((len(H), 1))])
        theta = np.append(net.layers[-1].params["weight"][0], net.layers[-1].params["bias"])
        penalty = ridge * np.append(((H - H.mean(axis=0)) ** 2).sum(axis=0), 0.0) * theta
        gradient = A.T @ (A @ theta - y[:, 0]) + penalty  # the minimum: Aᵀ(Aθ − y) + λDθ = 0
        assert np.abs(gradient).max() < 1e-9, ridge


def test_the_ridge_keeps_the_pieces_of_random_sigmoid_units_readable():
    # plain least squares makes sixteen random sigmoid units cancel in pieces of about 1e8
    x, y = mlp.data.make_regression_1d(80, noise=0.1, rng=0)
    pieces = {}
    for ridge in (0.0, 3e-3):
        rng = np.random.default_rng(0)
        net = spread_units(mlp.fully_connected([1, 16, 1], "sigmoid", rng=rng), -3, 3, rng)
        fit_output_layer(net, x, y, ridge)
        pieces[ridge] = np.abs(mlp.Sequential(net.layers[:2]).forward(x) * net.layers[-1].params["weight"][0]).max()
    assert pieces[0.0] > 1e6 and pieces[3e-3] < 20


def test_fit_output_layer_refuses_a_negative_ridge():
    with pytest.raises(ValueError, match="ridge must be a number ≥ 0"):
        fit_output_layer(mlp.fully_connected([1, 3, 1], rng=0), np.zeros((4, 1)), np.zeros((4, 1)), ridge=-1.0)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="one input"):
        first_layer_kinks(mlp.fully_connected([2, 3, 1], rng=0))
    with pytest.raises(ValueError, match="lo < hi"):
        slope_changes(mlp.fully_connected([1, 3, 1], rng=0), 1, -1)


@pytest.fixture(scope="module")
def explorer():
    return ActivationExplorer()


def test_compute_fits_better_than_a_line_and_reports_consistent_numbers(explorer):
    result = explorer.compute(activation="relu", width=16, layers=1, target="sine")
    assert result["cost"] < 0.2 * result["linear_cost"]
    assert result["n_params"] == mlp.fully_connected([1, 16, 1], rng=0).n_params
    assert result["pieces"].shape == (result["grid"].size, 16)
    model, grid = result["model"], result["grid"]
    np.testing.assert_allclose(model.forward(grid[:, None])[:, 0], result["f"], atol=1e-12)
    np.testing.assert_allclose(result["pieces"].sum(axis=1) + model.layers[-1].params["bias"][0], result["f"], atol=1e-12)
    expected = first_layer_kinks(model, -5, 5)  # one kink per unit, each inside the data's range [−3, 3]
    assert len(expected) == 16 and np.all(np.abs(expected) <= 3)
    np.testing.assert_allclose(result["kinks"], expected, atol=2e-3)
    x, y = mlp.data.make_regression_1d(80, noise=0.1, rng=0, kind="sine")
    np.testing.assert_array_equal(result["x"], x)
    line = mlp.regression.fit_least_squares(x, y[:, 0])
    assert result["linear_cost"] == pytest.approx(mlp.regression.cost(x, y[:, 0], line) / 80)


def test_compute_is_seeded_and_smooth_activations_have_no_kinks(explorer):
    a = explorer.compute(activation="tanh", width=8, layers=2, target="step")
    b = explorer.compute(activation="tanh", width=8, layers=2, target="step")
    np.testing.assert_array_equal(a["f"], b["f"])
    assert a["kinks"] is None


def test_wider_relu_nets_fit_the_sine_better(explorer):
    costs = [explorer.compute(activation="relu", width=w, layers=1)["cost"] for w in (1, 4, 32)]
    assert costs[0] > costs[1] > costs[2]


def test_compute_rejects_an_unknown_width(explorer):
    with pytest.raises(ValueError, match="width must be one of"):
        explorer.compute(width=5)


def test_moving_a_control_updates_the_status_line(explorer):
    explorer.controls["width"].value = 2
    assert "of 2 units" in explorer.status.value and "kinks" in explorer.status.value
    explorer.controls["activation"].value = "sigmoid"
    assert "<b>sigmoid</b>" in explorer.status.value and "kinks" not in explorer.status.value
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_activation_of_the_registry_is_offered():
    assert list(ActivationExplorer().controls["activation"].options) == list(mlp.ACTIVATIONS)


def test_every_control_changes_the_picture():
    explorer = ActivationExplorer()
    for name, value in [("activation", "tanh"), ("width", 4), ("layers", 2), ("target", "abs"),
                        ("fit", "gradient descent")]:
        before = explorer.view.rgb().copy()
        explorer.controls[name].value = value
        assert (explorer.view.rgb() != before).any(), f"moving {name} changed nothing in the picture"


def test_the_picture_says_how_the_network_was_fitted_and_labels_in_mathtext():
    from matplotlib.text import Text
    explorer = ActivationExplorer()
    texts = [t.get_text() for t in explorer.view.figure.findobj(Text)]
    assert any("not trained" in t and "least squares" in t for t in texts)
    assert "$\\theta^L_{w,j}\\, h_j(x)$ (dimensionless)" in texts
    assert "least squares" in explorer.status.value


def test_gradient_descent_trains_every_layer_as_mlp_train_does():
    explorer = ActivationExplorer()
    result = explorer.compute(activation="relu", width=8, layers=2, target="sine", fit="gradient descent", steps=300)
    model, x, y = explorer._start("relu", 8, 2, "sine", "gradient descent")
    history = mlp.train(model, mlp.SquaredError("mean"), x, y, explorer.step_size, 300, progress=False)
    for name, theta in model.params.items():
        np.testing.assert_array_equal(result["model"].params[name], theta)
    assert result["k"] == 300 and result["cost"] == pytest.approx(history.costs[-1], rel=1e-12)
    trained = explorer.compute(activation="relu", width=8, layers=2, target="sine", fit="gradient descent")
    assert trained["k"] == explorer.steps and trained["cost"] < 0.1 * trained["linear_cost"]


def test_gradient_descent_in_the_explorer_ends_at_the_same_network_as_compute():
    # without a running event loop (plain Python: a thread of its own, as the browser tests' Playwright keeps
    # one running in the main thread) the explorer trains at once instead of live
    with ThreadPoolExecutor(1) as pool:
        explorer = pool.submit(lambda: ActivationExplorer(width=4, fit="gradient descent")).result()
    assert explorer.result["k"] == explorer.steps
    direct = explorer.compute(activation="relu", width=4, layers=1, target="sine", fit="gradient descent")
    np.testing.assert_array_equal(explorer.result["f"], direct["f"])
    assert "gradient descent step k = 3,000 of 3,000" in explorer.status.value


def test_a_diverging_run_shows_mlps_message():
    explorer = ActivationExplorer()
    explorer.step_size = 1.0
    result = explorer.compute(activation="identity", width=32, layers=3, fit="gradient descent")
    assert result["error"].startswith("gradient descent diverged at step")
    assert "DivergenceError" in explorer.summary(result)
