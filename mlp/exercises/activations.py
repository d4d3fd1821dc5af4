"""Checks for notebook 03, activations and fully connected networks.

Each check runs the student's function on fresh inputs (drawn from the trial's seed, so no cell
shows them) and on fixed inputs chosen to tell the usual slips apart, compares with mlp's own
layers and networks (mlp.layers, mlp.network) and names the slip: a mirrored sigmoid, a sign in
the quotient rule, the slope of ReLU at its kink, weights used untransposed for a batch of rows,
σ applied to the output too, a missing bias, parameters counted without their biases.
"""
from __future__ import annotations

import numpy as np

from ..layers import ReLU, Sigmoid, sigmoid
from ..network import fully_connected
from .._format import number as fmt
from . import expect
from .core import Wrong, exercise, scoreboard_for


def _value_and_slope(layer, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ(z), ℓ'(z)) from an mlp activation layer: its derivative is backward with an incoming gradient of ones."""
    flat = z.reshape(-1, 1)  # mlp's layers take batches (N, n)
    value = layer.forward(flat)
    return value.reshape(z.shape), layer.backward(np.ones_like(flat)).reshape(z.shape)


def _at_z(z: np.ndarray):
    """expect.array's `where`: an entry named by its z value, as the student sees it."""
    return lambda index: f"at z = {fmt(z[index])}"


def _inputs(t, fixed: np.ndarray, kink: bool = False) -> list[np.ndarray]:
    """The fixed z values, then fresh ones of a random shape (any shape must work, componentwise): at least
    three entries, of both signs, none of them 1 or −1, none within 0.05 of 0 except, with `kink`, one at 0."""
    shape = [int(n) for n in t.rng.integers(2, 6, size=int(t.rng.integers(1, 4)))]
    shape[0] = max(shape[0], 3)
    size = int(np.prod(shape))
    magnitude = np.round(t.rng.uniform(0.05, 9, size), 3)
    magnitude[magnitude == 1] = 1.5
    sign = t.rng.choice([-1.0, 1.0], size)
    negative, positive, zero = t.rng.permutation(size)[:3]
    sign[[negative, positive]] = [-1.0, 1.0]
    if kink:
        sign[zero] = 0.0
    return [fixed, (sign * magnitude).reshape(shape)]


@exercise("3.1", "sigmoid", "sigmoid_prime", answer=("mlp.layers.sigmoid", "mlp.layers.Sigmoid", "mlp.layers.Tanh"),
          task="write σ and σ′ yourself")
def check_sigmoid(t, sigmoid, sigmoid_prime):
    """sigmoid(z) and its derivative sigmoid_prime(z), componentwise, for z of any shape."""
    for z in _inputs(t, np.linspace(-8, 8, 33).reshape(3, 11)):
        value, slope = _value_and_slope(Sigmoid(), z)
        what = f"sigmoid(z) for z of shape {z.shape}"
        got, (z_after,) = t.call(sigmoid, z, what=what, return_args=True)
        expect.unchanged(z, z_after, "z", "sigmoid")
        if expect.close(got, 1 - value):
            raise Wrong(f"{what} is mirrored: it falls from 1 to 0 as z grows, but σ rises (check the sign in the exponent)")
        expect.array(got, value, what, where=_at_z(z), hint="σ(0) is 0.5, and σ(z) approaches 1 for large z.")

        what = f"sigmoid_prime(z) for z of shape {z.shape}"
        got, (z_after,) = t.call(sigmoid_prime, z, what=what, return_args=True)
        expect.unchanged(z, z_after, "z", "sigmoid_prime")
        slips = [(-slope, "has the wrong sign: σ rises everywhere, so its slope is positive"),
                 (value * (1 + value), "is too large: check the sign in the numerator of the quotient rule"),
                 (z * (1 - z), "treats its argument as if it were σ(z) already: it receives z, so compute σ(z) "
                               "from it first"),
                 (value, "returns σ(z) itself, not its slope"),
                 (1 - value, "returns 1 − σ(z): is one factor missing?")]
        hint = expect.slip(got, slips)
        if hint:
            raise Wrong(f"{what} {hint}")
        expect.array(got, slope, what, where=_at_z(z),
                     hint="Differentiate e^z / (e^z + 1) by hand and compare with (σ(z + h) − σ(z − h)) / (2h) "
                          "for a small h at that z.")
    return "σ and σ' match mlp's Sigmoid layer, forward and backward; σ'(z) is largest at z = 0, where it is 1/4."


@exercise("3.2", "relu", "relu_prime", answer=("mlp.layers.ReLU", "mlp.layers.LeakyReLU"),
          task="write ReLU and its slope yourself")
def check_relu(t, relu, relu_prime):
    """relu(z) and its derivative relu_prime(z) (0 at the kink z = 0), componentwise."""
    fixed = np.array([[-3.0, -0.5, 0.0, 0.25, 2.0], [1e-3, -1e-3, 7.0, -7.0, 0.0]])
    for z in _inputs(t, fixed, kink=True):  # both signs, and the kink z = 0, in every input
        value, slope = _value_and_slope(ReLU(), z)
        what = f"relu(z) for z of shape {z.shape}"
        got, (z_after,) = t.call(relu, z, what=what, return_args=True)
        expect.unchanged(z, z_after, "z", "relu")
        expect.returned(got, what)
        if not isinstance(got, str) and np.shape(got) != z.shape and np.size(got) in (1, z.size // z.shape[0]):
            raise Wrong(f"{what} has shape {np.shape(got)}: np.max reduces an array to its largest entries, but "
                        "you need the larger of z_j and 0 for each entry (numpy has a componentwise maximum)")
        if expect.close(got, np.abs(z)):
            raise Wrong(f"{what} gives |z|: negative entries should become 0, not positive")
        expect.array(got, value, what, where=_at_z(z), hint="Negative entries become 0; the others stay as they are.")

        what = f"relu_prime(z) for z of shape {z.shape}"
        got, (z_after,) = t.call(relu_prime, z, what=what, return_args=True)
        expect.unchanged(z, z_after, "z", "relu_prime")
        if np.shape(got) == z.shape and not isinstance(got, str):
            try:
                got_values = np.asarray(got, dtype=np.float64)
            except (TypeError, ValueError):
                got_values = None
            if got_values is not None:
                away = z != 0
                if np.allclose(got_values[away], slope[away]) and not np.allclose(got_values, slope):
                    raise Wrong(f"{what} is right except at the kink z = 0: ReLU has no slope there, and this "
                                "course uses the value 0, as mlp does")
                if np.allclose(got_values, value):
                    raise Wrong(f"{what} returns relu(z) itself, not its slope")
                if np.allclose(got_values, np.sign(z)):
                    raise Wrong(f"{what} is −1 where z < 0, but ReLU is constant there: what is the slope of a "
                                "constant?")
        expect.array(got, slope, what, where=_at_z(z), hint="On each side of 0, ReLU is a straight line: "
                                                            "what is the slope of each piece?")
    return "ReLU and its slope match mlp's ReLU layer, forward and backward: the slope is 0 or 1, and 0 at the kink."


def _one_hidden_layer(X, theta_w1, theta_b1, theta_w2, theta_b2, hidden=sigmoid, out=lambda a: a):
    """The network and its usual slips, for the messages: out(hidden(X θ_w^1ᵀ + θ_b^1) θ_w^2ᵀ + θ_b^2),
    or None where a slip's shapes do not fit (then the student's code raised, and said so itself)."""
    try:
        return out(hidden(X @ theta_w1.T + theta_b1) @ theta_w2.T + theta_b2)
    except ValueError:
        return None


@exercise("3.3", "one_hidden_layer",
          answer=("mlp.network.fully_connected", "mlp.network.Sequential", "mlp.layers.Linear", "mlp.layers.sigmoid",
                  "mlp.layers.Sigmoid"),
          task="write the forward pass for a batch of rows yourself, with your sigmoid from Exercise 3.1")
def check_one_hidden_layer(t, one_hidden_layer):
    """one_hidden_layer(X, theta_w1, theta_b1, theta_w2, theta_b2) must return N(x_j; θ) for every row x_j of X,
    (N, n_2), as mlp.fully_connected([n_0, n_1, n_2], "sigmoid") computes it with the same parameters."""
    fresh = [int(n) for n in t.rng.integers(2, 7, size=3)]
    fresh[1] = fresh[0] + 1 + int(t.rng.integers(3))  # not square: a missing transpose raises or is named
    cases = [[3, 3, 3],                               # square first: untransposed weights give numbers, not an error
             [1, int(t.rng.integers(2, 9)), 1],      # the lecture's network of one input and one output
             fresh]
    for sizes in cases:
        n0, n1, n2 = sizes
        net = fully_connected(sizes, "sigmoid", rng=0)
        first, last = net.layers[0], net.layers[2]
        theta = [np.round(t.rng.normal(0, 1.5, shape), 3) for shape in [(n1, n0), (n1,), (n2, n1), (n2,)]]
        for layer, (weight, bias) in zip((first, last), (theta[:2], theta[2:])):
            layer.params["weight"][...] = weight
            layer.params["bias"][...] = bias
        X = np.round(t.rng.normal(0, 1.5, (int(t.rng.integers(5, 12)), n0)), 3)
        expected = net.forward(X)

        what = f"one_hidden_layer(X, theta_w1, theta_b1, theta_w2, theta_b2) for sizes {sizes} and X of shape {X.shape}"
        got, args_after = t.call(one_hidden_layer, X, *theta, what=what, return_args=True)
        for name, before, after in zip(["X", "theta_w1", "theta_b1", "theta_w2", "theta_b2"], [X, *theta], args_after):
            expect.unchanged(before, after, name, "one_hidden_layer")
        w1, b1, w2, b2 = theta
        zero1, zero2 = np.zeros_like(b1), np.zeros_like(b2)
        slips = [
            (_one_hidden_layer(X, *theta, out=sigmoid),
             "applies σ to the output too: only the hidden neurons apply σ; the output layer φ² stays affine, "
             "so that N can take any real value"),
            (_one_hidden_layer(X, *theta, hidden=lambda a: a),
             "has no activation: without σ on the hidden layer the network collapses to one affine map (notebook 02)"),
            (_one_hidden_layer(X, *theta, hidden=lambda a: np.maximum(a, 0)),
             "uses ReLU; this exercise asks for the sigmoid σ as the activation"),
            (_one_hidden_layer(X, *theta, hidden=np.tanh), "uses tanh; this exercise asks for the sigmoid σ"),
            (_one_hidden_layer(X, w1, zero1, w2, b2), "leaves out theta_b1, the bias of the hidden layer"),
            (_one_hidden_layer(X, w1, b1, w2, zero2), "leaves out theta_b2, the bias of the output layer"),
            (_one_hidden_layer(X, w1.T, b1, w2.T, b2),
             "uses theta_w1 and theta_w2 as if they had one column per neuron: they have one row per neuron "
             "(theta_w1 has shape (n_1, n_0)), and X has one row per sample; which index of theta_w1 must meet "
             "the features of a sample?"),
            (_one_hidden_layer(X, w1.T, b1, w2, b2),
             "uses theta_w1 as if it had one column per hidden neuron: it has one row per hidden neuron, shape "
             "(n_1, n_0), and X has one row per sample; which index of theta_w1 must meet the features of a sample?"),
            (_one_hidden_layer(X, w1, b1, w2.T, b2),
             "gets the hidden layer right but uses theta_w2 as if it had one column per output: it has one row "
             "per output, shape (n_2, n_1); treat it as you treated theta_w1"),
        ]
        hint = expect.slip(got, slips)
        if hint:
            raise Wrong(f"one_hidden_layer for sizes {sizes} {hint}")
        expect.array(got, expected, what, where=lambda i: f"for the sample X[{i[0]}], output {i[1]}",
                     hint="Work out one sample first: for one row x of X, which products of "
                                               "theta_w1 with x give the n_1 hidden pre-activations?")
    return ("your forward pass for a batch of rows gives exactly what mlp.fully_connected(..., 'sigmoid') computes "
            "with the same θ.")


def _random_sizes(t) -> list[int]:
    return [int(n) for n in t.rng.integers(1, 60, size=int(t.rng.integers(2, 6)))]


@exercise("3.4", "count_parameters",
          answer=("mlp.network.fully_connected", "mlp.network.Sequential", "mlp.layers.Linear", "mlp.layers.count_params"),
          task="count the parameters from the widths alone, without building a network")
def check_count_parameters(t, count_parameters):
    """count_parameters(sizes) must return the number of weights and biases of fully_connected(sizes), a whole
    number (an int, or a float such as 4993.0)."""
    for sizes in ([1, 1], [11, 64, 64, 1], [1, 8, 1], [3, 5, 7, 2], [784, 100, 10], _random_sizes(t),
                  _random_sizes(t)):
        what = f"count_parameters({sizes})"
        got, (sizes_after,) = t.call(count_parameters, list(sizes), what=what, return_args=True)
        if list(sizes_after) != list(sizes):
            raise Wrong(f"{what} changed its input sizes: count without changing the list")
        answer = expect.integer(got, what)  # 4993.0 counts as 4,993
        expected = fully_connected(sizes, rng=0).n_params
        if answer == expected:
            continue
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        layers = len(sizes) - 1
        slips = [(weights, "counts the weights only: every neuron of the hidden and output layers also has a bias"),
                 (weights + sum(sizes), "gives the inputs a bias too: only the neurons of the hidden and output "
                                        "layers have one"),
                 (weights + layers, "counts one bias per layer: every neuron of a layer has a bias of its own"),
                 (sum(sizes), "counts the neurons, not the parameters"),
                 (sum((a + 1) * (b + 1) for a, b in zip(sizes[:-1], sizes[1:])),
                  "counts a bias for the inputs of every layer as well as for its outputs"),
                 (sum((a + 1) * b for a, b in zip(sizes[:-2], sizes[1:-1])), "leaves out the output layer")]
        hint = next((why for wrong, why in slips if answer == wrong and wrong != expected), None)
        raise Wrong(f"{what} = {answer} {hint}" if hint else
                    f"{what} = {answer}, but the network has {expected:,} parameters: count layer by layer, "
                    "how many numbers do θ_w^i and θ_b^i of φ^i: R^(n_(i−1)) → R^(n_i) hold?")
    return ("you count the parameters as mlp does, weights and biases, for any list of widths; "
            "[11, 64, 64, 1] has 4,993.")


scoreboard = scoreboard_for(__name__)
