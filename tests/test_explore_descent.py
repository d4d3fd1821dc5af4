"""The gradient-descent explorer: compute() without a browser, its speed, and its picture."""

import numpy as np
import pytest

from mlp import data, convergence, regression
from mlp.explore.descent import DescentExplorer, landscape


@pytest.fixture(scope="module")
def explorer():
    return DescentExplorer()


@pytest.fixture(scope="module")
def alcohol():
    wine = data.load_wine_quality()
    return wine.feature("alcohol").reshape(-1, 1), wine.y


def test_landscape_frames_theta0_and_theta_hat_on_a_square_grid(alcohol):
    x, y = alcohol
    land = landscape(x, y)
    np.testing.assert_allclose(land.theta_hat, regression.fit_least_squares(x, y))
    for theta in (land.theta0, land.theta_hat):
        assert land.slopes[0] < theta[0] < land.slopes[-1]
        assert land.intercepts[0] < theta[1] < land.intercepts[-1]
    assert np.ptp(land.slopes) == pytest.approx(np.ptp(land.intercepts))
    assert land.costs.min() >= land.cost_hat - 1e-9 * land.cost_hat


def test_compute_runs_gradient_descent_with_tau_in_units_of_one_over_lambda_max(explorer, alcohol):
    x, y = alcohol
    result = explorer.compute(tau_times_lambda=0.5, num_steps=10, features="raw")
    lambda_max = convergence.lambda_max(x)
    assert result["tau"] == pytest.approx(0.5 / lambda_max)
    np.testing.assert_allclose(result["trajectory"], convergence.regression_trajectory(x, y, 0.5 / lambda_max, 10), rtol=1e-12)
    assert result["excess"].shape == (11,)
    assert result["monotone"]


def test_standardised_alcohol_reaches_theta_hat_in_one_step_at_tau_one_over_lambda_max(explorer):
    result = explorer.compute(tau_times_lambda=1.0, num_steps=3, features="standardised")
    assert result["distances"][1] < 1e-9 * result["distances"][0]


def test_raw_alcohol_crawls_along_the_valley(explorer):
    result = explorer.compute(tau_times_lambda=1.0, num_steps=100, features="raw")
    assert result["distances"][-1] > 0.9 * result["distances"][0]


def test_above_2_over_lambda_max_the_cost_grows_and_the_summary_says_so(explorer):
    result = explorer.compute(tau_times_lambda=2.2, num_steps=60, features="standardised")
    assert result["excess"][-1] > 100 * result["excess"][0]
    assert not result["monotone"]
    assert "diverges" in explorer.summary(result)


def test_below_2_over_lambda_max_every_step_lowers_E_even_while_the_path_zigzags(explorer):
    result = explorer.compute(tau_times_lambda=1.9, num_steps=40, features="raw")
    slope_moves = np.diff(result["trajectory"][:, 0])
    assert np.all(slope_moves[:-1] * slope_moves[1:] < 0), "the slope should swing back and forth"
    assert result["monotone"] and "every step lowered E" in explorer.summary(result)


def test_unknown_features_are_named(explorer):
    with pytest.raises(ValueError, match="'raw' or 'standardised'"):
        explorer.compute(tau_times_lambda=1.0, num_steps=3, features="scaled")


def test_moving_a_slider_updates_the_figure_and_status(explorer):
    before = explorer.image.value
    explorer.controls["num_steps"].value = 5
    assert explorer.image.value != before and bytes(explorer.image.value).startswith(b"\x89PNG")
    assert "after 5 steps" in explorer.status.value
    assert "interactive" in explorer._repr_mimebundle_()["text/plain"]


def test_every_control_changes_the_picture():
    explorer = DescentExplorer(tau_times_lambda=1.0, num_steps=30, features="raw")
    for name, value in [("tau_times_lambda", 1.5), ("num_steps", 31), ("features", "standardised")]:
        before = explorer.view.rgb().copy()
        explorer.controls[name].value = value
        assert (explorer.view.rgb() != before).any(), f"moving {name} changed nothing in the picture"


def test_moves_redraw_only_what_moves_and_the_last_value_wins():
    explorer = DescentExplorer(tau_times_lambda=1.0, num_steps=30, features="raw")
    first, regions = explorer.image.value, explorer.view.region_draws
    for value in (0.3, 0.9, 1.7, 2.1, 1.0):          # τ never changes the axes: nothing but the moving artists drawn
        explorer.controls["tau_times_lambda"].value = value
    assert explorer.view.region_draws == regions and explorer.view.background_draws == 1
    assert explorer.image.value == first              # back at the first state: the very same picture
    explorer.controls["num_steps"].value = 150         # a longer axis: the cost plot drawn once more, and kept
    explorer.controls["num_steps"].value = 30
    explorer.controls["num_steps"].value = 150
    assert explorer.view.region_draws == regions + 1 and explorer.view.background_draws == 1


def test_the_labels_say_lambda_max_never_L(explorer):
    from matplotlib.text import Text
    texts = [t.get_text() for t in explorer.view.figure.findobj(Text)]
    assert any("lambda_{\\max}" in t for t in texts)
    assert not any("/L" in t or "1/L" in t for t in texts)
    assert "λ_max" in explorer.status.value and "/L" not in explorer.status.value
