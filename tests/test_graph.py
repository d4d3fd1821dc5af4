"""Scalar compute graphs: the lecture's backpropagation example, finite differences, fan-out, misuse."""
import numpy as np
import pytest

from mlp.graph import Add, Constant, Graph, Input, Multiply, Square, Subtract, backprop_example


def lecture_graph():
    """L = ((x + y) z − 1)² built node by node, as on the slides: d = x + y, e = d z, L = (e − 1)²."""
    x, y, z = Input("x"), Input("y"), Input("z")
    d = Add(x, y, name="d")
    e = Multiply(d, z, name="e")
    return Graph(Square(e, offset=1, name="L")), (x, y, z, d, e)


def L(x, y, z):
    return ((x + y) * z - 1) ** 2


@pytest.mark.parametrize("build", [lambda: lecture_graph()[0], backprop_example], ids=["by hand", "backprop_example"])
def test_the_lecture_example(build):
    # from the slides: d = 3, e = −12, L = (−13)² = 169; ∂L/∂e = 2(e − 1) = −26,
    # ∂L/∂x = ∂L/∂y = z · (−26) = 104, ∂L/∂z = d · (−26) = −78
    graph = build()
    assert graph.forward(x=-2, y=5, z=-4) == 169
    assert graph.backward() == {"x": 104, "y": 104, "z": -78}


def test_every_node_of_the_lecture_example_has_its_value_and_gradient():
    graph, (x, y, z, d, e) = lecture_graph()
    graph.forward(x=-2, y=5, z=-4)
    graph.backward()
    assert (d.value, e.value, graph.output.value) == (3, -12, 169)
    assert (graph.output.grad, e.grad, d.grad) == (1, -26, 104)
    assert (x.grad, y.grad, z.grad) == (104, 104, -78)


@pytest.mark.parametrize("seed", range(5))
def test_gradients_agree_with_finite_differences_at_random_points(seed):
    graph = backprop_example()
    point = dict(zip("xyz", np.random.default_rng(seed).uniform(-3, 3, 3)))
    graph.forward(**point)
    grads = graph.backward()
    h = 1e-6
    for name in "xyz":
        plus, minus = dict(point), dict(point)
        plus[name] += h
        minus[name] -= h
        numeric = (L(**plus) - L(**minus)) / (2 * h)
        assert grads[name] == pytest.approx(numeric, rel=1e-6, abs=1e-6)
    assert graph.output.value == pytest.approx(L(**point), rel=1e-15)


def test_backward_twice_gives_the_same_gradients():
    graph = backprop_example()
    graph.forward(x=1.5, y=-0.5, z=2.0)
    first = graph.backward()
    assert graph.backward() == first


def test_a_new_forward_then_backward_forgets_the_old_gradients():
    graph = backprop_example()
    graph.forward(x=-2, y=5, z=-4)
    graph.backward()
    graph.forward(x=1, y=1, z=1)  # d = 2, e = 2, L = 1, ∂L/∂e = 2
    assert graph.backward() == {"x": 2, "y": 2, "z": 4}


def test_a_node_used_twice_accumulates_its_gradient():
    x = Input("x")
    graph = Graph(Multiply(x, x, name="x²"))
    assert graph.forward(x=3.0) == 9.0
    assert graph.backward() == {"x": 6.0}
    assert graph.backward() == {"x": 6.0}  # and still does not accumulate across calls


def test_fan_out_through_two_paths():
    # f = (x + y) · x: ∂f/∂x = (x + y) + x, ∂f/∂y = x
    x, y = Input("x"), Input("y")
    graph = Graph(Multiply(Add(x, y), x))
    graph.forward(x=2.0, y=-5.0)
    assert graph.backward() == {"x": -1.0, "y": 2.0}


def test_subtract_constant_and_square():
    a, b = Input("a"), Input("b")
    f = Square(Subtract(Multiply(a, Constant(3.0)), b), name="f")  # (3a − b)²
    graph = Graph(f)
    assert graph.forward(a=2.0, b=1.0) == 25.0
    assert graph.backward() == {"a": 30.0, "b": -10.0}  # 2(3a − b)·3, −2(3a − b)
    assert set(graph.inputs) == {"a", "b"}  # a Constant is no input


def test_formulas_and_steps():
    graph, (x, y, z, d, e) = lecture_graph()
    assert d.formula() == "d = x + y"
    assert e.formula() == "e = d · z"
    assert graph.output.formula() == "L = (e − 1)²"
    steps = graph.steps()
    assert [kind for kind, _ in steps] == ["forward"] * 6 + ["backward"] * 6
    forward_names = [node.name for _, node in steps[:6]]
    assert forward_names.index("d") > max(forward_names.index("x"), forward_names.index("y"))
    assert forward_names[-1] == "L"
    assert [node.name for _, node in steps[6:]] == forward_names[::-1]


def test_inputs_may_be_numpy_numbers():
    graph = backprop_example()
    assert graph.forward(x=np.float64(-2), y=np.int64(5), z=np.float32(-4)) == 169
    assert graph.backward() == {"x": 104, "y": 104, "z": -78}


# --- misuse ---------------------------------------------------------------------------------------

def test_missing_input_is_named():
    with pytest.raises(ValueError, match=r"input 'z' has no value.*forward\(z="):
        backprop_example().forward(x=1.0, y=2.0)


def test_unknown_input_names_the_graphs_inputs():
    with pytest.raises(ValueError, match=r"unknown input\(s\) \['w'\].*\['x', 'y', 'z'\]"):
        backprop_example().forward(x=1.0, y=2.0, z=3.0, w=4.0)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        backprop_example().backward()


@pytest.mark.parametrize("value", ["2", None, [1.0], float("nan"), float("inf"), True])
def test_an_input_that_is_not_a_finite_number(value):
    with pytest.raises(TypeError, match="input x must be a finite number"):
        backprop_example().forward(x=value, y=1.0, z=1.0)


def test_nodes_take_nodes_not_numbers():
    with pytest.raises(TypeError, match="wrap numbers in Input or Constant"):
        Add(Input("x"), 2.0)
    with pytest.raises(TypeError, match="output node"):
        Graph(3.0)


def test_two_inputs_with_one_name_are_refused():
    with pytest.raises(ValueError, match=r"share names \['x'\].*Multiply\(x, x\)"):
        Graph(Multiply(Input("x"), Input("x")))
