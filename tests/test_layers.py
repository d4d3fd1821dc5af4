"""Layers: shapes, gradients against finite differences, overwrite semantics, dtypes, Sigmoid and ReLU details."""
import warnings

import numpy as np
import pytest

import mlp
from mlp.gradcheck import TOLERANCE, check_layer
from mlp.layers import Identity, Linear, ReLU, Sigmoid, Tanh, backward_params, make_activation, sigmoid

ACTIVATIONS = list(mlp.ACTIVATIONS.values())  # every activation of the registry


def away_from_kink(shape, seed=0, margin=0.1):
    """Random float64 values with |x| >= margin, so ReLU is differentiable at every entry."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


def all_layers():
    return [Linear(4, 3, rng=1), ReLU(), Sigmoid(), Tanh(), Identity()]


# --- forward shapes -------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 5])
def test_linear_maps_a_batch_of_n_in_features_to_n_out(n):
    layer = Linear(4, 3, rng=0)
    assert layer.forward(away_from_kink((n, 4))).shape == (n, 3)
    assert layer.params["weight"].shape == (3, 4)
    assert layer.params["bias"].shape == (3,)


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_activations_keep_the_shape(cls):
    x = away_from_kink((5, 7))
    assert cls().forward(x).shape == (5, 7)


def test_linear_forward_is_x_times_weight_transposed_plus_bias_row_by_row():
    layer = Linear(3, 2, rng=0)
    layer.params["bias"][:] = [0.5, -1.0]
    x = away_from_kink((4, 3))
    W, b = layer.params["weight"], layer.params["bias"]
    expected = np.array([[sum(W[i, k] * row[k] for k in range(3)) + b[i] for i in range(2)] for row in x])
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-14)


def test_activation_values():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0.0, 0.0, 0.5, 3.0]])
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x), rtol=1e-15)
    np.testing.assert_array_equal(Identity().forward(x), x)


# --- backward against finite differences --------------------------------------------------------

@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: type(layer).__name__)
def test_backward_agrees_with_finite_differences(layer):
    if isinstance(layer, Linear):
        layer.params["bias"][:] = [0.3, -0.2, 0.1]  # a nonzero bias, so a bias bug cannot hide
    report = check_layer(layer, away_from_kink((5, 4), seed=2))
    assert report, str(report)
    assert {c.name for c in report.checks} == {"x", *layer.params}
    assert all(c.error < TOLERANCE for c in report.checks)


def centred_differences(f, x, h=1e-6):
    """Our own centred differences of the scalar f(x) with respect to every entry of x (no mlp code)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def test_linear_backward_agrees_with_our_own_centred_differences():
    rng = np.random.default_rng(3)
    layer = Linear(4, 3, rng=rng)
    layer.params["bias"][:] = rng.standard_normal(3)
    W, b = layer.params["weight"].copy(), layer.params["bias"].copy()
    x = rng.standard_normal((5, 4))
    g = rng.standard_normal((5, 3))  # E = Σ z ⊙ g, so dE/dz = g

    def E(x_=x, W_=W, b_=b):
        return float(np.sum((x_ @ W_.T + b_) * g))

    layer.forward(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, centred_differences(lambda v: E(x_=v), x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(layer.grads["weight"], centred_differences(lambda v: E(W_=v), W), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(layer.grads["bias"], centred_differences(lambda v: E(b_=v), b), rtol=1e-7, atol=1e-9)


def test_linear_gradients_have_the_closed_form_of_the_lecture():
    rng = np.random.default_rng(4)
    layer, x, dz = Linear(3, 2, rng=rng), rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    layer.forward(x)
    dx = layer.backward(dz)
    # dE/dθ_w[i, k] = Σ_j dz[j, i] x[j, k], dE/dθ_b[i] = Σ_j dz[j, i], dE/dx[j, k] = Σ_i dz[j, i] θ_w[i, k]
    np.testing.assert_allclose(layer.grads["weight"], np.einsum("ji,jk->ik", dz, x), rtol=1e-13)
    np.testing.assert_allclose(layer.grads["bias"], dz.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(dx, np.einsum("ji,ik->jk", dz, layer.params["weight"]), rtol=1e-13)


# --- backward overwrites ------------------------------------------------------------------------

@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: type(layer).__name__)
def test_backward_twice_after_one_forward_gives_the_same_result(layer):
    x = away_from_kink((5, 4), seed=5)
    dz = np.random.default_rng(6).standard_normal(layer.forward(x).shape)
    first = layer.backward(dz).copy()
    first_grads = {k: v.copy() for k, v in layer.grads.items()}
    second = layer.backward(dz)
    np.testing.assert_array_equal(second, first)
    assert layer.grads.keys() == first_grads.keys()
    for name in first_grads:
        np.testing.assert_array_equal(layer.grads[name], first_grads[name])


def test_linear_grads_after_a_new_forward_belong_to_the_new_batch_only():
    layer = Linear(2, 1, rng=0)
    x1, x2 = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]])
    layer.forward(x1)
    layer.backward(np.ones((1, 1)))
    layer.forward(x2)
    layer.backward(np.ones((1, 1)))
    np.testing.assert_array_equal(layer.grads["weight"], x2)
    np.testing.assert_array_equal(layer.grads["bias"], [1.0])


# --- the backward of a training step: dE/dθ without dE/dx ----------------------------------------

def test_backward_params_fills_the_same_parameter_gradients_as_backward():
    rng = np.random.default_rng(7)
    x, dz = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    full, skip = Linear(4, 3, rng=0), Linear(4, 3, rng=0)
    full.forward(x)
    full.backward(dz)
    skip.forward(x)
    skip.params["weight"] = None  # dE/dx = dz θ_w would need θ_w: backward_params must not compute it
    backward_params(skip, dz)
    for name in ("weight", "bias"):
        np.testing.assert_array_equal(skip.grads[name], full.grads[name])


def test_backward_params_calls_the_backward_a_subclass_wrote_itself():
    calls = []

    class Logged(Linear):
        def backward(self, dz):
            calls.append(dz.shape)
            return super().backward(dz)

    layer = Logged(2, 3, rng=0)
    layer.forward(np.ones((4, 2)))
    backward_params(layer, np.ones((4, 3)))
    assert calls == [(4, 3)]
    assert layer.grads["weight"].shape == (3, 2)


# --- dtype --------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [Linear(4, 3, rng=0, dtype=np.float32), ReLU(), Sigmoid(), Tanh(), Identity()],
                         ids=lambda layer: type(layer).__name__)
def test_float32_in_gives_float32_out_and_float32_gradients(layer):
    x = away_from_kink((5, 4)).astype(np.float32)
    z = layer.forward(x)
    assert z.dtype == np.float32
    dx = layer.backward(np.ones(z.shape, dtype=np.float32))
    assert dx.dtype == np.float32
    for name, grad in layer.grads.items():
        assert grad.dtype == np.float32, name
    for param in layer.params.values():
        assert param.dtype == np.float32


def test_float64_is_the_default():
    layer = Linear(2, 2, rng=0)
    assert layer.params["weight"].dtype == np.float64 and layer.params["bias"].dtype == np.float64


# --- Sigmoid --------------------------------------------------------------------------------------

def test_sigmoid_equals_e_to_the_z_over_e_to_the_z_plus_one():
    z = np.linspace(-30, 30, 241).reshape(-1, 1)
    direct = np.exp(z) / (np.exp(z) + 1)
    np.testing.assert_allclose(sigmoid(z), direct, rtol=1e-14, atol=0)
    np.testing.assert_allclose(Sigmoid().forward(z), direct, rtol=1e-14, atol=0)


def test_sigmoid_of_huge_arguments_neither_overflows_nor_warns():
    z = np.array([[-1e4, -800.0, -1.0, 0.0, 1.0, 800.0, 1e4]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = Sigmoid().forward(z)
        for dtype in (np.float32, np.float64):
            assert np.all(np.isfinite(sigmoid(z.astype(dtype))))
    assert np.all(np.isfinite(s))
    assert s[0, 0] == 0.0 and s[0, -1] == 1.0 and s[0, 3] == 0.5
    assert np.all(np.diff(s) >= 0)
    np.testing.assert_allclose(s[0, 2], np.exp(-1.0) / (np.exp(-1.0) + 1), rtol=1e-15)


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    z = np.linspace(-8, 8, 33).reshape(3, 11)
    layer = Sigmoid()
    s = layer.forward(z)
    np.testing.assert_allclose(layer.backward(np.ones_like(z)), s * (1 - s), rtol=1e-14)
    # and the same from finite differences of σ itself, with σ written out as e^z/(e^z+1)
    h = 1e-6
    f = lambda v: np.exp(v) / (np.exp(v) + 1)  # noqa: E731
    np.testing.assert_allclose(s * (1 - s), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-7, atol=1e-12)


def test_sigmoid_is_symmetric():
    z = np.linspace(-50, 50, 101).reshape(1, -1)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)


# --- ReLU -----------------------------------------------------------------------------------------

def test_relu_derivative_is_zero_at_the_kink_and_one_above_it():
    layer = ReLU()
    layer.forward(np.array([[-1.0, 0.0, 2.0], [0.0, -0.0, 1e-300]]))
    dx = layer.backward(np.full((2, 3), 5.0))
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 5.0], [0.0, 0.0, 5.0]])


def test_relu_has_no_parameters():
    layer = ReLU()
    layer.forward(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))
    assert layer.params == {} and layer.grads == {} and layer.n_params == 0


# --- Linear initialisation ------------------------------------------------------------------------

def test_linear_initialisation_is_seeded():
    a, b, c = Linear(5, 4, rng=42), Linear(5, 4, rng=42), Linear(5, 4, rng=43)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(Linear(5, 4, rng=g1).params["weight"], Linear(5, 4, rng=g2).params["weight"])


def test_linear_initialisation_has_the_documented_he_scale_and_zero_bias():
    n_in, n_out = 200, 500  # 100,000 weights: the sample std is within 1 % of the true one
    layer = Linear(n_in, n_out, rng=0)
    W = layer.params["weight"]
    assert abs(W.mean()) < 0.01 * np.sqrt(2 / n_in)
    assert W.std() == pytest.approx(np.sqrt(2 / n_in), rel=0.01)
    np.testing.assert_array_equal(layer.params["bias"], np.zeros(n_out))


def test_linear_without_seed_draws_fresh_weights():
    assert not np.array_equal(Linear(6, 6).params["weight"], Linear(6, 6).params["weight"])


def test_linear_repr_and_parameter_count():
    layer = Linear(11, 64, rng=0)
    assert repr(layer) == "Linear(11 -> 64)"
    assert layer.n_params == 11 * 64 + 64


def test_make_activation_by_name_case_insensitive():
    assert isinstance(make_activation("relu"), ReLU)
    assert isinstance(make_activation("Sigmoid"), Sigmoid)
    assert isinstance(make_activation("TANH"), Tanh)
    assert isinstance(make_activation("identity"), Identity)
    assert make_activation("relu") is not make_activation("relu")


def test_layers_are_callable_like_forward():
    layer = Linear(2, 2, rng=0)
    x = np.array([[1.0, -2.0]])
    np.testing.assert_array_equal(layer(x), layer.forward(x))
