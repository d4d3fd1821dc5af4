"""Train networks on a split of the data and compare them: the experiments of the capstone notebook.

    run(sizes, activation, step_size, num_steps, train, validation=...)
                                    train one fully connected network, measure it on the validation set
    fit_linear(train, validation=...)   linear regression, for comparison
    table(runs)                     their costs side by side, as text
    best(runs)                      the run with the lowest held-out cost
    run.cost_on(test)               the final evaluation of the chosen model, on a set not used so far
    mse(model, X, y)                the mean squared error of a network

`train`, `validation` and `test` are pairs (X, y) with X (N, d) and y (N, 1), as `mlp.train` takes
them. A run is measured along the way on ONE held-out set, given as `validation=` (to choose among
configurations) or as `test=` (when nothing is chosen with it); `run.held_out` says which, and
`run.test_cost` refuses to answer for a run measured on the validation set. All costs are mean
squared errors per sample, E(θ)/N = (1/N) Σ_j (N(x_j; θ) − y_j)², so sets of different sizes, a
network and linear regression are measured alike.
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

    train_costs[k]     = E(θ(k))/N on the training set for k = 0 … steps (one entry for least squares);
    held_out_costs[i]  = the same on the held-out set at step held_out_steps[i];
    held_out           = which set that is: "validation" or "test".
    model is the trained `Sequential`, or θ̂ (d + 1,) for linear regression; step_size is τ (None
    for least squares). If gradient descent diverged, `diverged` holds the package's message and
    train_costs is empty and the held-out costs stop at the last measurement before it.
    """

    name: str
    n_params: int
    step_size: float | None
    model: object = field(repr=False)
    train_costs: np.ndarray = field(repr=False)
    held_out_steps: np.ndarray = field(repr=False)
    held_out_costs: np.ndarray = field(repr=False)
    diverged: str | None = None
    held_out: str = "test"

    @property
    def train_cost(self) -> float:
        """The final training cost E(θ)/N, NaN if training diverged."""
        return float("nan") if self.diverged else float(self.train_costs[-1])

    @property
    def held_out_cost(self) -> float:
        """The final cost on the held-out set (E/N per held-out sample), NaN if training diverged."""
        return float("nan") if self.diverged else float(self.held_out_costs[-1])

    @property
    def validation_cost(self) -> float:
        """The final validation cost E/N; only for a run measured on a validation set."""
        if self.held_out != "validation":
            raise ValueError(f"{self.name} was measured on the {self.held_out} set, not on a validation set: "
                             f"use run.{self.held_out}_cost")
        return self.held_out_cost

    @property
    def test_cost(self) -> float:
        """The final test cost E/N; only for a run measured on the test set (see cost_on for a chosen model)."""
        if self.held_out != "test":
            raise ValueError(f"{self.name} was measured on the {self.held_out} set, not on the test set: use "
                             f"run.{self.held_out}_cost to compare runs, and run.cost_on(test) once, for the model "
                             "you chose")
        return self.held_out_cost

    def cost_on(self, data) -> float:
        """E/N of the trained model on a pair (X (N, d), y (N, 1)), e.g. the test set once a model is chosen."""
        if self.diverged:
            raise ValueError(f"{self.name} with τ = {self.step_size:g} diverged: there is no trained model to measure")
        X, y = _pair(data, "data", self.n_features)
        return float(np.mean((self.predict(X) - y[:, 0]) ** 2))

    @property
    def n_features(self) -> int:
        """d, the number of input features the model takes."""
        return self.model.n_in if isinstance(self.model, Sequential) else len(self.model) - 1

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions N(x_j; θ) for the rows of X (N, d), shape (N,)."""
        if isinstance(self.model, Sequential):
            return self.model(X)[:, 0]
        return regression.predict(X, self.model)

    def __repr__(self) -> str:
        costs = "diverged" if self.diverged else f"train {self.train_cost:.4f}, {self.held_out} {self.held_out_cost:.4f}"
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


def _held_out(test, validation) -> tuple[str, object]:
    """("validation", pair) or ("test", pair): exactly one of the two must be given."""
    if (test is None) == (validation is None):
        raise TypeError("give exactly one held-out set: validation=(X_val, y_val) to choose among configurations, "
                        "or test=(X_test, y_test) when nothing is chosen with it")
    return ("test", test) if validation is None else ("validation", validation)


def run(sizes, activation: str, step_size: float, num_steps: int, train, test=None, rng: Seed = 0,
        every: int | None = None, progress: int | bool = False, loss: Loss | None = None, *,
        validation=None) -> Run:
    """Train fully_connected(sizes, activation, rng) by gradient descent and measure it on a held-out set.

    train and the held-out set, validation= or test= (exactly one): pairs (X, y) with X (N, d) and
    y (N, 1). The network is trained with `mlp.train` on `loss` (default: the mean squared error
    E/N) with step size τ = step_size; every `every` steps (default: only at the end) the same loss
    is measured on the held-out set.
    progress: a multiple of `every`; prints the training and the held-out cost every `progress` steps.
    A divergence is reported in `Run.diverged` (and printed with progress) instead of raised, so
    that a comparison of several step sizes can show it.
    """
    held_out, pair = _held_out(test, validation)
    X, y = _pair(train, "train")
    X_held, y_held = _pair(pair, held_out, X.shape[1])
    num_steps = _validate.count(num_steps, "num_steps")
    every = num_steps if every is None else _validate.count(every, "every")
    if progress is not False:
        progress = _validate.count(progress, "progress")
        if progress % every:
            raise ValueError(f"progress={progress} must be a multiple of every={every}: the {held_out} cost is only "
                             f"measured every {every} steps")
    model = fully_connected(sizes, activation, rng=rng)
    if model.n_in != X.shape[1]:
        raise ValueError(f"sizes[0] = {model.n_in} but X_train has {X.shape[1]} features: start sizes with {X.shape[1]}")
    loss = SquaredError("mean") if loss is None else loss
    measuring = copy.deepcopy(loss)  # its own copy, so that measuring never touches what backward needs
    held_out_steps, held_out_costs = [], []

    def measure(k: int, cost: float) -> None:
        held_out_steps.append(k)
        held_out_costs.append(measuring.forward(model.forward(X_held), y_held))
        if progress and k % progress == 0:
            print(f"step {k:>5}/{num_steps}   training {loss.symbol} = {cost:.4f}   "
                  f"{held_out} {loss.symbol} = {held_out_costs[-1]:.4f}")

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
               np.array(held_out_steps), np.array(held_out_costs), diverged, held_out)


def fit_linear(train, test=None, *, validation=None) -> Run:
    """Linear regression N(x; θ) = (x, 1)ᵀθ fitted by least squares on `train`, measured like `run`."""
    held_out, pair = _held_out(test, validation)
    X, y = _pair(train, "train")
    X_held, y_held = _pair(pair, held_out, X.shape[1])
    theta = regression.fit_least_squares(X, y[:, 0])
    train_cost = regression.cost(X, y[:, 0], theta) / len(X)
    held_out_cost = regression.cost(X_held, y_held[:, 0], theta) / len(X_held)
    return Run("linear regression", theta.size, None, theta, np.array([train_cost]), np.array([0]),
               np.array([held_out_cost]), None, held_out)


def _one_held_out_set(runs) -> str:
    names = {r.held_out for r in runs}
    if len(names) != 1:
        raise ValueError(f"these runs were measured on different sets ({', '.join(sorted(names))}): compare runs "
                         "measured on the same held-out set")
    return names.pop()


def table(runs) -> str:
    """The runs' final costs as an aligned text table, one row per run.

    Columns: network, τ, number of parameters, the training and the held-out mean squared error
    E/N, and the gap between the two (held-out minus training).
    """
    runs = list(runs)
    held_out = _one_held_out_set(runs)
    header = f"{'network':<24}{'τ':>6}{'parameters':>12}{'train E/N':>11}{held_out + ' E/N':>16}{'gap':>9}"
    rows = [header, "-" * len(header)]
    for r in runs:
        tau = "-" if r.step_size is None else f"{r.step_size:g}"
        costs = f"{'diverged':>36}" if r.diverged else (
            f"{r.train_cost:>11.4f}{r.held_out_cost:>16.4f}{r.held_out_cost - r.train_cost:>+9.4f}")
        rows.append(f"{r.name:<24}{tau:>6}{r.n_params:>12,}{costs}")
    return "\n".join(rows)


def best(runs) -> Run:
    """The run with the lowest held-out cost among those that did not diverge (all measured on one set)."""
    runs = list(runs)
    _one_held_out_set(runs)
    finished = [r for r in runs if not r.diverged]
    if not finished:
        raise ValueError("every run diverged: there is nothing to choose from; try smaller step sizes")
    return min(finished, key=lambda r: r.held_out_cost)
