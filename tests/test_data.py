"""The course's data: the red-wine and concrete sets against published facts, synthetic data, standardising, splitting."""
import hashlib
import re
from importlib import resources

import numpy as np
import pytest

import mlp
from mlp.data import UNITS, load_concrete, load_wine_quality, make_regression_1d, standardize, train_test_split
from mlp.regression import fit_least_squares

FEATURES = ("fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
            "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol")


@pytest.fixture(scope="module")
def wine():
    return load_wine_quality()


# --- the wine data (facts from Cortez et al. 2009 and the UCI repository) ----------------------------

def test_wine_shape_and_dtype(wine):
    assert wine.X.shape == (1599, 11) and wine.y.shape == (1599,)
    assert wine.X.dtype == np.float64 and wine.y.dtype == np.float64
    assert not np.isnan(wine.X).any() and not np.isnan(wine.y).any()


def test_wine_feature_names_in_the_original_order(wine):
    assert wine.feature_names == FEATURES
    assert wine.target_name == "quality"


def test_wine_quality_counts(wine):
    values, counts = np.unique(wine.y, return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist())) == {3.0: 10, 4.0: 53, 5.0: 681, 6.0: 638, 7.0: 199, 8.0: 18}


def test_correlation_of_alcohol_and_quality(wine):
    assert round(float(np.corrcoef(wine.feature("alcohol"), wine.y)[0, 1]), 3) == 0.476


def test_the_first_wine_of_the_original_file(wine):
    np.testing.assert_array_equal(wine.X[0], [7.4, 0.7, 0.0, 1.9, 0.076, 11.0, 34.0, 0.9978, 3.51, 0.56, 9.4])
    assert wine.y[0] == 5.0
    assert wine.feature("alcohol").mean() == pytest.approx(10.423, abs=5e-4)  # the published mean


def test_feature_is_a_column_and_label_has_units(wine):
    np.testing.assert_array_equal(wine.feature("alcohol"), wine.X[:, 10])
    np.testing.assert_array_equal(wine.feature("fixed acidity"), wine.X[:, 0])
    assert wine.label("alcohol") == "alcohol [% vol]"
    assert wine.label("quality") == "quality [score 0–10]"
    assert set(FEATURES) | {"quality"} | set(CONCRETE) | {"compressive strength"} == set(UNITS)


def test_loading_twice_gives_equal_data(wine):
    again = load_wine_quality()
    np.testing.assert_array_equal(again.X, wine.X)
    np.testing.assert_array_equal(again.y, wine.y)


# --- the concrete data (facts from Yeh 1998 and the UCI repository) ----------------------------------

CONCRETE = ("cement", "blast furnace slag", "fly ash", "water", "superplasticizer", "coarse aggregate",
            "fine aggregate", "age")


@pytest.fixture(scope="module")
def concrete():
    return load_concrete()


def test_concrete_shape_names_and_no_nan(concrete):
    assert concrete.X.shape == (1030, 8) and concrete.y.shape == (1030,)
    assert concrete.X.dtype == concrete.y.dtype == np.float64
    assert np.isfinite(concrete.X).all() and np.isfinite(concrete.y).all()
    assert concrete.feature_names == CONCRETE and concrete.target_name == "compressive strength"
    assert concrete.label("compressive strength") == "compressive strength [MPa]"
    assert concrete.label("cement") == "cement [kg / m³]" and concrete.label("age") == "age [days]"


def test_the_concrete_file_has_the_checksum_its_readme_gives():
    folder = resources.files("mlp").joinpath("data")
    stated = re.search(r"SHA-256 of `concrete.csv`: ([0-9a-f]{64})", folder.joinpath("README.md").read_text()).group(1)
    assert hashlib.sha256(folder.joinpath("concrete.csv").read_bytes()).hexdigest() == stated


def test_concrete_values_are_the_published_ones_and_plausible(concrete):
    np.testing.assert_array_equal(concrete.X[0], [540.0, 0.0, 0.0, 162.0, 2.5, 1040.0, 676.0, 28.0])
    assert concrete.y[0] == 79.99
    assert concrete.feature("cement").mean() == pytest.approx(281.17, abs=5e-3)  # UCI's summary statistics
    assert concrete.y.mean() == pytest.approx(35.82, abs=5e-3)
    assert concrete.y.std(ddof=1) == pytest.approx(16.71, abs=5e-3)
    assert np.unique(concrete.feature("age")).tolist() == [1, 3, 7, 14, 28, 56, 90, 91, 100, 120, 180, 270, 360, 365]
    assert (concrete.X >= 0).all() and 2 < concrete.y.min() and concrete.y.max() < 83
    # every mixture is mostly aggregate: between 2,000 and 2,700 kg of ingredients per m³
    total = concrete.X[:, :7].sum(axis=1)
    assert 2000 < total.min() and total.max() < 2700


def test_on_concrete_a_small_network_trained_by_mlp_beats_the_linear_model(concrete):
    X_train, X_test, y_train, y_test = train_test_split(concrete.X, concrete.y, test_fraction=0.2, rng=0)
    X_train, X_test, _, _ = standardize(X_train, X_test)
    theta = fit_least_squares(X_train, y_train)
    linear = np.mean((X_test @ theta[:-1] + theta[-1] - y_test) ** 2)
    mean, std = y_train.mean(), y_train.std()
    net = mlp.fully_connected([8, 32, 1], rng=0)
    mlp.train(net, mlp.SquaredError("mean"), X_train, ((y_train - mean) / std).reshape(-1, 1), 0.1, 1000, progress=False)
    network = np.mean((net.forward(X_test).ravel() * std + mean - y_test) ** 2)
    assert 80 < linear < 130 and network < 0.4 * linear  # measured: 103 and 30 MPa²


# --- synthetic 1-D data ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind, f", [("sine", lambda x: np.sin(2 * x)), ("step", lambda x: (x > 0) * 1.0),
                                     ("abs", lambda x: np.abs(x) - 1)])
def test_make_regression_1d_without_noise_is_the_target_function(kind, f):
    x, y = make_regression_1d(50, noise=0.0, rng=3, kind=kind)
    assert x.shape == y.shape == (50, 1)
    np.testing.assert_array_equal(y, f(x))
    assert np.all((x >= -3) & (x <= 3))
    assert np.all(np.diff(x.ravel()) >= 0)


def test_make_regression_1d_is_seeded_and_deterministic():
    a, b, c = make_regression_1d(40, rng=1), make_regression_1d(40, rng=1), make_regression_1d(40, rng=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(make_regression_1d()[1], make_regression_1d()[1])  # the default is seeded too


def test_make_regression_1d_noise_has_the_requested_size():
    x, y = make_regression_1d(4000, noise=0.3, rng=0)
    assert np.std(y - np.sin(2 * x)) == pytest.approx(0.3, rel=0.05)


# --- standardize ----------------------------------------------------------------------------------

def test_standardize_gives_mean_0_and_std_1_on_the_training_set(wine):
    X, mean, std = standardize(wine.X)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(mean, wine.X.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(std, wine.X.std(axis=0), rtol=1e-15)


def test_standardize_scales_other_sets_with_the_training_statistics(wine):
    X_train, X_test = wine.X[:1000], wine.X[1000:]
    train_scaled, test_scaled, mean, std = standardize(X_train, X_test)
    np.testing.assert_allclose(test_scaled, (X_test - X_train.mean(0)) / X_train.std(0), rtol=1e-13)
    assert not np.allclose(test_scaled.mean(axis=0), 0, atol=1e-3)  # the test set's own mean is not used
    np.testing.assert_allclose(train_scaled * std + mean, X_train, rtol=1e-13)


def test_standardize_leaves_its_input_alone(wine):
    X = wine.X[:10].copy()
    standardize(X)
    np.testing.assert_array_equal(X, wine.X[:10])


# --- train_test_split -----------------------------------------------------------------------------

def numbered(n):
    """X whose first column numbers the rows, y equal to that number: a split's rows can be traced."""
    X = np.column_stack([np.arange(n, dtype=float), np.random.default_rng(0).standard_normal(n)])
    return X, np.arange(n, dtype=float)


def test_split_is_disjoint_complete_and_keeps_pairs():
    X, y = numbered(101)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, rng=0)
    train_ids, test_ids = set(X_train[:, 0]), set(X_test[:, 0])
    assert not train_ids & test_ids
    assert train_ids | test_ids == set(range(101))
    assert len(X_test) == round(0.25 * 101) and len(X_train) == 101 - len(X_test)
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 0], y_test)


def test_split_is_seeded_and_shuffles():
    X, y = numbered(50)
    a, b, c = (train_test_split(X, y, 0.2, rng=seed) for seed in (7, 7, 8))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])
    assert not np.array_equal(np.sort(a[1][:, 0]), np.arange(10.0))  # not simply the first rows


def test_split_of_the_wine_data(wine):
    X_train, X_test, y_train, y_test = train_test_split(wine.X, wine.y, test_fraction=0.2, rng=0)
    assert X_train.shape == (1279, 11) and X_test.shape == (320, 11)
    assert y_train.shape == (1279,) and y_test.shape == (320,)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == sorted(wine.y.tolist())


def test_target_surfaces_are_seeded_and_plus_minus_one_plus_noise():
    X, y = mlp.data.target_surface("xor", rng=4)
    X2, y2 = mlp.data.target_surface("xor", rng=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert X.shape == (240, 2) and y.shape == (240, 1) and np.abs(X).max() <= 3
    assert set(np.unique(y)) == {-1.0, 1.0}
    np.testing.assert_array_equal(y[:, 0] > 0, X[:, 0] * X[:, 1] > 0)
    X, y = mlp.data.target_surface("ring", n=500, rng=1)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_array_equal(y[:, 0] > 0, (radius > 1) & (radius < 2))
    Xn, yn = mlp.data.target_surface("ring", n=500, rng=1, noise=0.3)
    np.testing.assert_array_equal(Xn, X)                # the same points, whatever the noise
    assert 0.25 < np.std(yn - y) < 0.35
    with pytest.raises(ValueError, match="'xor' or 'ring'"):
        mlp.data.target_surface("spiral")
    with pytest.raises(ValueError, match="noise must be >= 0"):
        mlp.data.target_surface("xor", noise=-1)
