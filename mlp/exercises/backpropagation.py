"""Checks for notebook 04, backpropagation: the example by hand, a multiply node, a sigmoid layer, Linear.backward.

Each check runs the student's code on test inputs and compares it with mlp (mlp.graph for the
nodes, mlp.layers and mlp.gradcheck's finite differences for the layers). It prints "✔ Exercise 5.N: ..."
or raises ExerciseError saying which quantity is off, by how much, and, for the usual mistakes
(a swapped local gradient, a forgotten upstream gradient, = instead of +=, a transposed or
unsummed gradient, a missing factor), what was probably done.
"""
from __future__ import annotations

import numpy as np

from .. import graph as G
from ..gradcheck import check_layer
from .._format import number
from ..layers import Linear, sigmoid
from ._legacy import fail, passed
from .core import ExerciseError

__all__ = ["ExerciseError", "HAND_VALUES", "check_hand_gradients", "check_multiply_backward",
           "check_sigmoid_layer", "check_linear_backward"]

HAND_VALUES = {"x": 1.0, "y": -3.0, "z": 2.0}  # the new point of Exercise 5.1
HAND_KEYS = ("d", "e", "L", "dL_de", "dL_dd", "dL_dz", "dL_dx", "dL_dy")


def _same(a, b) -> bool:
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


# --- Exercise 5.1: the example by hand ---------------------------------------------------------

def check_hand_gradients(hand_gradients) -> None:
    """Exercise 5.1: hand_gradients() returns {"d", "e", "L", "dL_de", "dL_dd", "dL_dz", "dL_dx", "dL_dy"}
    for L = ((x + y)·z − 1)² at x = 1, y = −3, z = 2; compared with mlp.graph, in that order."""
    label = "Exercise 5.1"
    answers = hand_gradients()
    if not isinstance(answers, dict):
        fail(label, f"hand_gradients() should return a dict such as {{'d': ..., 'e': ...}}, got {type(answers).__name__}")
    missing = [k for k in HAND_KEYS if k not in answers]
    if missing:
        fail(label, f"the dict has no entries {missing}: it needs all of {list(HAND_KEYS)}")
    graph = G.backprop_example()
    graph.forward(**HAND_VALUES)
    graph.backward()
    node = {n.name: n for n in graph.nodes}
    d, e, z = node["d"].value, node["e"].value, node["z"].value
    expected = {"d": d, "e": e, "L": node["L"].value, "dL_de": node["e"].grad, "dL_dd": node["d"].grad,
                "dL_dz": node["z"].grad, "dL_dx": node["x"].grad, "dL_dy": node["y"].grad}
    dL_de = expected["dL_de"]
    # (wrong value, what it suggests) for the usual slips, checked before the generic message
    slips = {
        "d": [],
        "e": [(d + z, "The node e is the product d · z, not the sum")],
        "L": [(e - 1, "You forgot to square: L = (e − 1)²"), (e * e - 1, "L = (e − 1)², not e² − 1")],
        "dL_de": [(e - 1, "You forgot the factor 2: ∂L/∂e = 2(e − 1)"), (2 * e, "∂L/∂e = 2(e − 1), not 2e")],
        "dL_dd": [(d * dL_de, "You used d as the local gradient: ∂e/∂d = z (the other factor of the product)"),
                  (z, "The number z is only the local gradient ∂e/∂d: multiply it by ∂L/∂e"),
                  (dL_de, "Multiply ∂L/∂e by the local gradient ∂e/∂d = z")],
        "dL_dz": [(z * dL_de, "You used z as the local gradient: ∂e/∂z = d (the other factor of the product)"),
                  (d, "The number d is only the local gradient ∂e/∂z: multiply it by ∂L/∂e"),
                  (dL_de, "Multiply ∂L/∂e by the local gradient ∂e/∂z = d")],
        "dL_dx": [(1.0, "1 is only the local gradient ∂d/∂x: multiply it by ∂L/∂d")],
        "dL_dy": [(1.0, "1 is only the local gradient ∂d/∂y: multiply it by ∂L/∂d")],
    }
    for key in HAND_KEYS:
        got = answers[key]
        if isinstance(got, bool) or not isinstance(got, (int, float, np.number)):
            fail(label, f"{key} should be a number, got {got!r}")
        want = expected[key]
        if _same(got, want):
            continue
        hint = next((why for wrong, why in slips[key] if _same(got, wrong)), "")
        if not hint and _same(got, -want):
            hint = "The sign is off."
        before = ", ".join(HAND_KEYS[:HAND_KEYS.index(key)])
        right = f" ({before} are right)" if before else ""
        fail(label, f"{key} is off{right}: got {number(got)}, expected {number(want)}. {hint}".rstrip())
    passed(label, f"all eight numbers are right: L = {number(expected['L'])}, ∂L/∂x = ∂L/∂y = {number(expected['dL_dx'])}, "
                  f"∂L/∂z = {number(expected['dL_dz'])}.")


# --- Exercise 5.2: backward of a multiply node --------------------------------------------------

def _example_with(node_class, **values) -> tuple[dict, dict]:
    """The lecture's example with e = node_class(d, z): ({name: grad} from it, {name: grad} from mlp)."""
    x, y, z = G.Input("x"), G.Input("y"), G.Input("z")
    d = G.Add(x, y, name="d")
    mine = G.Graph(G.Square(node_class(d, z, name="e"), offset=1.0, name="L"))
    reference = G.backprop_example()
    grads = []
    for graph in (mine, reference):
        graph.forward(**values)
        graph.backward()
        grads.append({n.name: n.grad for n in graph.nodes})
    return grads[0], grads[1]


def check_multiply_backward(node_class) -> None:
    """Exercise 5.2: node_class(a, b) is a mlp.graph.Node computing a · b whose backward() adds
    ∂(a·b)/∂a · grad = b · grad to a.grad and a · grad to b.grad. Tried inside the lecture's example
    and on x · x, where both inputs are the same node."""
    label = "Exercise 5.2"
    if not (isinstance(node_class, type) and issubclass(node_class, G.Node)):
        fail(label, f"pass the class itself (a subclass of mlp.graph.Node), got {node_class!r}")
    for values in ({"x": -2.0, "y": 5.0, "z": -4.0}, {"x": 1.5, "y": 0.5, "z": 3.0}):
        got, want = _example_with(node_class, **values)
        d, z = values["x"] + values["y"], values["z"]
        upstream = want["e"]  # ∂L/∂e, the gradient that reaches the multiply node
        where = f"in L = ((x + y)·z − 1)² at x = {number(values['x'])}, y = {number(values['y'])}, z = {number(values['z'])}"
        for name, other, mine in (("d", z, d), ("z", d, z)):
            if _same(got[name], want[name]):
                continue
            if got[name] == 0:
                hint = ("Backward left it at 0: add to the inputs' gradients, a.grad += ... and b.grad += ... "
                        "(backward returns nothing; it changes the inputs)")
            elif _same(got[name], mine * upstream):
                hint = "You swapped the local gradients: ∂(a·b)/∂a = b and ∂(a·b)/∂b = a."
            elif _same(got[name], other):
                hint = "Multiply the local gradient by self.grad, the gradient backpropagated to this node."
            elif _same(got[name], -want[name]):
                hint = "The sign is off."
            else:
                hint = "a.grad should grow by b.value · self.grad and b.grad by a.value · self.grad"
            fail(label, f"∂L/∂{name} is off {where}: got {number(got[name])}, expected {number(want[name])}. {hint}")
    x = G.Input("x")
    square = G.Graph(node_class(x, x, name="x²"))
    square.forward(x=3.0)
    got = square.backward()["x"]
    if not _same(got, 6.0):
        hint = ("With a = b = x, the second update must add to the first: use +=, not =, since a node can feed "
                "several inputs.") if _same(got, 3.0) else "Each input gets the value of the other input times self.grad."
        fail(label, f"for x · x at x = 3 the gradient should be 2x = 6, got {number(got)}. {hint}")
    passed(label, "your multiply node backpropagates like mlp.graph.Multiply, also when both inputs are one node.")


# --- Exercises 4.3 and 4.4: layers, checked with finite differences ------------------------------

def _report_or_fail(label: str, layer, x: np.ndarray, hints: str) -> None:
    """Fail with mlp.gradcheck's report (which gradient, how far off, where) and `hints` unless it passes."""
    report = check_layer(layer, x)
    if not report:
        fail(label, f"backward disagrees with finite differences.\n{report}\n{hints}".rstrip())


def check_sigmoid_layer(layer_class) -> None:
    """Exercise 5.3: layer_class() has forward(x) -> σ(x) and backward(dz) -> dE/dx = dz ⊙ σ'(x),
    for batches x of shape (N, n); checked against mlp.layers.sigmoid and mlp.gradcheck.check_layer."""
    label = "Exercise 5.3"
    layer = layer_class()
    x = np.random.default_rng(4).standard_normal((4, 3)) * 2
    kept = x.copy()
    out = layer.forward(x)
    if out is None:
        fail(label, "forward returned None: return σ(x) (and keep what backward needs in self)")
    out = np.asarray(out)
    if not np.array_equal(x, kept):
        fail(label, "forward changed its input x in place: compute σ(x) into a new array")
    if out.shape != x.shape:
        fail(label, f"forward(x) has shape {out.shape}, but σ acts entry by entry: it should have x's shape {x.shape}")
    if not _same(out, sigmoid(x)):
        if _same(out, sigmoid(-x)):
            hint = "The sign in the exponent is off: σ(x) = 1 / (1 + e^(−x)) = e^x / (e^x + 1)"
        elif _same(out, np.tanh(x)):
            hint = "That is tanh; σ(x) = 1 / (1 + e^(−x))."
        else:
            hint = "σ(x) = 1 / (1 + e^(−x)), entry by entry"
        worst = np.unravel_index(np.argmax(np.abs(out - sigmoid(x))), x.shape)
        fail(label, f"forward is off at x = {number(x[worst])}: got {number(out[worst])}, expected σ(x) = {number(sigmoid(x)[worst])}. {hint}")
    g = np.random.default_rng(1).standard_normal(x.shape)  # a dz to recognise the usual slips by
    layer.forward(x)
    dx = layer.backward(g.copy())
    if dx is None:
        fail(label, "backward returned None: return dE/dx = dz ⊙ σ'(x), an array of x's shape")
    s = sigmoid(x)
    variants = [(g * s, "You forgot the factor (1 − σ(x)): σ'(x) = σ(x)(1 − σ(x))."),
                (s * (1 - s), "Multiply σ'(x) by dz, the gradient backpropagated to the layer."),
                (g * x * (1 - x), "Use σ(x) (the output forward kept), not x itself: σ'(x) = σ(x)(1 − σ(x))."),
                (-g * s * (1 - s), "The sign is off."),
                (g * (1 - s * s), "1 − σ(x)² is the pattern of tanh; σ'(x) = σ(x)(1 − σ(x)).")]
    hint = next((why for wrong, why in variants if _same(np.asarray(dx, dtype=float), wrong)), "")
    _report_or_fail(label, layer, x, f"Hint: {hint}" if hint else "")
    passed(label, "forward gives σ(x) and backward agrees with finite differences (relative error below 1e-6).")


def check_linear_backward(layer_class) -> None:
    """Exercise 5.4: layer_class(weight, bias) with backward(dz) returning dE/dx = dz θ_w and storing
    grads["weight"] = dzᵀ x and grads["bias"] = Σ_rows dz; compared with mlp.layers.Linear and
    checked with finite differences. Shapes: x (4, 3), θ_w (2, 3), θ_b (2,), dz (4, 2)."""
    label = "Exercise 5.4"
    reference = Linear(3, 2, rng=4)
    rng = np.random.default_rng(5)
    reference.params["bias"][:] = rng.standard_normal(2)
    x, dz = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer = layer_class(reference.params["weight"].copy(), reference.params["bias"].copy())
    z = layer.forward(x.copy())
    if not _same(np.asarray(z), reference.forward(x)):
        fail(label, "forward no longer computes x θ_wᵀ + θ_b: restore the forward method you were given")
    want_dx = reference.backward(dz)
    want = reference.grads
    dx = layer.backward(dz.copy())
    grads = getattr(layer, "grads", None)
    if dx is None:
        fail(label, "backward returned None: return dE/dx = dz θ_w, shape (N, n_in) like x")
    if not isinstance(grads, dict) or "weight" not in grads or "bias" not in grads:
        fail(label, "store the parameter gradients in self.grads['weight'] and self.grads['bias']")
    dx, dw, db = (np.array(a, dtype=float) for a in (dx, grads["weight"], grads["bias"]))  # copies
    if dx.shape != x.shape:
        fail(label, f"dE/dx has shape {dx.shape}, but it must have x's shape {x.shape}: "
                    "dE/dx = dz θ_w is (N, n_out)·(n_out, n_in)")
    if dw.shape != want["weight"].shape:
        hint = (": you computed its transpose, xᵀ dz; dE/dθ_w = dzᵀ x" if _same(dw, want["weight"].T)
                else ": dE/dθ_w = dzᵀ x is (n_out, N)·(N, n_in)")
        fail(label, f"grads['weight'] has shape {dw.shape}, but it must have θ_w's shape {want['weight'].shape}{hint}")
    if db.shape != want["bias"].shape:
        hint = ": sum dz over the samples (the rows, axis=0)" if db.shape == dz.shape else ""
        fail(label, f"grads['bias'] has shape {db.shape}, but it must have θ_b's shape {want['bias'].shape}{hint}")
    layer.backward(dz.copy())
    if not (_same(np.asarray(layer.grads["weight"], dtype=float), dw) and _same(np.asarray(layer.grads["bias"], dtype=float), db)):
        fail(label, "calling backward twice changed grads: store the gradients (=), do not add to them (+=)")
    hints = []
    if _same(db, want["bias"] / len(x)):
        hints.append("grads['bias'] is the mean of dz over the samples; E adds up the samples, so take the sum.")
    if _same(dw, want["weight"] / len(x)):
        hints.append("grads['weight'] is divided by N; dzᵀ x already adds up the samples, do not divide.")
    if _same(dx, -want_dx):
        hints.append("Check the sign of dE/dx.")
    _report_or_fail(label, layer, x, "\n".join(f"Hint: {h}" for h in hints))
    passed(label, "dE/dx, dE/dθ_w and dE/dθ_b match mlp.layers.Linear and finite differences (relative error below 1e-6).")
