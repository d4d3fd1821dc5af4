"""draw_network: one circle per neuron, an edge per weight, coloured by the weights, updated in place."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PatchCollection  # noqa: E402

import mlp  # noqa: E402
from mlp.plots import NEGATIVE, POSITIVE, draw_network  # noqa: E402


def circles(ax):
    return [len(c.get_paths()) for c in ax.collections if isinstance(c, PatchCollection)]


def edges(ax):
    return [len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection)]


def texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_one_circle_per_neuron_and_one_edge_per_weight():
    diagram = draw_network([3, 5, 2])
    assert circles(diagram.ax) == [3, 5, 2]
    assert edges(diagram.ax) == [15, 10]
    assert texts(diagram.ax).count("σ") == 5                 # every hidden neuron applies the activation
    assert "x₃" in texts(diagram.ax)


def test_the_lectures_linear_regression_has_no_hidden_layer_and_names_its_output():
    diagram = draw_network([11, 1])
    assert edges(diagram.ax) == [8]                          # 8 of 11 inputs drawn, ⋮ between
    assert "⋮" in texts(diagram.ax) and "N(x; θ)" in texts(diagram.ax)
    assert "linear regression" in diagram.ax.get_title()


def test_a_network_gives_its_activation_and_its_weights_colours():
    net = mlp.fully_connected([2, 3, 1], "tanh", rng=0)
    diagram = draw_network(net)
    assert any("3 × Tanh" in t for t in texts(diagram.ax))
    w = net.layers[0].params["weight"]
    colors = diagram.edges[0].get_colors()
    expected = [matplotlib.colors.to_rgb(POSITIVE if v >= 0 else NEGATIVE) for v in w.ravel()]
    np.testing.assert_allclose(colors[:, :3], expected)
    widths = diagram.edges[0].get_linewidths()
    assert widths[np.argmax(np.abs(w.ravel()))] == pytest.approx(3.0)


def test_update_recolours_in_place_without_new_artists():
    net = mlp.fully_connected([2, 3, 1], rng=0)
    diagram = draw_network(net)
    before = len(diagram.ax.collections)
    net.layers[0].params["weight"] *= -1
    diagram.update(net)
    assert len(diagram.ax.collections) == before
    w = net.layers[0].params["weight"].ravel()
    np.testing.assert_allclose(diagram.edges[0].get_colors()[:, :3],
                               [matplotlib.colors.to_rgb(POSITIVE if v >= 0 else NEGATIVE) for v in w])


def test_wide_layers_are_drawn_with_an_ellipsis():
    diagram = draw_network(mlp.fully_connected([11, 64, 1], rng=0), max_neurons=7)
    assert circles(diagram.ax) == [6, 6, 1] and texts(diagram.ax).count("⋮") == 2


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="sizes must be a list of layer widths"):
        draw_network(11)
    with pytest.raises(ValueError, match="at least one Linear layer"):
        draw_network(mlp.Sequential([mlp.ReLU()]))


def test_a_stack_of_affine_layers_has_no_activation_in_its_hidden_neurons():
    from mlp.collapse import linear_stack
    diagram = draw_network(linear_stack([3, 4, 1], rng=0))
    assert "σ" not in texts(diagram.ax)
    assert any("no activation" in t for t in texts(diagram.ax))
