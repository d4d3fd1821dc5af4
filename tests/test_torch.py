"""mlp against PyTorch autograd (float64): same forward values, same gradients. Skipped without torch."""
import numpy as np
import pytest

from mlp.layers import Linear
from mlp.losses import SquaredError
from mlp.network import fully_connected

torch = pytest.importorskip("torch")

TORCH_ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda t: t}


def torch_forward(net, X, activation):
    """The same network written with torch operations; returns (output, input tensor, parameter tensors)."""
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    params = {name: torch.tensor(p, dtype=torch.float64, requires_grad=True) for name, p in net.params.items()}
    z = x
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Linear):
            z = z @ params[f"{i}.weight"].T + params[f"{i}.bias"]
        else:
            z = TORCH_ACTIVATIONS[activation](z)
    return z, x, params


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("sizes", [[3, 1], [11, 64, 64, 1], [4, 7, 5, 3], [2, 8, 8, 8, 2]], ids=str)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_forward_and_backward_match_torch_autograd(activation, sizes, reduction):
    rng = np.random.default_rng(sum(sizes))
    net = fully_connected(sizes, activation=activation, rng=rng)
    for theta in net.params.values():
        theta += 0.1 * rng.standard_normal(theta.shape)
    X, y = rng.standard_normal((6, sizes[0])), rng.standard_normal((6, sizes[-1]))

    loss = SquaredError(reduction)
    E = loss.forward(net.forward(X), y)
    dx = net.backward(loss.backward())

    z, x_t, params_t = torch_forward(net, X, activation)
    E_t = ((z - torch.tensor(y)) ** 2).sum()
    if reduction == "mean":
        E_t = E_t / len(y)
    E_t.backward()

    np.testing.assert_allclose(net.forward(X), z.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert E == pytest.approx(E_t.item(), rel=1e-12)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=1e-10, atol=1e-13)
    assert net.grads.keys() == params_t.keys()
    for name, g in net.grads.items():
        np.testing.assert_allclose(g, params_t[name].grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=name)


def test_sigmoid_matches_torch_for_huge_arguments():
    from mlp.layers import sigmoid

    z = np.array([-1e4, -700.0, -50.0, -1.0, 0.0, 1.0, 50.0, 700.0, 1e4])  # torch flushes σ(−745) ≈ 5e-324 to 0
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(torch.tensor(z)).numpy(), rtol=1e-15, atol=0)
