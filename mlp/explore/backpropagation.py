"""Step through backpropagation on the lecture's example L = ((x + y)·z − 1)², node by node.

The state after each step comes from `backprop_state`, a plain function of the graph, the step
and the input values (unit-tested); the explorer only draws it.

    BackpropExplorer()        # as the last expression of a notebook cell
"""
from __future__ import annotations

import re
import textwrap

import ipywidgets as widgets

from ..graph import Graph, backprop_example
from .._format import number
from ..graph_plot import draw_graph
from . import Explorer


def _bracketed(value: float) -> str:
    """A number to put into a formula: negative ones in brackets, e.g. (−4)."""
    text = number(value)
    return f"({text})" if value < 0 else text


def _forward_text(node, values: dict[str, float]) -> str:
    """"d = x + y = −2 + 5 = 3": the node's formula, then with its inputs' numbers, then its value."""
    if not node.inputs:
        return f"the input {node.name} = {number(values[node.name])} goes into the nodes that use it"
    right = node.formula().split(" = ", 1)[1]
    names = sorted({a.name for a in node.inputs}, key=len, reverse=True)
    with_numbers = re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b",
                          lambda m: _bracketed(values[m.group(1)]), right)
    return f"{node.formula()} = {with_numbers} = {number(values[node.name])}"


def _backward_text(graph: Graph, node, grads: dict[str, float]) -> str:
    """"∂L/∂d = ∂e/∂d · ∂L/∂e = (−4) · (−26) = 104": the chain rule over the nodes that use `node`."""
    out = graph.output.name
    if node is graph.output:
        return f"start at the output: ∂{out}/∂{out} = 1"
    symbols, numbers = [], []
    for user in graph.nodes:
        for i, source in enumerate(user.inputs):
            if source is node:
                local = f"∂{user.name}/∂{node.name}" + (" (local)" if user is graph.output else "")
                symbols.append(f"{local} · ∂{out}/∂{user.name}")
                numbers.append(f"{_bracketed(user.local_gradients()[i])} · {_bracketed(grads[user.name])}")
    return f"∂{out}/∂{node.name} = {' + '.join(symbols)} = {' + '.join(numbers)} = {number(grads[node.name])}"


def backprop_state(graph: Graph, step: int, **inputs: float) -> dict:
    """What is known after `step` steps of a full pass through `graph` at the given inputs.

    The steps are graph.steps(): first every node's forward, then every node's backward in reverse
    order (its gradient ∂output/∂node, complete because every node that uses it came before). Step 0
    is the start: the inputs are given (their values are known), nothing is computed yet. An input's
    forward step sends its value into the nodes that use it; any other node's forward step computes
    its value from its inputs' values.
    Returns {"step", "n_steps", "phase" ("start", "forward" or "backward"), "node" (name or None),
    "values" ({name: number} known so far: the inputs, then each computed node), "sent" (names whose
    forward step is done, in order), "grads" ({name: number} known so far), "text" (what the step did)}.
    The graph is left evaluated (forward and backward) at `inputs`.
    """
    steps = graph.steps()
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= len(steps):
        raise ValueError(f"step must be a whole number from 0 (the start) to {len(steps)} (the last backward step), got {step!r}")
    graph.forward(**inputs)
    graph.backward()
    done = steps[:step]
    leaves = [node for node in graph.nodes if not node.inputs]
    sent = [node.name for phase, node in done if phase == "forward"]
    values = {node.name: node.value for node in leaves}
    values |= {node.name: node.value for phase, node in done if phase == "forward"}
    grads = {node.name: node.grad for phase, node in done if phase == "backward"}
    n_forward = len(graph.nodes)
    if step == 0:
        phase, name = "start", None
        given = ", ".join(f"{node.name} = {number(node.value)}" for node in leaves)
        text = (f"Step 0 of {len(steps)}: the inputs {given} are given; nothing is computed yet. "
                "Move the step slider to run the forward pass.")
    else:
        phase, node = steps[step - 1]
        name = node.name
        if phase == "forward":
            text = f"Forward step {step} of {n_forward}: {_forward_text(node, values)}"
        else:
            text = f"Backward step {step - n_forward} of {n_forward}: {_backward_text(graph, node, grads)}"
    return {"step": step, "n_steps": len(steps), "phase": phase, "node": name, "values": values,
            "sent": sent, "grads": grads, "text": text}


class BackpropExplorer(Explorer):
    """Choose x, y, z and step through the forward pass, then the backward pass, one node at a time.

    At step 0 the inputs show their values (they are given); the current node is drawn in orange
    with its value and, in the backward pass, its gradient; the line at the top of the picture writes out
    what the step computed (in the picture, not in a widget, so that a saved still shows it too).
    """

    title = "Backpropagation, step by step"
    figsize = (9.0, 5.0)

    def __init__(self, x: float = -2.0, y: float = 5.0, z: float = -4.0, step: int = 0) -> None:
        self.graph = backprop_example()
        n_steps = len(self.graph.steps())
        style = {"description_width": "initial"}

        def slider(name, value):
            return widgets.FloatSlider(value=value, min=-5.0, max=5.0, step=0.5, description=name, style=style)

        controls = {"x": slider("x", x), "y": slider("y", y), "z": slider("z", z),
                    "step": widgets.IntSlider(value=step, min=0, max=n_steps, description="step", style=style)}
        super().__init__(controls)

    def compute(self, x: float, y: float, z: float, step: int) -> dict:
        return backprop_state(self.graph, step, x=x, y=y, z=z)

    def build(self, fig) -> None:
        ax = fig.add_axes((0.02, 0.12, 0.96, 0.7))
        # drawn once with every colour in the key; each step changes only the numbers, colours and title
        self.drawing = draw_graph(ax, self.graph, values={}, grads={}, key_for=(True, True))
        self.step_text = fig.text(0.5, 0.975, "", ha="center", va="top", fontsize=11, linespacing=1.4)
        self.view.animate(self.step_text, *self.drawing.artists())

    def draw(self, result: dict) -> None:
        self.drawing.show(result["values"], result["grads"], result["node"], local=result["phase"] == "backward",
                          sent=result["sent"], title=f"L = ((x + y)·z − 1)², step {result['step']} of {result['n_steps']}")
        self.step_text.set_text(textwrap.fill(result["text"], 100))
