"""Bad input: what students really get wrong, each met by an error that names the problem (and the fix).

Every case checks the exception's exact type, that its message says what is wrong (match=...), and
that it was raised by mlp's own code, not deep inside numpy or Python.
"""
from pathlib import Path

import numpy as np
import pytest

import mlp
from mlp import data, gradcheck, graph, regression
from mlp.layers import Linear, ReLU, Sigmoid, make_activation
from mlp.losses import SquaredError
from mlp.network import Sequential, fully_connected
from mlp.optim import GradientDescent, train

MLP_DIR = Path(mlp.__file__).resolve().parent
rng = np.random.default_rng(0)
X5x3 = rng.standard_normal((5, 3))
X5x11 = rng.standard_normal((5, 11))
Y5x1 = rng.standard_normal((5, 1))


def with_nan(a, value=np.nan):
    a = a.copy()
    a[2, 1] = value
    return a


def forwarded(layer, x):
    layer.forward(x)
    return layer


def net():
    return fully_connected([3, 4, 1], activation="tanh", rng=0)


def loss_after(y_hat, y, reduction="sum"):
    loss = SquaredError(reduction)
    loss.forward(y_hat, y)
    return loss


def train_small(**changes):
    args = dict(model=net(), loss=SquaredError(), X=X5x3, y=Y5x1, step_size=0.01, num_steps=3, progress=False)
    args.update(changes)
    return train(**args)


CASES = [
    # --- layers: shapes and dtypes of the input
    ("too many features", lambda: Linear(11, 1, rng=0).forward(np.ones((5, 12))),
     ValueError, r"Linear expected 11 input features, got 12.*bias column"),
    ("too few features", lambda: Linear(11, 1, rng=0).forward(np.ones((5, 10))),
     ValueError, r"expected 11 input features, got 10"),
    ("1-D sample instead of a batch", lambda: Linear(3, 2, rng=0).forward(np.ones(3)),
     ValueError, r"1-D with shape \(3,\).*reshape\(1, -1\) for one sample"),
    ("3-D input", lambda: Linear(3, 2, rng=0).forward(np.ones((2, 4, 3))),
     ValueError, r"batch of shape \(N, features\).*3 dimensions"),
    ("scalar input", lambda: ReLU().forward(2.0),
     ValueError, r"0 dimensions"),
    ("integer dtype", lambda: Linear(3, 2, rng=0).forward(np.ones((2, 3), dtype=int)),
     TypeError, r"floating-point.*int64.*astype\(np\.float64\)"),
    ("list of ints", lambda: Sigmoid().forward([[1, 2, 3]]),
     TypeError, r"floating-point numbers, got dtype int"),
    ("ragged list", lambda: Linear(2, 1, rng=0).forward([[1.0, 2.0], [3.0]]),
     TypeError, r"x must be a numpy array"),
    ("float32 input into a float64 Linear", lambda: Linear(3, 2, rng=0).forward(np.ones((2, 3), dtype=np.float32)),
     TypeError, r"float64 parameters but got float32 input.*astype\(np\.float64\)"),
    ("empty batch", lambda: Linear(3, 2, rng=0).forward(np.ones((0, 3))),
     ValueError, r"at least one sample.*\(0, 3\)"),
    ("backward before forward (Linear)", lambda: Linear(3, 2, rng=0).backward(np.ones((5, 2))),
     RuntimeError, r"Linear\.backward was called before forward"),
    ("backward before forward (Sigmoid)", lambda: Sigmoid().backward(np.ones((5, 2))),
     RuntimeError, r"Sigmoid\.backward was called before forward"),
    ("dz of the input's shape", lambda: forwarded(Linear(3, 2, rng=0), X5x3).backward(np.ones((5, 3))),
     ValueError, r"expected dz with the shape of the last output \(5, 2\), got \(5, 3\)"),
    ("dz as a vector", lambda: forwarded(Linear(3, 1, rng=0), X5x3).backward(np.ones(5)),
     ValueError, r"shape of the last output \(5, 1\), got \(5,\)"),
    ("integer dz", lambda: forwarded(ReLU(), X5x3).backward(np.ones((5, 3), dtype=int)),
     TypeError, r"dz must hold floating-point numbers"),
    # --- building layers and networks
    ("Linear with zero inputs", lambda: Linear(0, 3), ValueError, r"n_in must be at least 1, got 0"),
    ("Linear with a float size", lambda: Linear(3.0, 2), TypeError, r"n_in must be a whole number, got 3\.0"),
    ("Linear with an integer dtype", lambda: Linear(3, 2, dtype=int), TypeError, r"floating-point dtype"),
    ("unknown activation", lambda: make_activation("softmax"),
     ValueError, r"unknown activation 'softmax': choose one of " + ", ".join(f"'{name}'" for name in mlp.ACTIVATIONS)),
    ("misspelt activation in fully_connected", lambda: fully_connected([3, 4, 1], activation="sigmiod"),
     ValueError, r"unknown activation 'sigmiod'"),
    ("activation given as a function", lambda: fully_connected([3, 4, 1], activation=np.tanh),
     TypeError, r"activation must be a name such as 'tanh' or a layer class, got the function tanh"),
    ("fully_connected with one size", lambda: fully_connected([11]), ValueError, r"at least two entries"),
    ("fully_connected with a zero width", lambda: fully_connected([11, 0, 1]),
     ValueError, r"sizes\[1\] must be at least 1, got 0"),
    ("fully_connected with a float width", lambda: fully_connected([11, 64.0, 1]),
     TypeError, r"sizes\[1\] must be a whole number, got 64\.0"),
    ("fully_connected with a number", lambda: fully_connected(11),
     TypeError, r"sizes must be a list of layer widths.*got 11"),
    ("Sequential with a non-layer", lambda: Sequential([Linear(3, 2, rng=0), np.tanh]),
     TypeError, r"layer 1 \(tanh\) is not a layer: it has no forward, backward, params, grads"),
    ("Sequential with a layer class", lambda: Sequential([Linear(3, 2, rng=0), ReLU]),
     TypeError, r"layer 1 is the class ReLU.*ReLU\(\.\.\.\) with parentheses"),
    ("Sequential with no layers", lambda: Sequential([]), ValueError, r"at least one layer"),
    ("Sequential with mismatched Linear sizes", lambda: Sequential([Linear(3, 4, rng=0), ReLU(), Linear(5, 1, rng=0)]),
     ValueError, r"layer 2 \(Linear\(5 -> 1\)\) expects 5 inputs but the layer before it gives 4"),
    ("network given 12 features", lambda: fully_connected([11, 4, 1], rng=0).forward(np.ones((5, 12))),
     ValueError, r"the network expected 11 input features, got 12"),
    ("NaN in X", lambda: net().forward(with_nan(X5x3)), ValueError, r"x contains NaN or infinity \(first at index \(2, 1\)"),
    ("inf in X", lambda: net().forward(with_nan(X5x3, np.inf)), ValueError, r"x contains NaN or infinity"),
    ("backward of a network before forward", lambda: net().backward(Y5x1),
     RuntimeError, r"backward was called before forward"),
    # --- the loss
    ("y of shape (N,) against y_hat (N, 1)", lambda: SquaredError().forward(Y5x1, Y5x1.ravel()),
     ValueError, r"y_hat has shape \(5, 1\) but y has shape \(5,\).*y\.reshape\(-1, 1\).*\(N, N\)"),
    ("y_hat of shape (N,) against y (N, 1)", lambda: SquaredError().forward(Y5x1.ravel(), Y5x1),
     ValueError, r"y_hat has shape \(5,\) but y has shape \(5, 1\).*y_hat\.reshape\(-1, 1\)"),
    ("different numbers of samples", lambda: SquaredError().forward(Y5x1, Y5x1[:4]),
     ValueError, r"y_hat has shape \(5, 1\) but y has shape \(4, 1\)"),
    ("both 1-D", lambda: SquaredError().forward(Y5x1.ravel(), Y5x1.ravel()),
     ValueError, r"batches of shape \(N, m\), got shape \(5,\)"),
    ("NaN in y", lambda: SquaredError().forward(Y5x1, with_nan(np.ones((5, 2)))[:, 1:]),
     ValueError, r"y contains NaN or infinity"),
    ("integer y", lambda: SquaredError().forward(Y5x1, np.ones((5, 1), dtype=int)),
     TypeError, r"y must hold floating-point numbers"),
    ("empty y_hat and y", lambda: SquaredError("mean").forward(np.ones((0, 1)), np.ones((0, 1))),
     ValueError, r"empty.*at least one sample"),
    ("loss backward before forward", lambda: SquaredError().backward(),
     RuntimeError, r"SquaredError\.backward was called before forward"),
    ("bad reduction", lambda: SquaredError("average"), ValueError, r"reduction must be 'sum' or 'mean', got 'average'"),
    # --- gradient descent
    ("zero step size", lambda: GradientDescent(0), ValueError, r"step_size τ must be a positive number, got 0"),
    ("negative step size", lambda: GradientDescent(-0.1), ValueError, r"positive number, got -0\.1"),
    ("NaN step size", lambda: GradientDescent(float("nan")), ValueError, r"positive number, got nan"),
    ("string step size", lambda: GradientDescent("0.1"), TypeError, r"step_size τ must be a positive number, got '0\.1'"),
    ("step before backward", lambda: GradientDescent(0.1).step(net()),
     RuntimeError, r"no gradients to step with: run the model's backward"),
    ("negative number of steps", lambda: train_small(num_steps=-1), ValueError, r"num_steps must be at least 0, got -1"),
    ("fractional number of steps", lambda: train_small(num_steps=10.5), TypeError, r"num_steps must be a whole number"),
    ("zero gradient tolerance", lambda: train_small(grad_tol=0), ValueError, r"grad_tol must be a positive number"),
    ("progress=True", lambda: train_small(progress=True), ValueError, r"progress must be 'auto', False or a positive number"),
    ("progress as a string", lambda: train_small(progress="yes"), ValueError, r"progress must be.*got 'yes'"),
    ("train with the loss class", lambda: train_small(loss=SquaredError),
     TypeError, r"loss must be a loss object such as SquaredError\(\).*parentheses"),
    ("train with y of shape (N,)", lambda: train_small(y=Y5x1.ravel()), ValueError, r"y\.reshape\(-1, 1\)"),
    ("train with integer X", lambda: train_small(X=np.ones((5, 3), dtype=int)), TypeError, r"floating-point"),
    ("train with a zero step size", lambda: train_small(step_size=0.0), ValueError, r"step_size τ must be a positive"),
    # --- compute graphs
    ("graph input missing", lambda: graph.backprop_example().forward(x=1.0, y=2.0),
     ValueError, r"input 'z' has no value"),
    ("graph input unknown", lambda: graph.backprop_example().forward(x=1.0, y=2.0, z=3.0, w=0.0),
     ValueError, r"unknown input\(s\) \['w'\]"),
    ("graph input not a number", lambda: graph.backprop_example().forward(x="-2", y=5, z=-4),
     TypeError, r"input x must be a finite number, got '-2'"),
    ("graph backward before forward", lambda: graph.backprop_example().backward(),
     RuntimeError, r"Graph\.backward was called before forward"),
    ("graph node from a number", lambda: graph.Add(graph.Input("x"), 1.0),
     TypeError, r"inputs of Add must be graph nodes, got 1\.0: wrap numbers in Input or Constant"),
    ("graph with two inputs of one name", lambda: graph.Graph(graph.Multiply(graph.Input("x"), graph.Input("x"))),
     ValueError, r"different Input nodes share names \['x'\]"),
    # --- gradient checks
    ("gradient check of a float32 layer", lambda: gradcheck.check_layer(Linear(3, 2, rng=0, dtype=np.float32), X5x3),
     TypeError, r"gradient checks need float64.*'weight' is float32.*dtype=np\.float64"),
    ("gradient check of a float32 network",
     lambda: gradcheck.check_network(fully_connected([3, 1], rng=0, dtype=np.float32), SquaredError(), X5x3, Y5x1),
     TypeError, r"gradient checks need float64.*'0\.weight' is float32"),
    ("numerical gradient of float32", lambda: gradcheck.numerical_gradient(lambda: 0.0, np.ones(3, dtype=np.float32)),
     TypeError, r"gradient checks need float64 arrays.*float32"),
    ("gradient check with a 1-D x", lambda: gradcheck.check_layer(Sigmoid(), np.ones(4)),
     ValueError, r"1-D with shape \(4,\)"),
    ("rel_error of different shapes", lambda: gradcheck.rel_error(np.ones(3), np.ones((3, 1))),
     ValueError, r"cannot compare arrays of shapes \(3,\) and \(3, 1\)"),
    # --- linear regression
    ("least squares with y of shape (N, 1)", lambda: regression.fit_least_squares(X5x3, Y5x1),
     ValueError, r"y must have shape \(5,\), one target per row of X, got \(5, 1\)"),
    ("theta without the bias", lambda: regression.predict(X5x3, np.ones(3)),
     ValueError, r"theta must have shape \(4,\).*bias last, got \(3,\)"),
    ("bias column added twice", lambda: regression.predict(regression.add_bias_column(X5x3), np.ones(4)),
     ValueError, r"theta must have shape \(5,\)"),
    ("NaN in X for least squares", lambda: regression.fit_least_squares(with_nan(X5x3), Y5x1.ravel()),
     ValueError, r"X contains NaN or infinity"),
    ("too few samples for least squares", lambda: regression.fit_least_squares(X5x3[:2], Y5x1[:2, 0]),
     ValueError, r"at least 4 samples for 3 features, got 2"),
    # --- data
    ("unknown data kind", lambda: data.make_regression_1d(kind="cosine"),
     ValueError, r"unknown kind 'cosine': choose one of 'sine', 'step', 'abs'"),
    ("negative noise", lambda: data.make_regression_1d(noise=-0.1), ValueError, r"noise must be >= 0, got -0\.1"),
    ("zero samples", lambda: data.make_regression_1d(n=0), ValueError, r"n must be at least 1, got 0"),
    ("test_fraction above 1", lambda: data.train_test_split(X5x3, Y5x1, test_fraction=1.5),
     ValueError, r"test_fraction must be a number between 0 and 1, got 1\.5"),
    ("test_fraction as a percentage", lambda: data.train_test_split(X5x3, Y5x1, test_fraction=20),
     ValueError, r"between 0 and 1, got 20"),
    ("test_fraction as a string", lambda: data.train_test_split(X5x3, Y5x1, test_fraction="0.2"),
     ValueError, r"between 0 and 1, got '0\.2'"),
    ("test_fraction leaving no training data", lambda: data.train_test_split(X5x3, Y5x1, test_fraction=0.95),
     ValueError, r"leaves none of the 5 samples for training"),
    ("split X and y of different lengths", lambda: data.train_test_split(X5x3, Y5x1[:4]),
     ValueError, r"X has 5 samples but y has 4"),
    ("standardize a constant feature", lambda: data.standardize(np.column_stack([X5x3, np.ones(5)])),
     ValueError, r"feature\(s\) \[3\] are constant in X_train"),
    ("standardize a test set with other features", lambda: data.standardize(X5x11, X5x11[:, :10]),
     ValueError, r"expected 11 input features, got 10"),
    ("unknown wine feature", lambda: data.load_wine_quality().feature("alcool"),
     KeyError, r"no feature 'alcool': the features are .*alcohol"),
]


@pytest.mark.parametrize("call, error, message", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_gets_a_clear_error_from_mlp(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert type(info.value) is error, f"expected exactly {error.__name__}, got {type(info.value).__name__}"
    frame = info.tb
    while frame.tb_next is not None:
        frame = frame.tb_next
    raised_in = Path(frame.tb_frame.f_code.co_filename).resolve()
    assert MLP_DIR in raised_in.parents, f"raised in {raised_in}, not by mlp's own checks: {info.value}"


def test_there_are_at_least_30_distinct_cases():
    names = [case[0] for case in CASES]
    assert len(set(names)) == len(names) >= 30
