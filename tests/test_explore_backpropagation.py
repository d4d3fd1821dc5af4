"""mlp.explore.backpropagation: the step-through's state after every step, its texts, and the explorer widget."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from mlp.explore.backpropagation import BackpropExplorer, backprop_state  # noqa: E402
from mlp.graph import Add, Graph, Input, Multiply, backprop_example  # noqa: E402

LECTURE = {"x": -2.0, "y": 5.0, "z": -4.0}
coordinate = st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 2))


def states(**inputs):
    graph = backprop_example()
    n = len(graph.steps())
    return [backprop_state(graph, step, **inputs) for step in range(n + 1)]


def test_step_zero_knows_only_the_given_inputs():
    state = states(**LECTURE)[0]
    assert state["phase"] == "start" and state["node"] is None
    assert state["values"] == LECTURE and state["sent"] == [] and state["grads"] == {}
    assert state["n_steps"] == 12
    assert "x = −2, y = 5, z = −4 are given" in state["text"]


def test_at_step_zero_moving_an_input_changes_what_is_shown():
    a, b = states(**LECTURE)[0], states(**(LECTURE | {"x": 1.0}))[0]
    assert a["values"] != b["values"] and a["text"] != b["text"]


def test_every_step_does_exactly_one_thing_forward_first():
    all_states = states(**LECTURE)
    for before, after in zip(all_states, all_states[1:]):
        new_sent = set(after["sent"]) - set(before["sent"])
        new_grads = set(after["grads"]) - set(before["grads"])
        assert len(new_sent) + len(new_grads) == 1
        assert {after["node"]} == new_sent | new_grads
        assert after["phase"] == ("forward" if new_sent else "backward")
        assert set(after["values"]) - set(before["values"]) <= new_sent  # an input's value was known already
    phases = [s["phase"] for s in all_states[1:]]
    assert phases == ["forward"] * 6 + ["backward"] * 6
    assert all_states[6]["values"].keys() == {"x", "y", "z", "d", "e", "L"}


def test_the_backward_pass_starts_at_the_output_and_ends_at_inputs():
    order = [s["node"] for s in states(**LECTURE)[7:]]
    assert order[0] == "L"
    assert set(order[-2:]) <= {"x", "y", "z"}
    assert order.index("e") < order.index("d") < order.index("x")


def test_last_state_has_the_lecture_gradients():
    last = states(**LECTURE)[-1]
    assert last["values"]["L"] == 169
    assert {k: last["grads"][k] for k in "xyz"} == {"x": 104, "y": 104, "z": -78}


@settings(max_examples=30, deadline=None)
@given(coordinate, coordinate, coordinate)
def test_states_agree_with_the_formulas(x, y, z):
    all_states = states(x=x, y=y, z=z)
    d, e = x + y, (x + y) * z
    after_forward = all_states[6]
    assert after_forward["values"]["d"] == pytest.approx(d)
    assert after_forward["values"]["L"] == pytest.approx((e - 1) ** 2)
    assert after_forward["grads"] == {}
    assert all_states[0]["values"] == {"x": x, "y": y, "z": z}
    grads = all_states[-1]["grads"]
    assert grads["x"] == pytest.approx(2 * (e - 1) * z)
    assert grads["y"] == pytest.approx(2 * (e - 1) * z)
    assert grads["z"] == pytest.approx(2 * (e - 1) * d)


def test_step_texts_write_out_the_arithmetic():
    texts = [s["text"] for s in states(**LECTURE)]
    assert texts[0].startswith("Step 0 of 12")
    assert "the input x = −2 goes into the nodes that use it" in texts[1]
    assert "d = x + y = (−2) + 5 = 3" in texts[3]
    assert "L = (e − 1)² = ((−12) − 1)² = 169" in texts[6]
    assert "∂L/∂L = 1" in texts[7]
    assert "∂L/∂e = ∂L/∂e (local) · ∂L/∂L = (−26) · 1 = −26" in texts[8]
    backward_d = next(t for t in texts if t.startswith("Backward") and "∂L/∂d =" in t)
    assert "∂L/∂d = ∂e/∂d · ∂L/∂e = (−4) · (−26) = 104" in backward_d


def test_a_node_used_twice_gets_the_sum_of_both_shares():
    # f = x · x + x: ∂f/∂x = x + x + 1 = 2x + 1
    x = Input("x")
    graph = Graph(Add(Multiply(x, x, name="p"), x, name="f"))
    last = backprop_state(graph, len(graph.steps()), x=3.0)
    assert last["grads"]["x"] == 7.0
    # three shares: ∂p/∂x = x = 3 twice (both inputs of p are x), and ∂f/∂x = 1 directly
    assert last["text"].endswith("= 3 · 1 + 3 · 1 + 1 · 1 = 7")


@pytest.mark.parametrize("step", [-1, 13, 2.0, True, "3"])
def test_a_step_out_of_range_is_reported(step):
    with pytest.raises(ValueError, match="step must be a whole number from 0 .* to 12"):
        backprop_state(backprop_example(), step, **LECTURE)


def test_unknown_input_names_are_reported():
    with pytest.raises(ValueError, match="unknown input"):
        backprop_state(backprop_example(), 3, x=1.0, y=2.0, w=3.0)


def test_explorer_follows_its_controls():
    explorer = BackpropExplorer()
    assert set(explorer.controls) == {"x", "y", "z", "step"}
    assert explorer.result["step"] == 0
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    explorer.controls["step"].value = 12
    assert explorer.result["grads"]["z"] == -78
    assert "∂L/∂x = ∂d/∂x · ∂L/∂d" in explorer.step_text.get_text()
    explorer.controls["z"].value = 1.0   # e = 3, ∂L/∂x = 2 (e − 1) z = 4
    assert explorer.result["grads"]["x"] == 4
    assert explorer.controls["step"].max == 12


def test_every_control_changes_the_picture():
    explorer = BackpropExplorer()
    for name, value in [("x", 1.0), ("y", 0.5), ("z", 2.0), ("step", 4)]:
        before = explorer.view.rgb().copy()
        explorer.controls[name].value = value
        assert (explorer.view.rgb() != before).any(), f"moving {name} changed nothing in the picture"


def test_the_picture_is_the_same_whichever_way_a_state_is_reached():
    explorer = BackpropExplorer()
    explorer.controls["step"].value = 9
    direct = explorer.image.value
    for step in (12, 3, 0, 9):
        explorer.controls["step"].value = step
    assert explorer.image.value == direct
    assert explorer.view.background_draws == 1   # the arrows and nodes were drawn once


def test_the_picture_writes_out_the_step_and_edges_get_gradients_only_when_their_source_does():
    explorer = BackpropExplorer(step=10)   # the backward step at d
    assert explorer.result["node"] == "d"
    assert "∂L/∂d = ∂e/∂d · ∂L/∂e = (−4) · (−26) = 104" in explorer.step_text.get_text()
    assert explorer.step_text in explorer.view.moving   # drawn into the picture, so a saved still shows it
    sent = {(e.source.name, e.user.name): e.sent.get_text() for e in explorer.drawing.edges}
    assert sent[("d", "e")] == "104" and sent[("x", "d")] == sent[("y", "d")] == ""
    explorer.controls["step"].value = 11
    sent = {(e.source.name, e.user.name): e.sent.get_text() for e in explorer.drawing.edges}
    assert (sent[("x", "d")], sent[("y", "d")]) == ("", "104")
    explorer.controls["step"].value = 0
    values = {(e.source.name, e.user.name): e.value.get_text() for e in explorer.drawing.edges}
    assert set(values.values()) == {""}   # the inputs are given, but nothing has travelled yet


def test_explorer_text_repr_is_stable_for_notebooks():
    bundle = BackpropExplorer(x=1.0, step=5)._repr_mimebundle_()
    assert bundle["text/plain"] == "Backpropagation, step by step (interactive: run the notebook in Jupyter to use it)"
