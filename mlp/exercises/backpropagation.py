"""Checks for notebook 05, backpropagation: the lecture's example by hand (5.1), the backward of a
multiply node (5.2), a sigmoid layer (5.3) and the backward of the affine layer (5.4).

Every check runs the student's code at inputs drawn from the trial's seed, which no cell shows (the
grader draws its own), plus inputs chosen so that the usual slips give numbers of their own: swapped
local gradients, a forgotten upstream gradient, = instead of +=, a sign, a transposed or unsummed
gradient, a mean instead of a sum, a product whose shapes do not fit, single precision. The student's
classes run only inside the scenarios below (built into mlp's graphs and networks, gradient-checked with
mlp.gradcheck), which return plain data; the verdict compares that data with mlp's own nodes and layers,
the oracles. No scenario calls an exercise's `answer` (the toolkit watches those while the student's code runs).

5.1's answers are numbers worked out by hand, so its messages name the entry that is off and the slip,
never the number expected.
"""
from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from .. import graph as G
from .._format import number
from ..gradcheck import check_layer
from ..layers import Linear, sigmoid
from ..network import MEMBERS, fully_connected
from . import expect
from .core import Wrong, exercise, scoreboard_for
from .wire import scenario

HAND_POINT = (3.0, -1.0, -3.0)  # the point Exercise 5.1 asks for on paper: x, y, z
HAND_KEYS = ("d", "e", "L", "dL_de", "dL_dd", "dL_dz", "dL_dx", "dL_dy")


def _close(a, b) -> bool:
    return expect.close(a, b, rtol=1e-6, atol=1e-9)


def _point(x: float, y: float, z: float) -> str:
    return f"x = {number(x)}, y = {number(y)}, z = {number(z)}"


def _fresh_point(t, avoid=()) -> tuple[float, float, float]:
    """x, y, z (multiples of 1/2) at which every slip named in _hand_slips gives a number of its own,
    different from the right one and from its negative (and ∂𝓛/∂e ∉ {0, ±1}, |d| ≠ |z| for 5.2), and at
    which each of the eight right numbers differs from its value at every point in `avoid`."""
    before = [_example(*point) for point in avoid]
    while True:
        x, y, z = (float(v) for v in t.rng.integers(-8, 9, size=3) / 2)
        d, e = x + y, (x + y) * z
        if min(abs(d), abs(z), abs(y)) < 1.5 or abs(abs(d) - abs(z)) < 0.5 or abs(e - 1) < 1.5:
            continue
        right = _example(x, y, z)
        if any(_close(right[key], other[key]) for other in before for key in HAND_KEYS):
            continue
        if all(_distinct([right[key], -right[key], *(wrong for wrong, _ in slips)])
               for key, slips in _hand_slips(x, y, z, right).items()):
            return x, y, z


def _distinct(values) -> bool:
    values = sorted(values)
    return all(b - a > 1e-6 * max(1.0, abs(a), abs(b)) for a, b in zip(values, values[1:]))


# --- Exercise 5.1: the example by hand ----------------------------------------------------------

def _example(x: float, y: float, z: float) -> dict[str, float]:
    """The oracle: mlp.graph's lecture example 𝓛 = ((x + y)·z − 1)², forward and backward."""
    graph = G.backprop_example()
    graph.forward(x=x, y=y, z=z)
    graph.backward()
    node = {n.name: n for n in graph.nodes}
    return {"d": node["d"].value, "e": node["e"].value, "L": node["L"].value, "dL_de": node["e"].grad,
            "dL_dd": node["d"].grad, "dL_dz": node["z"].grad, "dL_dx": node["x"].grad, "dL_dy": node["y"].grad}


def _hand_slips(x: float, y: float, z: float, right: dict) -> dict[str, list]:
    """(wrong number, what it suggests) for each entry: the usual slips, recognised before a generic message."""
    d, e, dL_de = right["d"], right["e"], right["dL_de"]
    return {
        "d": [(x - y, "d is the sum x + y")],
        "e": [(d + z, "the node e multiplies d and z, it does not add them")],
        "L": [(e - 1, "𝓛 is a square: did you forget to square e − 1?"),
              (e * e - 1, "square the difference e − 1, not e alone")],
        "dL_de": [(e - 1, "differentiate the square with the chain rule: a factor is missing"),
                  (2 * e, "the 1 inside (e − 1)² is part of what is squared")],
        "dL_dd": [(d * dL_de, "you used d as the local gradient ∂e/∂d: differentiate e = d·z with respect to d, "
                              "z held fixed"),
                  (z, "that is the local gradient ∂e/∂d alone: multiply it by the gradient ∂𝓛/∂e that arrives at e"),
                  (dL_de, "multiply ∂𝓛/∂e by the local gradient ∂e/∂d")],
        "dL_dz": [(z * dL_de, "you used z as the local gradient ∂e/∂z: differentiate e = d·z with respect to z, "
                              "d held fixed"),
                  (d, "that is the local gradient ∂e/∂z alone: multiply it by the gradient ∂𝓛/∂e that arrives at e"),
                  (dL_de, "multiply ∂𝓛/∂e by the local gradient ∂e/∂z")],
        "dL_dx": [(1.0, "1 is the local gradient ∂d/∂x alone: multiply it by the gradient ∂𝓛/∂d that arrives at d"),
                  (dL_de, "x reaches 𝓛 through d: take the gradient that arrives at d, not the one at e")],
        "dL_dy": [(1.0, "1 is the local gradient ∂d/∂y alone: multiply it by the gradient ∂𝓛/∂d that arrives at d"),
                  (dL_de, "y reaches 𝓛 through d: take the gradient that arrives at d, not the one at e")],
    }


_HAND_STEP = {  # what to look at again when a number is off and no known slip explains it
    "d": "d = x + y",
    "e": "e = d · z",
    "L": "𝓛 = (e − 1)²",
    "dL_de": "∂𝓛/∂e is the local gradient of the square node, times ∂𝓛/∂𝓛 = 1",
    "dL_dd": "∂𝓛/∂d is the local gradient ∂e/∂d times the gradient that arrives at e",
    "dL_dz": "∂𝓛/∂z is the local gradient ∂e/∂z times the gradient that arrives at e",
    "dL_dx": "∂𝓛/∂x is the local gradient ∂d/∂x times the gradient that arrives at d",
    "dL_dy": "∂𝓛/∂y is the local gradient ∂d/∂y times the gradient that arrives at d",
}


def _hand_answers(got, what: str) -> dict:
    """The student's dict of eight numbers, or Wrong."""
    expect.returned(got, what)
    if not isinstance(got, dict):
        raise Wrong(f"{what} should return a dict such as {{'d': ..., 'e': ..., ...}}, got {type(got).__name__}")
    missing = [k for k in HAND_KEYS if k not in got]
    if missing:
        raise Wrong(f"the dict that {what} returns has no entries {missing}: it needs all of {list(HAND_KEYS)}")
    for key in HAND_KEYS:
        value = got[key]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise Wrong(f"{key} in the dict that {what} returns should be a number, got {value!r}")
    return {k: float(got[k]) for k in HAND_KEYS}


@exercise("5.1", "hand_gradients", answer=("mlp.graph",), uses=(),
          task="do the forward and the backward pass yourself, one local gradient at a time")
def check_hand_gradients(t, hand_gradients):
    """hand_gradients(x, y, z) returns {"d", "e", "L", "dL_de", "dL_dd", "dL_dz", "dL_dx", "dL_dy"} for
    𝓛 = ((x + y)·z − 1)²; tried at the notebook's point x = 3, y = −1, z = −3 and at two fresh points, at
    which each of the eight right numbers differs from the ones before (so that a right answer never looks
    hard-coded). A wrong number is named with the slip it suggests, never with the number expected."""
    points = [HAND_POINT]
    points += [_fresh_point(t, avoid=points)]
    points += [_fresh_point(t, avoid=points)]
    first = None
    for x, y, z in points:
        what = f"hand_gradients({number(x)}, {number(y)}, {number(z)})"
        answers = _hand_answers(t.call(hand_gradients, x, y, z, what=what), what)
        if first is not None and all(_close(answers[k], first[k]) for k in HAND_KEYS):
            raise Wrong(f"{what} returns the same eight numbers as at {_point(*HAND_POINT)}: compute them "
                        "from the arguments x, y and z, step by step as on paper")
        right = _example(x, y, z)
        slips = _hand_slips(x, y, z, right)
        for i, key in enumerate(HAND_KEYS):
            got, want = answers[key], right[key]
            if _close(got, want):
                continue
            hint = expect.slip(got, slips[key]) or ""
            if not hint and _close(got, -want):
                hint = "look at its sign"
            if not hint:
                hint = _HAND_STEP[key]
            before = f" ({HAND_KEYS[0]} is right)" if i == 1 else f" ({', '.join(HAND_KEYS[:i])} are right)" if i else ""
            message = f"at {_point(x, y, z)}, {key} is off{before}: you have {number(got)}"
            raise Wrong(f"{message}; {hint}" + ("" if hint.endswith("?") else "."))
        first = first or answers
    right = _example(*HAND_POINT)
    return (f"all eight numbers are right, here and at two more points; at {_point(*HAND_POINT)}: 𝓛 = "
            f"{number(right['L'])}, ∂𝓛/∂x = ∂𝓛/∂y = {number(right['dL_dx'])}, ∂𝓛/∂z = {number(right['dL_dz'])}.")


# --- Exercise 5.2: backward of a multiply node --------------------------------------------------

@scenario
def node_class_kind(node_class) -> dict:
    """What the student passed: a class? derived from mlp.graph.Node? with a backward of its own?"""
    is_class = isinstance(node_class, type)
    is_node = is_class and issubclass(node_class, G.Node)
    return {"is_class": is_class, "is_node": is_node,
            "own_backward": is_node and getattr(node_class, "backward", None) is not G.Node.backward}


@contextmanager
def _node_backward_runs_for(node) -> Iterator[list]:
    """Within the block, record in the list yielded whether Node.backward (the loop that does the += for
    mlp's nodes) runs for `node`. Watched on the code itself (sys.setprofile, after any profile already
    set): the node's own attributes, which its backward may replace, play no part."""
    calls, code, before = [], G.Node.backward.__code__, sys.getprofile()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is code and frame.f_locals.get("self") is node:
            calls.append(True)
        if before is not None:
            before(frame, event, arg)

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(before)


@scenario
def multiply_in_example(node_class, x: float, y: float, z: float) -> dict:
    """The lecture's graph with e = node_class(d, z): {node name: (value, grad)} after forward and backward,
    and under "delegated" whether e's backward handed its work to Node.backward."""
    xi, yi, zi = G.Input("x"), G.Input("y"), G.Input("z")
    d = G.Add(xi, yi, name="d")
    e = node_class(d, zi, name="e")
    graph = G.Graph(G.Square(e, offset=1.0, name="L"))
    graph.forward(x=x, y=y, z=z)
    with _node_backward_runs_for(e) as calls:
        graph.backward()
    return {"nodes": {n.name: (n.value, n.grad) for n in graph.nodes}, "delegated": any(calls)}


@scenario
def multiply_square(node_class, x: float) -> dict:
    """∂(x·x)/∂x from a graph whose only operation is node_class(x, x) (both inputs are one node), and
    under "delegated" whether its backward handed the work to Node.backward."""
    xi = G.Input("x")
    square = node_class(xi, xi, name="square")
    graph = G.Graph(square)
    graph.forward(x=x)
    with _node_backward_runs_for(square) as calls:
        gradient = graph.backward()["x"]
    return {"gradient": gradient, "delegated": any(calls)}


@exercise("5.2", "MultiplyNode", answer=("mlp.graph.Multiply",), uses=("Node",),
          task="write the multiply node's backward yourself, adding each input's share with +=")
def check_multiply_backward(t, MultiplyNode):
    """MultiplyNode(a, b), a subclass of mlp.graph.Node computing a · b, whose own backward() adds to each
    input's grad its share of the gradient (+=, not the loop of Node.backward); tried inside the lecture's
    example at fixed and fresh points, and on x · x, where both inputs are one node."""
    kind = t.run(node_class_kind, MultiplyNode, what="MultiplyNode")
    if not kind["is_class"]:
        raise Wrong("pass the class itself, check_multiply_backward(MultiplyNode), not an object made from it")
    if not kind["is_node"]:
        raise Wrong("MultiplyNode must derive from mlp.graph.Node, as in the cell you were given")
    if not kind["own_backward"]:
        raise Wrong("MultiplyNode has no backward of its own, so it runs Node's, which does the adding for you: "
                    "write backward, adding to a.grad and to b.grad their shares of self.grad with +=")
    for x, y, z in [(1.5, 0.5, 3.0), _fresh_point(t), _fresh_point(t)]:  # ∂𝓛/∂e ∉ {0, ±1}, |d| ≠ |z|
        where = f"in 𝓛 = ((x + y)·z − 1)² at {_point(x, y, z)}"
        run = t.run(multiply_in_example, MultiplyNode, x, y, z, what=f"the lecture's example with your MultiplyNode {where}")
        if run["delegated"]:
            raise Wrong("MultiplyNode.backward hands the work to Node.backward (super().backward()), which adds "
                        "the shares for you: write the two updates of a.grad and b.grad yourself, with +=")
        nodes, d, want = run["nodes"], x + y, _example(x, y, z)
        value = expect.number(nodes["e"][0], "MultiplyNode.forward()")
        if not _close(value, d * z):
            raise Wrong(f"MultiplyNode.forward() gives {number(value)} for a = {number(d)}, b = {number(z)}: "
                        "restore the forward you were given")
        upstream = want["dL_de"]  # ∂𝓛/∂e, what arrives at the multiply node
        for name, key, other, own in (("d", "dL_dd", z, d), ("z", "dL_dz", d, z)):
            got = expect.number(nodes[name][1], f"∂𝓛/∂{name}")
            if _close(got, want[key]):
                continue
            if got == 0:
                hint = ("it stayed 0: backward must add to the inputs' gradients, a.grad and b.grad "
                        "(it returns nothing, it changes the inputs)")
            elif _close(got, own * upstream):
                hint = ("you swapped the local gradients: differentiate a·b with respect to a with b held fixed, "
                        "and the other way round")
            elif _close(got, other):
                hint = "that is the local gradient alone: multiply it by self.grad, the gradient that arrived at this node"
            elif _close(got, -want[key]):
                hint = "the sign is off"
            else:
                hint = "a.grad should grow by ∂(a·b)/∂a times self.grad, and b.grad by ∂(a·b)/∂b times self.grad"
            raise Wrong(f"∂𝓛/∂{name} is off {where}: got {number(got)}, expected {number(want[key])}; {hint}.")
    x = float(t.rng.choice([-3.5, -2.5, -1.5, 1.5, 2.5, 3.5, 4.5]))
    run = t.run(multiply_square, MultiplyNode, x, what=f"x · x at x = {number(x)}")
    if run["delegated"]:
        raise Wrong(f"for x · x MultiplyNode.backward hands the work to Node.backward (super().backward()), which "
                    "adds the shares for you: write the two updates of a.grad and b.grad yourself, with +=")
    got = expect.number(run["gradient"], "∂(x·x)/∂x")
    if not _close(got, 2 * x):
        if _close(got, x):
            hint = ("both of backward's updates go to the one node x, so the second must add to the first, not "
                    "replace it: a node's gradient collects what every use of it sends back")
        else:
            hint = "each input's gradient grows by the other input's value times self.grad"
        raise Wrong(f"for x · x at x = {number(x)} the gradient should be 2x = {number(2 * x)}, got {number(got)}; {hint}.")
    return "your multiply node backpropagates like mlp.graph.Multiply, also when both inputs are one node."


# --- Exercises 5.3 and 5.4: layers ---------------------------------------------------------------

def _as_plain(value):
    """A copy of what a student's layer returned or stored, as plain data where it can be."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _as_plain(v) for k, v in value.items()}
    return copy.copy(value)


def _report_data(layer, x: np.ndarray) -> dict:
    """mlp.gradcheck.check_layer(layer, x) as plain data, for the messages: per gradient its relative
    error, worst index and the two values there (None where it could not run)."""
    try:
        report = check_layer(layer, x)
    except Exception:  # a broken layer: the verdict comes from the plain data anyway
        return {}
    return {c.name: {"error": c.error, "index": list(c.index), "analytic": c.analytic, "numeric": c.numeric,
                     "problem": c.problem} for c in report.checks}


@scenario
def sigmoid_layer_run(layer_class, x: np.ndarray, dz: np.ndarray) -> dict:
    """layer_class() run on x: forward's output, x as forward left it, backward(dz), and check_layer's report."""
    if not isinstance(layer_class, type):
        return {"problem": "not a class"}
    layer = layer_class()
    missing = [m for m in MEMBERS if not hasattr(layer, m)]
    if missing:
        return {"missing": missing}
    given = x.copy()
    out = _as_plain(layer.forward(given))
    x_after = given.copy()
    dx = _as_plain(layer.backward(dz.copy()))
    params, grads = layer.params, layer.grads
    result = {"out": out, "x_after": x_after, "dx": dx,
              "params": sorted(map(str, params)) if isinstance(params, dict) else None,
              "grads_is_dict": isinstance(grads, dict), "report": {}}
    if isinstance(out, np.ndarray) and out.shape == x.shape and isinstance(dx, np.ndarray) and dx.shape == x.shape:
        result["report"] = _report_data(layer, x.copy())
    return result


@scenario
def sigmoid_in_network(layer_class, X: np.ndarray, dz: np.ndarray, seed: int) -> dict:
    """fully_connected([n, 3, 2], activation=layer_class, rng=seed): its output for X, and every dE/dθ for dz."""
    net = fully_connected([X.shape[1], 3, 2], activation=layer_class, rng=seed)
    out = net.forward(X.copy())
    net.backward(dz.copy())
    return {"out": out.copy(), "grads": {k: np.array(g, dtype=float) for k, g in net.grads.items()}}


def _layer_shape(t) -> tuple[int, int]:
    return int(t.rng.integers(2, 7)), int(t.rng.integers(2, 6))


def _worst(report: dict, name: str) -> str:
    """What check_layer's report says about the gradient `name`, as an aside for a message (or nothing)."""
    check = report.get(name)
    if not check or check.get("problem"):
        return ""
    return f" (mlp.gradcheck.check_layer: relative error {check['error']:.1e} against finite differences)"


def _single_precision(*arrays) -> bool:
    """Whether any of the student's arrays holds floats of less than double precision (float32, float16)."""
    return any(isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.dtype.itemsize < 8 for a in arrays)


_FLOAT64 = ("compute in float64, numpy's default: float32 keeps only about 7 digits, and 1 − σ(x) loses most "
            "of them where σ(x) is near 1")


@exercise("5.3", "MySigmoid", answer=("mlp.layers.Sigmoid", "mlp.layers.sigmoid"), uses=("mlp.fully_connected",),
          task="write σ and σ′ yourself")
def check_sigmoid_layer(t, MySigmoid):
    """MySigmoid() follows the layer protocol: forward(x) -> σ(x) for a batch x (N, n), backward(dz) ->
    dE/dx, empty params and grads; compared with mlp.layers.sigmoid, gradient-checked, and run
    inside mlp.fully_connected(..., activation=MySigmoid) beside mlp's layers."""
    fixed = np.array([[-4.0, -1.5, -0.5, 0.0], [0.25, 1.0, 2.0, 3.5], [-2.5, 0.75, -0.25, 1.75]])
    for x in (fixed, t.rng.normal(0, 2, size=_layer_shape(t))):
        dz = t.rng.normal(0, 1, size=x.shape)
        what = f"MySigmoid for x of shape {x.shape}"
        run = t.run(sigmoid_layer_run, MySigmoid, x, dz, what=what)
        if run.get("problem"):
            raise Wrong("pass the class itself, check_sigmoid_layer(MySigmoid), not an object made from it")
        if run.get("missing"):
            raise Wrong(f"a MySigmoid() has no {', '.join(run['missing'])}: a layer needs forward, backward and "
                        "the dicts params and grads")
        if run["params"] is None or not run["grads_is_dict"]:
            raise Wrong("params and grads of a MySigmoid() must be dicts (empty ones: σ has no parameters)")
        if run["params"]:
            raise Wrong(f"MySigmoid's params holds {run['params']}, but σ has no parameters: leave params empty")
        if run["out"] is None:
            raise Wrong("MySigmoid.forward(x) returned None: return σ(x), and keep what backward needs in self")
        expect.unchanged(x, run["x_after"], "x", "MySigmoid.forward(x)")
        s = sigmoid(x)
        single = _single_precision(run["out"], run["dx"])
        out = expect.shaped(run["out"], x.shape, f"MySigmoid.forward(x) for x of shape {x.shape}")
        if not _close(out, s) and single and expect.close(out, s, rtol=1e-3, atol=1e-6):
            raise Wrong(f"MySigmoid.forward(x) is right only to single precision: {_FLOAT64}.")
        if not _close(out, s):
            if _close(out, sigmoid(-x)):
                hint = "; it is mirrored: σ rises from 0 to 1 as x grows (check the sign in the exponent)"
            elif _close(out, np.tanh(x)):
                hint = "; that is tanh, not the sigmoid"
            else:
                hint = "; σ(0) should be 0.5, and σ(x) lies between 0 and 1"
            i = np.unravel_index(int(np.argmax(np.abs(out - s))), x.shape)
            raise Wrong(f"MySigmoid.forward is off at x = {number(x[i])}: got {number(out[i])}, expected "
                        f"{number(s[i])}{hint}.")
        if run["dx"] is None:
            raise Wrong("MySigmoid.backward(dz) returned None: return dE/dx, an array of x's shape")
        dx = expect.shaped(run["dx"], x.shape, f"MySigmoid.backward(dz) for dz of shape {x.shape}")
        want = dz * s * (1 - s)
        if _close(dx, want):
            continue
        if single and expect.close(dx, want, rtol=1e-3, atol=1e-6):
            raise Wrong(f"MySigmoid.backward(dz) is right only to single precision: {_FLOAT64}.")
        slips = [(dz * s, "a factor of σ'(x) is missing: compare with your answer to (a)"),
                 (s * (1 - s), "that is σ'(x) alone: multiply it by dz, the gradient that arrives at the layer"),
                 (dz * x * (1 - x), "it uses x where σ'(x) needs σ(x): keep σ(x) from forward for backward"),
                 (-want, "the sign is off"),
                 (dz * (1 - s * s), "1 − σ(x)² is tanh's pattern; the sigmoid's derivative is your answer to (a)")]
        hint = expect.slip(dx, slips)
        i = np.unravel_index(int(np.argmax(np.abs(dx - want))), x.shape)
        where = f"at x = {number(x[i])}, dz = {number(dz[i])}: got {number(dx[i])}, expected {number(want[i])}"
        raise Wrong(f"MySigmoid.backward(dz) is off {where}; {hint}." if hint else
                    f"MySigmoid.backward(dz) is off {where}{_worst(run['report'], 'x')}; compare with your answer to (a).")
    X = t.rng.normal(0, 1.5, size=(int(t.rng.integers(3, 7)), int(t.rng.integers(2, 5))))
    dz, seed = t.rng.normal(0, 1, size=(len(X), 2)), int(t.rng.integers(1000))
    what = f"fully_connected([{X.shape[1]}, 3, 2], activation=MySigmoid)"
    got = t.run(sigmoid_in_network, MySigmoid, X, dz, seed, what=what)
    reference = fully_connected([X.shape[1], 3, 2], activation="sigmoid", rng=seed)
    expect.array(got["out"], reference.forward(X), f"the output of {what}")
    reference.backward(dz)
    for name, grad in reference.grads.items():
        expect.array(got["grads"].get(name), grad, f"the gradient {name!r} of {what}")
    return ("forward gives σ(x), backward agrees with mlp's Sigmoid and with finite differences, and inside "
            "fully_connected(..., activation=MySigmoid) it works beside mlp's Linear layers.")


@scenario
def linear_layer_run(layer_class, weight: np.ndarray, bias: np.ndarray, x: np.ndarray, dz: np.ndarray) -> dict:
    """layer_class(weight, bias) run on x: forward's output, backward(dz), grads after it and after a second
    backward(dz), and check_layer's report."""
    if not isinstance(layer_class, type):
        return {"problem": "not a class"}
    layer = layer_class(weight.copy(), bias.copy())
    z = _as_plain(layer.forward(x.copy()))
    try:
        dx = _as_plain(layer.backward(dz.copy()))
    except ValueError as error:  # numpy's word for factors whose shapes do not fit: the check names the shapes
        if not any(word in str(error) for word in ("matmul", "shape", "broadcast", "align")):
            raise
        return {"z": z, "shape_error": True}
    grads = getattr(layer, "grads", None)
    first = _as_plain(grads) if isinstance(grads, dict) else None
    layer.backward(dz.copy())
    second = _as_plain(getattr(layer, "grads", None)) if isinstance(getattr(layer, "grads", None), dict) else None
    result = {"z": z, "dx": dx, "grads": first, "grads_again": second, "report": {}}
    if isinstance(dx, np.ndarray) and dx.shape == x.shape:
        result["report"] = _report_data(layer, x.copy())
    return result


def _linear_problem(t, n: int, n_in: int, n_out: int):
    """θ_w, θ_b, x, dz drawn from the trial's seed, and mlp's Linear holding the same θ (the oracle)."""
    weight, bias = t.rng.normal(0, 1, (n_out, n_in)), t.rng.normal(0, 1, n_out)
    x, dz = t.rng.normal(0, 1, (n, n_in)), t.rng.normal(0, 1, (n, n_out))
    reference = Linear(n_in, n_out)
    reference.params["weight"][:], reference.params["bias"][:] = weight, bias
    return weight, bias, x, dz, reference


def _distinct_sizes(t) -> tuple[int, int, int]:
    """N, n_in, n_out, all different (so that a transposed result has a shape of its own)."""
    while True:
        n, n_in, n_out = (int(v) for v in t.rng.integers(2, 8, size=3))
        if len({n, n_in, n_out}) == 3:
            return n, n_in, n_out


@exercise("5.4", "MyLinear", answer=("mlp.layers.Linear",), uses=(),
          task="write the affine layer's backward yourself")
def check_linear_backward(t, MyLinear):
    """MyLinear(weight, bias).backward(dz) returns dE/dx and stores dE/dθ_w and dE/dθ_b in grads["weight"]
    and grads["bias"] (overwritten, not accumulated); compared with mlp.layers.Linear for a batch of 4 samples
    with 3 inputs and 2 outputs and for sizes drawn fresh, and gradient-checked."""
    for n, n_in, n_out in [(4, 3, 2), _distinct_sizes(t)]:
        weight, bias, x, dz, reference = _linear_problem(t, n, n_in, n_out)
        sizes = f"x of shape {x.shape}, θ_w {weight.shape}"
        run = t.run(linear_layer_run, MyLinear, weight, bias, x, dz, what=f"MyLinear for {sizes}")
        if run.get("problem"):
            raise Wrong("pass the class itself, check_linear_backward(MyLinear), not an object made from it")
        z = reference.forward(x)
        if not _close(run["z"], z):
            raise Wrong("MyLinear.forward no longer computes x θ_wᵀ + θ_b: restore the forward you were given")
        if "shape_error" in run:
            raise Wrong(f"MyLinear.backward(dz) combines arrays whose shapes do not fit (numpy raised ValueError). "
                        f"Here dz has shape {dz.shape} (N, n_out), "
                        f"x {x.shape} (N, n_in) and θ_w {weight.shape} (n_out, n_in); dE/dx must have x's shape, "
                        f"dE/dθ_w θ_w's and dE/dθ_b θ_b's {bias.shape}: which products and sums of these give "
                        "those shapes?")
        want_dx = reference.backward(dz)
        want = reference.grads
        if run["dx"] is None:
            raise Wrong("MyLinear.backward(dz) returned None: return dE/dx, an array of x's shape (N, n_in)")
        grads = run["grads"]
        if not isinstance(grads, dict) or "weight" not in grads or "bias" not in grads:
            raise Wrong("store the parameter gradients in self.grads['weight'] and self.grads['bias'] "
                        "(and return dE/dx)")
        dx = expect.returned(run["dx"], "MyLinear.backward(dz)")
        if np.shape(dx) != x.shape:
            raise Wrong(f"MyLinear.backward(dz) returned shape {np.shape(dx)} for {sizes}, but dE/dx has one entry "
                        f"per entry of x, shape {x.shape}: check which factors your product uses")
        dw, db = grads["weight"], grads["bias"]
        if np.shape(dw) != weight.shape:
            hint = (f"the transpose of θ_w's shape {weight.shape}: which order of the factors gives θ_w's shape?"
                    if np.shape(dw) == weight.T.shape else f"but θ_w has shape {weight.shape}: dE/dθ_w has one entry "
                    "per entry of θ_w")
            raise Wrong(f"self.grads['weight'] has shape {np.shape(dw)}, {hint}")
        if np.shape(db) != bias.shape:
            hint = (": that is one row per sample, but every sample uses the same θ_b, so their contributions add up"
                    if np.shape(db) == dz.shape else ": dE/dθ_b has one entry per entry of θ_b")
            raise Wrong(f"self.grads['bias'] has shape {np.shape(db)}, but θ_b has shape {bias.shape}{hint}")
        again = run["grads_again"] or {}
        if not (_close(again.get("weight"), dw) and _close(again.get("bias"), db)):
            raise Wrong("calling backward twice changed self.grads: store the gradients with =, do not add to them "
                        "(+=); as in mlp, each backward gives the gradients of the last forward")
        report = run["report"]
        checks = [("MyLinear.backward(dz), dE/dx,", dx, want_dx, "x"),
                  ("self.grads['weight']", dw, want["weight"], "weight"),
                  ("self.grads['bias']", db, want["bias"], "bias")]
        for what, got, expected, name in checks:
            got = expect.shaped(got, expected.shape, what)
            if _close(got, expected):
                continue
            if _close(got, expected / n):
                raise Wrong(f"{what} is divided by the number of samples N = {n}: E adds up the samples, so their "
                            "contributions add up (no mean)")
            if _close(got, -expected):
                raise Wrong(f"{what} has the wrong sign")
            i = tuple(int(k) for k in np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape))
            raise Wrong(f"{what} is off at entry {list(i)} for {sizes}: got {number(got[i])}, expected "
                        f"{number(expected[i])}{_worst(report, name)}; work out one entry with the chain rule "
                        "on paper, then write it for all entries at once")
    return ("dE/dx, dE/dθ_w and dE/dθ_b match mlp.layers.Linear, for a batch of 4 and for sizes drawn at random, "
            "and backward can be called twice.")


scoreboard = scoreboard_for(__name__)
