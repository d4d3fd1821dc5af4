"""The lecture's layer protocol: any object with forward, backward, params and grads is a layer.

A student's own class (no mlp base class) goes into a Sequential beside mlp's layers, passes the
gradient check and trains; a Sequential nests like a layer; what a layer of one's own returns wrong
is named; the activation registry takes arguments; train's callback sees every k-th iterate.
"""
import numpy as np
import pytest

import mlp
from mlp.collapse import linear_stack, rank_bound
from mlp.gradcheck import check_layer, check_network
from mlp.layers import ACTIVATIONS, Layer, LeakyReLU, Linear, ReLU, make_activation
from mlp.network import Sequential, fully_connected


class StudentSigmoid:
    """A sigmoid layer as a student writes it in the backpropagation notebook: no base class."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x):
        self.s = 1 / (1 + np.exp(-x))
        return self.s

    def backward(self, dz):
        return dz * self.s * (1 - self.s)


class StudentLinear:
    """An affine layer written from the lecture's pseudocode, parameters in params, gradients in grads."""

    def __init__(self, n_in, n_out, rng):
        self.params = {"weight": rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), "bias": np.zeros(n_out)}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, dz):
        self.grads["weight"] = dz.T @ self.x
        self.grads["bias"] = dz.sum(axis=0)
        return dz @ self.params["weight"]


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, np.sin(X @ np.array([[1.0], [-0.5], [0.25]]))


def test_a_students_layer_is_a_layer_by_the_protocol():
    assert isinstance(StudentSigmoid(), Layer)
    assert isinstance(mlp.Sigmoid(), Layer) and isinstance(fully_connected([2, 1], rng=0), Layer)
    assert not isinstance(np.tanh, Layer)


def test_a_students_layers_train_inside_a_sequential_beside_mlps_layers():
    X, y = data()
    rng = np.random.default_rng(1)
    net = Sequential([Linear(3, 8, rng=rng), StudentSigmoid(), StudentLinear(8, 1, rng)])
    assert check_network(net, mlp.SquaredError(), X, y)
    history = mlp.train(net, mlp.SquaredError("mean"), X, y, step_size=0.5, num_steps=300, progress=False)
    assert history.costs[-1] < 0.5 * history.costs[0]


def test_the_same_network_from_mlps_layers_and_from_the_students_gives_the_same_training():
    X, y = data()
    theirs = fully_connected([3, 8, 1], activation=StudentSigmoid, rng=2)
    ours = fully_connected([3, 8, 1], activation="sigmoid", rng=2)
    assert isinstance(theirs.layers[1], StudentSigmoid)
    costs = [mlp.train(net, mlp.SquaredError(), X, y, 0.01, 50, progress=False).costs for net in (theirs, ours)]
    np.testing.assert_allclose(costs[0], costs[1], rtol=1e-12)


def test_a_students_layer_passes_check_layer_and_a_wrong_one_fails():
    x = np.random.default_rng(3).standard_normal((4, 5))
    assert check_layer(StudentSigmoid(), x)

    class Wrong(StudentSigmoid):
        def backward(self, dz):
            return dz * self.s  # forgot (1 − σ)

    assert not check_layer(Wrong(), x)


def test_a_nested_sequential_is_a_layer_with_prefixed_keys_and_right_gradients():
    X, y = data()
    inner = fully_connected([3, 4, 4], activation="tanh", rng=4)
    net = Sequential([inner, mlp.Tanh(), Linear(4, 1, rng=5)])
    assert net.n_in == 3 and net.n_out == 1
    assert "0.0.weight" in net.params and "2.bias" in net.params
    assert net.n_params == inner.n_params + 5
    assert check_network(net, mlp.SquaredError(), X, y)
    assert "Sequential(" in repr(net).split("\n", 2)[1]


def test_sizes_are_checked_across_nested_networks():
    with pytest.raises(ValueError, match=r"layer 1 \(Linear\(5 -> 1\)\) expects 5 inputs but the layer before it gives 4"):
        Sequential([fully_connected([3, 4], rng=0), Linear(5, 1, rng=0)])


@pytest.mark.parametrize("backward, message", [
    (lambda self, dz: None, r"layer 1 \(Bad\)\.backward returned None: did you forget the return statement\?"),
    (lambda self, dz: (dz * self.s).tolist(), r"layer 1 \(Bad\)\.backward returned a list, not a numpy array"),
    (lambda self, dz: (dz * self.s)[:, :2], r"layer 1 \(Bad\)\.backward returned shape \(6, 2\), but its input had shape \(6, 4\)"),
])
def test_what_a_students_layer_returns_wrong_is_named_with_the_layer(backward, message):
    Bad = type("Bad", (StudentSigmoid,), {"backward": backward})
    net = Sequential([Linear(3, 4, rng=0), Bad(), Linear(4, 1, rng=0)])
    net.forward(np.ones((6, 3)))
    with pytest.raises((TypeError, ValueError), match=message):
        net.backward(np.ones((6, 1)))


def test_a_students_forward_returning_none_is_named():
    Bad = type("Bad", (StudentSigmoid,), {"forward": lambda self, x: None})
    with pytest.raises(TypeError, match=r"layer 0 \(Bad\)\.forward returned None"):
        Sequential([Bad()]).forward(np.ones((2, 2)))


def test_a_layer_missing_members_is_refused_with_what_it_lacks():
    class NoGrads:
        params = {}

        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"layer 0 \(NoGrads\) is not a layer: it has no backward, grads"):
        Sequential([NoGrads()])


def test_nan_given_to_a_network_is_refused_and_a_single_layer_lets_it_through_as_numpy_does():
    x = np.array([[1.0, np.nan]])
    with pytest.raises(ValueError, match=r"x contains NaN or infinity \(first at index \(0, 1\)"):
        fully_connected([2, 3, 1], rng=0).forward(x)
    for layer in (ReLU(), Linear(2, 1, rng=0)):
        assert np.isnan(layer.forward(x)).any()


def test_training_a_single_layer_on_bad_data_blames_the_data_not_the_step_size():
    X = np.array([[1.0, 2.0], [np.inf, 0.0]])
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        mlp.train(Linear(2, 1, rng=0), mlp.SquaredError(), X, np.ones((2, 1)), 0.1, 5, progress=False)


def test_every_registered_activation_passes_the_gradient_check_away_from_its_kink():
    x = np.random.default_rng(6).standard_normal((5, 4))
    x = np.where(x >= 0, x + 0.1, x - 0.1)
    for name, cls in ACTIVATIONS.items():
        assert check_layer(cls(), x), name


def test_leaky_relu_takes_its_slope_through_fully_connected():
    net = fully_connected([1, 3, 1], "leaky_relu", rng=0, slope=0.2)
    assert isinstance(net.layers[1], LeakyReLU) and net.layers[1].slope == 0.2
    np.testing.assert_allclose(LeakyReLU(0.2).forward(np.array([[-1.0, 2.0]])), [[-0.2, 2.0]])
    with pytest.raises(TypeError, match=r"LeakyReLU takes the arguments \['slope'\], got \['slop'\]"):
        make_activation("leaky_relu", slop=0.2)
    with pytest.raises(ValueError, match=r"0 <= slope < 1"):
        LeakyReLU(1.5)


def test_train_calls_back_every_k_steps_and_at_the_last_iterate_with_the_model_at_that_iterate():
    X, y = data()
    net = fully_connected([3, 4, 1], rng=0)
    seen = []
    history = mlp.train(net, mlp.SquaredError(), X, y, 0.01, 25, progress=False, every=10,
                        callback=lambda k, cost: seen.append((k, cost, mlp.SquaredError().forward(net.forward(X), y))))
    assert [k for k, _, _ in seen] == [0, 10, 20, 25]
    for k, cost, measured in seen:
        assert cost == history.costs[k] == pytest.approx(measured, rel=1e-12)


def test_a_gradient_that_overflows_is_reported_as_the_gradient():
    class Huge(StudentLinear):
        def backward(self, dz):
            super().backward(dz)
            self.grads["weight"] = np.full_like(self.params["weight"], np.inf)
            return dz @ self.params["weight"]

    layer = Huge(2, 1, np.random.default_rng(0))
    with pytest.raises(mlp.DivergenceError, match=r"diverged at step 0 \(‖∇E‖ overflowed to inf while E = "):
        mlp.train(layer, mlp.SquaredError(), np.ones((3, 2)), np.ones((3, 1)), 0.1, 3, progress=False)


@pytest.mark.parametrize("call", [lambda: linear_stack(11), lambda: rank_bound(11), lambda: fully_connected(11)])
def test_a_single_number_for_sizes_gets_the_same_lesson_everywhere(call):
    with pytest.raises(TypeError, match=r"sizes must be a list of layer widths \[n_inputs, \.\.\., n_outputs\]"):
        call()


def test_a_students_layer_is_shown_by_its_name_in_the_networks_repr():
    text = repr(Sequential([Linear(2, 3, rng=0), StudentSigmoid()]))
    assert "(1) StudentSigmoid()" in text and " at 0x" not in text


# --- one public path: Sequential and train reach every layer through forward and backward -----------

class Square(mlp.layers.Layer):
    """A parameter-free activation that subclasses the protocol explicitly and sets no params or grads."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dz):
        return 2 * self.x * dz


def test_an_explicit_subclass_of_layer_without_params_works_like_any_layer():
    X, y = data()
    a, b = Square(), Square()
    assert isinstance(a, Layer) and a.params == {} and a.grads == {} and a.params is not b.params
    net = Sequential([Linear(3, 4, rng=0), a, Linear(4, 1, rng=1)])
    assert check_network(net, mlp.SquaredError(), X, y)
    assert "1.weight" not in net.params and net.n_params == 3 * 4 + 4 + 4 + 1
    assert "(1) Square()" in repr(net)
    history = mlp.train(net, mlp.SquaredError("mean"), X, y, step_size=0.01, num_steps=200, progress=False)
    assert history.costs[-1] < 0.5 * history.costs[0]


def test_a_subclass_of_layer_may_still_set_its_own_params():
    class Scale(mlp.layers.Layer):
        def __init__(self):
            self.params, self.grads = {"s": np.array([2.0])}, {}

        def forward(self, x):
            self.x = x
            return self.params["s"] * x

        def backward(self, dz):
            self.grads["s"] = np.array([np.sum(dz * self.x)])
            return self.params["s"] * dz

    layer = Scale()
    assert check_layer(layer, np.random.default_rng(0).standard_normal((3, 2)))
    assert Sequential([layer]).params == {"0.s": layer.params["s"]}


def test_sequential_and_train_call_the_public_forward_and_backward_of_mlps_own_layers():
    calls = []

    class Watched(mlp.Tanh):
        def forward(self, x):
            calls.append("forward")
            return super().forward(x)

        def backward(self, dz):
            calls.append("backward")
            return super().backward(dz)

    X, y = data()
    net = Sequential([Linear(3, 4, rng=0), Watched(), Linear(4, 1, rng=1)])
    mlp.train(net, mlp.SquaredError(), X, y, step_size=0.001, num_steps=3, progress=False)
    assert calls == ["forward", "backward"] * 4


def test_a_network_that_overflows_inside_gives_nan_and_trains_into_a_divergence_error():
    net = fully_connected([2, 3, 3, 1], rng=0)
    net.layers[0].params["weight"][...] = 1e308
    X = np.full((4, 2), 10.0)
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.isfinite(net.forward(X)).any()
    with pytest.raises(mlp.DivergenceError, match=r"diverged at step 0 \(E = nan\)"):
        mlp.train(net, mlp.SquaredError(), X, np.ones((4, 1)), 0.1, 3, progress=False)


def test_nan_in_the_data_is_still_blamed_on_the_data_inside_a_network():
    X = np.ones((3, 2))
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at index \(1, 0\)"):
        mlp.train(fully_connected([2, 3, 1], rng=0), mlp.SquaredError(), X, np.ones((3, 1)), 0.1, 3, progress=False)
