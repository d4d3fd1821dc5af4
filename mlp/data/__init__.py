"""The course's data: red-wine quality and concrete strength, synthetic 1-D and 2-D demos, standardising and splitting.

Both real data sets ship inside this package, beside this file (*.csv, with their sources in
README.md), so everything loads offline.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from .. import _validate

UNITS = {
    "fixed acidity": "g tartaric acid / dm³",
    "volatile acidity": "g acetic acid / dm³",
    "citric acid": "g / dm³",
    "residual sugar": "g / dm³",
    "chlorides": "g sodium chloride / dm³",
    "free sulfur dioxide": "mg / dm³",
    "total sulfur dioxide": "mg / dm³",
    "density": "g / cm³",
    "pH": "pH units",
    "sulphates": "g potassium sulphate / dm³",
    "alcohol": "% vol",
    "quality": "score 0–10",
    "cement": "kg / m³",
    "blast furnace slag": "kg / m³",
    "fly ash": "kg / m³",
    "water": "kg / m³",
    "superplasticizer": "kg / m³",
    "coarse aggregate": "kg / m³",
    "fine aggregate": "kg / m³",
    "age": "days",
    "compressive strength": "MPa",
}


@dataclass(frozen=True)
class Dataset:
    """Samples X (N, d) with targets y (N,), and the names of the d features and of the target."""

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str

    def feature(self, name: str) -> np.ndarray:
        """The column of X named `name`, shape (N,)."""
        if name not in self.feature_names:
            raise KeyError(f"no feature {name!r}: the features are {', '.join(self.feature_names)}")
        return self.X[:, self.feature_names.index(name)]

    def label(self, name: str) -> str:
        """Axis label with units for a feature or the target, e.g. "alcohol [% vol]"."""
        return f"{name} [{UNITS[name]}]" if name in UNITS else name


def _read_table(filename: str, target_name: str) -> Dataset:
    """A CSV of this package (a header, then numbers; the target last) as a Dataset; "_" in names becomes " "."""
    text = resources.files(__name__).joinpath(filename).read_text()
    header, *rows = text.strip().splitlines()
    names = [name.strip('"').replace("_", " ") for name in header.split(",")]
    table = np.array([row.split(",") for row in rows], dtype=np.float64)
    return Dataset(X=table[:, :-1], y=table[:, -1], feature_names=tuple(names[:-1]), target_name=target_name)


def load_wine_quality() -> Dataset:
    """The 1,599 red wines of Cortez et al. (2009): 11 physico-chemical features, quality 3–8.

    Returns a Dataset with X (1599, 11) and y (1599,), both float64; feature order as in the
    original file, alcohol last (column 10, the lecture's θ_11).
    """
    return _read_table("winequality-red.csv", "quality")


def load_concrete() -> Dataset:
    """The 1,030 concrete mixtures of Yeh (1998): 8 inputs, compressive strength in MPa (2.3–82.6).

    Returns a Dataset with X (1030, 8) and y (1030,), both float64. Features, in the original order:
    cement, blast furnace slag, fly ash, water, superplasticizer, coarse aggregate, fine aggregate
    (kg per m³ of mixture) and age (days). Strength depends on them nonlinearly (it grows with age
    and saturates; the water-to-cement ratio matters), so a small network beats a linear model here.
    """
    return _read_table("concrete.csv", "compressive strength")


def make_regression_1d(n: int = 80, noise: float = 0.1, rng=0, kind: str = "sine") -> tuple[np.ndarray, np.ndarray]:
    """Seeded 1-D nonlinear regression data: x (n, 1) uniform on [−3, 3], y (n, 1) = f(x) + noise.

    kind: "sine" f(x) = sin(2x), "step" f(x) = 1[x > 0], "abs" f(x) = |x| − 1.
    """
    targets = {"sine": lambda x: np.sin(2 * x), "step": lambda x: (x > 0).astype(float), "abs": lambda x: np.abs(x) - 1}
    if kind not in targets:
        raise ValueError(f"unknown kind {kind!r}: choose one of {', '.join(map(repr, targets))}")
    n = _validate.count(n, "n")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(rng)
    x = np.sort(rng.uniform(-3, 3, size=(n, 1)), axis=0)
    return x, targets[kind](x) + noise * rng.standard_normal((n, 1))


def target_surface(kind: str, n: int = 240, rng=0, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded 2-D regression data: X (n, 2) uniform on [−3, 3]², y (n, 1) = ±1 plus Normal(0, noise²) noise.

    kind "xor": y = +1 where x₁·x₂ > 0 (first and third quadrant), else −1;
    kind "ring": y = +1 where 1 < ‖x‖ < 2, else −1.
    """
    if kind not in ("xor", "ring"):
        raise ValueError(f"unknown kind {kind!r}: choose 'xor' or 'ring'")
    n = _validate.count(n, "n")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(rng)
    X = rng.uniform(-3, 3, size=(n, 2))
    if kind == "xor":
        inside = X[:, 0] * X[:, 1] > 0
    else:
        radius = np.linalg.norm(X, axis=1)
        inside = (radius > 1) & (radius < 2)
    y = np.where(inside, 1.0, -1.0)[:, None]
    return X, y + noise * rng.standard_normal(y.shape)  # drawn even for noise 0: the same points for every noise


def standardize(X_train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Scale every feature to mean 0 and standard deviation 1, using the training set's statistics.

    Returns (X_train scaled, *others scaled with the same mean and std, mean, std).
    """
    X_train = _validate.finite(_validate.batch(X_train, "X_train"), "X_train")
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    if np.any(std == 0):
        raise ValueError(f"feature(s) {np.flatnonzero(std == 0).tolist()} are constant in X_train and cannot be scaled: drop them")
    scaled = [(_validate.batch(X, "X", X_train.shape[1]) - mean) / std for X in (X_train, *others)]
    return (*scaled, mean, std)


def train_test_split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, rng=0) -> tuple[np.ndarray, ...]:
    """Shuffle the samples (seeded) and split them: returns X_train, X_test, y_train, y_test."""
    X = _validate.as_array(X, "X")
    y = _validate.as_array(y, "y")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if isinstance(test_fraction, (str, bool)) or not np.isscalar(test_fraction) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number between 0 and 1, got {test_fraction!r}")
    order = np.random.default_rng(rng).permutation(len(X))
    n_test = max(1, round(test_fraction * len(X)))
    if n_test >= len(X):
        raise ValueError(f"a test_fraction of {test_fraction} leaves none of the {len(X)} samples for training: use a smaller one")
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
