"""mlp.graph_plot: the compute-graph picture shows what it claims (values, gradients, local gradients, highlight)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from mlp.graph import Add, Graph, Input, Multiply, backprop_example  # noqa: E402
from mlp.graph_plot import HIGHLIGHT_COLOR, draw_graph, layout, number  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def texts(ax):
    return [t.get_text() for t in ax.texts]


def evaluated(x=-2.0, y=5.0, z=-4.0, backward=True):
    graph = backprop_example()
    graph.forward(x=x, y=y, z=z)
    if backward:
        graph.backward()
    return graph


def test_number_uses_a_real_minus_sign_and_four_digits():
    assert number(-78.0) == "−78"
    assert number(2 / 3) == "0.6667"


def test_layout_puts_inputs_left_and_every_node_right_of_its_inputs():
    graph = backprop_example()
    position = layout(graph)
    assert [position[name][0] for name in ("x", "y", "z")] == [0.0, 0.0, 0.0]
    for node in graph.nodes:
        for source in node.inputs:
            assert position[source.name][0] < position[node.name][0]
    assert len(set(position.values())) == len(position)


def test_layout_refuses_nodes_with_the_same_name():
    x, y = Input("x"), Input("y")
    graph = Graph(Multiply(Add(x, y, name="s"), y, name="s"))  # two operation nodes called "s"
    with pytest.raises(ValueError, match="nodes share names \\['s'\\]: give every node its own name="):
        layout(graph)


def test_forward_picture_shows_the_lecture_values_and_no_gradients(ax):
    draw_graph(ax, evaluated(backward=False))
    shown = texts(ax)
    for label in ("x = −2", "y = 5", "z = −4", "d = 3", "e = −12", "L = 169", "d = x + y", "e = d · z"):
        assert label in shown
    assert not any("∂" in t for t in shown)
    assert ax.get_title() and ax.get_xlabel()


def test_backward_picture_shows_the_lecture_gradients_on_nodes_and_edges(ax):
    draw_graph(ax, evaluated())
    shown = texts(ax)
    for label in ("∂L/∂x = 104", "∂L/∂y = 104", "∂L/∂z = −78", "∂L/∂e = −26", "∂L/∂L = 1"):
        assert label in shown
    # edges: z → e carries the value −4 and sends back ∂e/∂z · ∂L/∂e = 3 · (−26) = −78
    assert "−4" in shown and "−78" in shown
    assert not any(t.startswith("∂e/∂") for t in shown)  # local gradients only on request


def test_local_gradients_are_written_on_the_edges_when_asked(ax):
    draw_graph(ax, evaluated(), local=True)
    shown = texts(ax)
    for label in ("∂e/∂d = −4", "∂e/∂z = 3", "∂d/∂x = 1", "∂L/∂e = −26"):
        assert label in shown
    assert "purple" in ax.get_xlabel()


def test_partial_state_shows_question_marks_for_unknown_values(ax):
    graph = evaluated()
    draw_graph(ax, graph, values={"x": -2.0, "y": 5.0}, grads={})
    shown = texts(ax)
    assert "x = −2" in shown and "d = ?" in shown and "L = ?" in shown
    assert "d = 3" not in shown and not any("∂" in t for t in shown)


def test_highlighted_node_is_orange_and_the_others_are_not(ax):
    draw_graph(ax, evaluated(), highlight="e")
    orange = mcolors.to_rgba(HIGHLIGHT_COLOR)
    fills = [tuple(c.get_facecolors()[0]) for c in ax.collections]
    assert fills.count(orange) == 1
    assert len(fills) == 6


@pytest.mark.parametrize("kwargs, message", [
    ({"highlight": "q"}, "highlight names \\['q'\\]"),
    ({"values": {"w": 1.0}}, "values names \\['w'\\]"),
    ({"grads": {"w": 1.0}}, "grads names"),
])
def test_unknown_node_names_are_reported(ax, kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_graph(ax, evaluated(), **kwargs)


def test_a_node_instead_of_a_graph_gets_a_clear_error(ax):
    with pytest.raises(TypeError, match="Graph\\(node\\)"):
        draw_graph(ax, Input("x"))


def test_fan_out_edges_each_carry_their_own_share(ax):
    # f = x · x + x at x = 3: the two product edges each send back x · 1 = 3, the direct edge 1; ∂f/∂x = 2x + 1 = 7
    x = Input("x")
    graph = Graph(Add(Multiply(x, x, name="p"), x, name="f"))
    graph.forward(x=3.0)
    graph.backward()
    draw_graph(ax, graph)
    shown = texts(ax)
    assert "∂f/∂x = 7" in shown
    assert shown.count("3") >= 3 and "1" in shown


def test_number_shows_zero_without_a_sign():
    assert number(-0.0) == "0"


@settings(max_examples=10, deadline=None)
@given(*(st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 2)) for _ in range(3)))
def test_drawn_gradients_match_the_derivative_of_the_formula(x, y, z):
    e = (x + y) * z
    graph = evaluated(x, y, z)
    fig, ax = plt.subplots()
    try:
        draw_graph(ax, graph)
        shown = texts(ax)
    finally:
        plt.close(fig)
    assert f"∂L/∂x = {number(2 * (e - 1) * z)}" in shown
    assert f"∂L/∂z = {number(2 * (e - 1) * (x + y))}" in shown


def test_the_key_below_the_picture_names_only_the_colours_it_shows():
    import matplotlib.pyplot as plt
    graph = backprop_example()
    graph.forward(x=-2, y=5, z=-4)
    fig, ax = plt.subplots()
    assert "(red)" not in draw_graph(ax, graph).ax.get_xlabel()
    graph.backward()
    assert "(red)" in draw_graph(ax, graph).ax.get_xlabel()
    plt.close(fig)


def edge_texts(drawing, source, user):
    edge = next(e for e in drawing.edges if e.source.name == source and e.user.name == user)
    return edge.value.get_text(), edge.sent.get_text(), edge.local.get_text()


def test_an_edge_carries_its_gradient_only_once_its_source_has_its_gradient(ax):
    # d has its gradient, x not yet: the edge x → d shows x's value but not the 104 that d sends back
    drawing = draw_graph(ax, evaluated(), grads={"L": 1.0, "e": -26.0, "z": -78.0, "d": 104.0}, local=True)
    assert edge_texts(drawing, "x", "d") == ("−2", "", "")
    assert edge_texts(drawing, "d", "e") == ("3", "104", "∂e/∂d = −4")
    assert "∂L/∂d = 104" in texts(ax) and "∂L/∂x = 104" not in texts(ax)


def test_show_changes_the_numbers_in_place_and_sent_controls_the_edge_values(ax):
    graph = evaluated()
    drawing = draw_graph(ax, graph, values={}, grads={}, key_for=(True, True))
    assert "purple" in ax.get_xlabel() and not any(t.get_text() for t in drawing.grads.values())
    count = len(ax.texts)
    drawing.show({"x": -2.0, "y": 5.0, "z": -4.0}, {}, sent=["x"], highlight="x", title="step 1")
    assert len(ax.texts) == count and ax.get_title() == "step 1"   # no new artists, the same ones changed
    assert edge_texts(drawing, "x", "d")[0] == "−2" and edge_texts(drawing, "y", "d")[0] == ""
    assert drawing.values["y"].get_text() == "y = 5" and drawing.values["d"].get_text() == "d = ?"
    drawing.show()  # every value and gradient of the graph
    assert drawing.grads["x"].get_text() == "∂L/∂x = 104" and edge_texts(drawing, "x", "d")[1] == "104"
    with pytest.raises(ValueError, match="sent names \\['d'\\] whose values are not given"):
        drawing.show({"x": -2.0}, {}, sent=["d"])
