"""Train networks on a train/test split and compare them: the experiments of the capstone notebook.

    run(sizes, activation, step_size, num_steps, train, test)   one fully connected network
    fit_linear(train, test)                                     linear regression, for comparison
    table(runs)                                                 their costs side by side, as text
    mse(model, X, y)                                            the mean squared error of a network

`train` and `test` are pairs (X, y) with X (N, d) and y (N, 1), as `mlp.train` takes them. All
costs are mean squared errors per sample, E(θ)/N = (1/N) Σ_j (N(x_j; θ) − y_j)², so a training
set and a test set of different sizes, a network and linear regression are measured alike.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from . import _validate, regression
from ._validate import Seed
from .layers import Layer
from .losses import Loss, SquaredError
from .network import Sequential, fully_connected
from .optim import DivergenceError, train as train_model


@dataclass
class Run:
    """One trained model and what was measured while training it.

    train_costs[k] = E(θ(k))/N on the training set for k = 0 … steps (one entry for least squares);
    test_costs[i]  = the same on the test set at step test_steps[i].
    model is the trained `Sequential`, or θ̂ (d + 1,) for linear regression; step_size is τ (None
    for least squares). If gradient descent diverged, `diverged` holds the package's message and
    train_costs is empty and the test costs stop at the last measurement before it.
    """

    name: str
    n_params: int
    step_size: float | None
    model: object = field(repr=False)
    train_costs: np.ndarray = field(repr=False)
    test_steps: np.ndarray = field(repr=False)
    test_costs: np.ndarray = field(repr=False)
    diverged: str | None = None

    @property
    def train_cost(self) -> float:
        """The final training cost E(θ)/N, NaN if training diverged."""
        return float("nan") if self.diverged else float(self.train_costs[-1])

    @property
    def test_cost(self) -> float:
        """The final test cost (mean squared error per test sample), NaN if training diverged."""
        return float("nan") if self.diverged else float(self.test_costs[-1])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions N(x_j; θ) for the rows of X (N, d), shape (N,)."""
        if isinstance(self.model, Sequential):
            return self.model(X)[:, 0]
        return regression.predict(X, self.model)

    def __repr__(self) -> str:
        costs = "diverged" if self.diverged else f"train {self.train_cost:.4f}, test {self.test_cost:.4f}"
        return f"Run({self.name}, {self.n_params:,} parameters, {costs})"


def _pair(pair, name: str, n_features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair (X (N, d), y (N, 1)) and return it."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{name} must be a pair (X, y), e.g. {name}=(X_{name}, y_{name})")
    X = _validate.finite(_validate.batch(pair[0], f"X_{name}", n_features), f"X_{name}")
    y = _validate.floating(_validate.as_array(pair[1], f"y_{name}"), f"y_{name}")
    if y.shape != (len(X), 1):
        hint = f": use y_{name}.reshape(-1, 1)" if y.shape == (len(X),) else ""
        raise ValueError(f"y_{name} must have shape ({len(X)}, 1), one target per row of X_{name}, got {y.shape}{hint}")
    return X, y


def mse(model: Layer, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error E/N = (1/N) Σ_j ||N(x_j; θ) − y_j||² of a network on X (N, d), y (N, 1)."""
    return SquaredError("mean").forward(model(X), y)


def run(sizes, activation: str, step_size: float, num_steps: int, train, test, rng: Seed = 0,
        every: int | None = None, progress: int | bool = False, loss: Loss | None = None) -> Run:
    """Train fully_connected(sizes, activation, rng) by gradient descent and measure it on the test set.

    train, test: pairs (X, y) with X (N, d) and y (N, 1). The network is trained with `mlp.train`
    on `loss` (default: the mean squared error E/N) with step size τ = step_size; every `every` steps
    (default: only at the end) the same loss is measured on the test set.
    progress: a multiple of `every`; prints the training and the test cost every `progress` steps.
    A divergence is reported in `Run.diverged` (and printed with progress) instead of raised, so
    that a comparison of several step sizes can show it.
    """
    X, y = _pair(train, "train")
    X_test, y_test = _pair(test, "test", X.shape[1])
    num_steps = _validate.count(num_steps, "num_steps")
    every = num_steps if every is None else _validate.count(every, "every")
    if progress is not False:
        progress = _validate.count(progress, "progress")
        if progress % every:
            raise ValueError(f"progress={progress} must be a multiple of every={every}: the test cost is only measured every {every} steps")
    model = fully_connected(sizes, activation, rng=rng)
    if model.n_in != X.shape[1]:
        raise ValueError(f"sizes[0] = {model.n_in} but X_train has {X.shape[1]} features: start sizes with {X.shape[1]}")
    loss = SquaredError("mean") if loss is None else loss
    measuring = copy.deepcopy(loss)  # its own copy, so that measuring never touches what backward needs
    test_steps, test_costs = [], []

    def measure(k: int, cost: float) -> None:
        test_steps.append(k)
        test_costs.append(measuring.forward(model.forward(X_test), y_test))
        if progress and k % progress == 0:
            print(f"step {k:>5}/{num_steps}   training {loss.symbol} = {cost:.4f}   test {loss.symbol} = {test_costs[-1]:.4f}")

    diverged = None
    try:
        history = train_model(model, loss, X, y, step_size, num_steps, progress=False, callback=measure, every=every)
        train_costs = history.costs
    except DivergenceError as error:
        diverged = str(error)
        train_costs = np.array([])
        if progress:
            print(f"diverged: τ = {step_size:g} is too large")
    return Run(f"{list(sizes)} {activation}", model.n_params, float(step_size), model, np.asarray(train_costs),
               np.array(test_steps), np.array(test_costs), diverged)


def fit_linear(train, test) -> Run:
    """Linear regression N(x; θ) = (x, 1)ᵀθ fitted by least squares on `train`, measured like `run`."""
    X, y = _pair(train, "train")
    X_test, y_test = _pair(test, "test", X.shape[1])
    theta = regression.fit_least_squares(X, y[:, 0])
    train_cost = regression.cost(X, y[:, 0], theta) / len(X)
    test_cost = regression.cost(X_test, y_test[:, 0], theta) / len(X_test)
    return Run("linear regression", theta.size, None, theta, np.array([train_cost]), np.array([0]),
               np.array([test_cost]))


def table(runs) -> str:
    """The runs' final costs as an aligned text table, one row per run.

    Columns: network, τ, number of parameters, training and test mean squared error, and the test
    root-mean-square error √(E/N), in the units of y.
    """
    header = f"{'network':<24}{'τ':>6}{'parameters':>12}{'train E/N':>11}{'test E/N':>10}{'test RMSE':>11}"
    rows = [header, "-" * len(header)]
    for r in runs:
        tau = "-" if r.step_size is None else f"{r.step_size:g}"
        costs = f"{'diverged':>32}" if r.diverged else (
            f"{r.train_cost:>11.4f}{r.test_cost:>10.4f}{np.sqrt(r.test_cost):>11.4f}")
        rows.append(f"{r.name:<24}{tau:>6}{r.n_params:>12,}{costs}")
    return "\n".join(rows)
