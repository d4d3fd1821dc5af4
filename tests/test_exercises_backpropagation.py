"""Notebook 05's exercise checks: right answers pass (a student's layer is a plain class, no mlp base
class), every recognised slip gets its own message, and an answer hard-coded for the inputs one trial
used fails on another seed (for 5.1, a function, that is in tests/test_every_exercise.py, with what every
exercise must satisfy). Also mlp.gradcheck.numerical_jacobian, which the notebook uses."""
import re

import numpy as np
import pytest

from mlp.exercises import ExerciseError, NotAttempted
from mlp.exercises.backpropagation import (
    HAND_KEYS, HAND_POINT, _example, _fresh_point, _hand_slips, check_hand_gradients, check_linear_backward,
    check_multiply_backward, check_sigmoid_layer, scoreboard,
)
from mlp.gradcheck import numerical_jacobian
from mlp._format import number
from mlp.graph import Node
from mlp.layers import Linear
from exercise_helpers import recorded
from solution_sweep import Watching

OTHER_SEED = 12345  # the grader's seeds differ from the notebook's


# --- Exercise 5.1: the example by hand ------------------------------------------------------------
# at x = 3, y = −1, z = −3 (worked out on paper, not taken from mlp): d = 2, e = −6, 𝓛 = 49,
# ∂𝓛/∂e = 2(e − 1) = −14, ∂𝓛/∂d = z·(−14) = 42, ∂𝓛/∂z = d·(−14) = −28, ∂𝓛/∂x = ∂𝓛/∂y = 42

AT_THE_POINT = {"d": 2, "e": -6, "L": 49, "dL_de": -14, "dL_dd": 42, "dL_dz": -28, "dL_dx": 42, "dL_dy": 42}


def by_hand(x, y, z):
    d = x + y
    e = d * z
    dL_de = 2 * (e - 1)
    return {"d": d, "e": e, "L": (e - 1) ** 2, "dL_de": dL_de, "dL_dd": z * dL_de, "dL_dz": d * dL_de,
            "dL_dx": z * dL_de, "dL_dy": z * dL_de}


def with_slip(key, slip):
    """by_hand, except that `key` is slip(x, y, z, right answers)."""
    def hand_gradients(x, y, z):
        right = by_hand(x, y, z)
        return {**right, key: slip(x, y, z, right)}
    return hand_gradients


def test_the_worked_numbers_are_mlps():
    assert by_hand(*HAND_POINT) == AT_THE_POINT
    assert _example(*HAND_POINT) == pytest.approx(AT_THE_POINT)


def test_hand_gradients_right(capsys):
    check_hand_gradients(by_hand)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 5.1: all eight numbers are right")
    assert "𝓛 = 49, ∂𝓛/∂x = ∂𝓛/∂y = 42, ∂𝓛/∂z = −28" in out


def test_hand_gradients_accept_numpy_numbers(verdict):
    assert verdict(check_hand_gradients, {"hand_gradients": lambda x, y, z: {k: np.float64(v) for k, v in by_hand(x, y, z).items()}}).passed


@pytest.mark.parametrize("key, slip, message", [
    ("d", lambda x, y, z, r: x - y, "d is off: you have 4; d is the sum"),
    ("e", lambda x, y, z, r: r["d"] + z, r"e is off \(d is right\).*multiplies d and z"),
    ("L", lambda x, y, z, r: r["e"] - 1, "L is off.*forget to square"),
    ("L", lambda x, y, z, r: r["e"] ** 2 - 1, "L is off.*square the difference e − 1"),
    ("dL_de", lambda x, y, z, r: r["e"] - 1, "dL_de is off.*a factor is missing"),
    ("dL_de", lambda x, y, z, r: 2 * r["e"], "dL_de is off.*the 1 inside"),
    ("dL_dd", lambda x, y, z, r: r["d"] * r["dL_de"], "dL_dd is off.*you have −28; you used d as the local gradient ∂e/∂d"),
    ("dL_dd", lambda x, y, z, r: z, "dL_dd is off.*local gradient ∂e/∂d alone"),
    ("dL_dd", lambda x, y, z, r: r["dL_de"], "dL_dd is off.*multiply ∂𝓛/∂e by the local gradient ∂e/∂d"),
    ("dL_dz", lambda x, y, z, r: z * r["dL_de"], "dL_dz is off.*you used z as the local gradient ∂e/∂z"),
    ("dL_dz", lambda x, y, z, r: r["d"], "dL_dz is off.*local gradient ∂e/∂z alone"),
    ("dL_dx", lambda x, y, z, r: 1, "dL_dx is off.*∂d/∂x alone"),
    ("dL_dy", lambda x, y, z, r: r["dL_de"], "dL_dy is off.*y reaches 𝓛 through d"),
    ("dL_dy", lambda x, y, z, r: -r["dL_dy"], "dL_dy is off.*look at its sign"),
    ("dL_dz", lambda x, y, z, r: r["dL_dz"] + 3, "dL_dz is off.*you have −25; ∂𝓛/∂z is the local gradient ∂e/∂z times"),
])
def test_hand_gradients_name_the_first_wrong_number_and_the_slip(key, slip, message, verdict):
    result = verdict(check_hand_gradients, {"hand_gradients": with_slip(key, slip)})
    assert result.status == "failed"
    assert result.message.startswith("at x = 3, y = −1, z = −3, ")
    assert re.search(message, result.message), result.message


@pytest.mark.parametrize("key", HAND_KEYS)
def test_a_wrong_number_never_gives_away_the_right_one(key, verdict):
    """The answers are numbers worked by hand: a message shows the student's number and a hint, never the
    number expected, at the notebook's point or at the fresh ones."""
    for seed in range(30):
        result = verdict(check_hand_gradients, {"hand_gradients": with_slip(key, lambda x, y, z, r: r[key] + 0.5)}, seed)
        assert result.status == "failed" and f"{key} is off" in result.message
        assert "expected" not in result.message
        point = tuple(float(v.replace("−", "-")) for v in re.match(r"at x = (\S+), y = (\S+), z = (\S+),",
                                                                     result.message).groups())
        assert f"you have {number(_example(*point)[key] + 0.5)};" in result.message


def test_swapped_local_gradients_are_not_mistaken_for_a_sign_error(verdict):
    """The notebook's point tells them apart: |d| ≠ |z| there (the old point x = 1, y = −3, z = 2 did not)."""
    d, z = HAND_POINT[0] + HAND_POINT[1], HAND_POINT[2]
    assert abs(d) != abs(z)
    swapped = with_slip("dL_dz", lambda x, y, z, r: z * r["dL_de"])
    message = verdict(check_hand_gradients, {"hand_gradients": swapped}).message
    assert "you used z as the local gradient" in message and "sign" not in message


def test_the_fresh_points_tell_every_slip_apart_and_differ_from_the_points_before():
    class FakeTrial:
        def __init__(self, seed):
            self.rng = np.random.default_rng(seed)

    for seed in range(300):
        trial = FakeTrial(seed)
        points = [HAND_POINT]
        points += [_fresh_point(trial, avoid=points)]
        points += [_fresh_point(trial, avoid=points)]
        for i, point in enumerate(points[1:], 1):
            right = _example(*point)
            for key, slips in _hand_slips(*point, right).items():
                numbers = [right[key], -right[key], *(wrong for wrong, _ in slips)]
                assert all(not np.isclose(a, b) for j, a in enumerate(numbers) for b in numbers[j + 1:]), (seed, point, key)
            for before in points[:i]:
                assert all(not np.isclose(right[key], _example(*before)[key]) for key in HAND_KEYS), (seed, point, before)


def test_a_right_answer_is_never_taken_for_a_hard_coded_one(verdict):
    """Seeds 13, 106 and 146 once drew a fresh point with the notebook's d and z, hence its eight numbers."""
    for seed in (13, 106, 146):
        assert verdict(check_hand_gradients, {"hand_gradients": by_hand}, seed).passed


def test_numbers_worked_out_only_for_the_notebooks_point_fail_at_the_fresh_ones(verdict):
    result = verdict(check_hand_gradients, {"hand_gradients": lambda x, y, z: dict(AT_THE_POINT)})
    assert result.status == "failed"
    assert "returns the same eight numbers as at x = 3, y = −1, z = −3: compute them from the arguments" in result.message


@pytest.mark.parametrize("answer, message", [
    (lambda x, y, z: [2, -6, 49], "should return a dict"),
    (lambda x, y, z: None, "returned None"),
    (lambda x, y, z: {k: v for k, v in by_hand(x, y, z).items() if k != "dL_dz"}, r"has no entries \['dL_dz'\]"),
    (lambda x, y, z: {**by_hand(x, y, z), "dL_dx": "42"}, "dL_dx in the dict .* should be a number"),
])
def test_hand_gradients_wrong_container_or_entries(answer, message):
    with pytest.raises(ExerciseError, match="^Exercise 5.1: .*" + message):
        check_hand_gradients(answer)


def test_a_stub_is_not_attempted_and_an_error_shows_the_students_own_code(verdict, stub):
    with pytest.raises(NotAttempted):
        check_hand_gradients(stub("Exercise 5.1"))
    result = verdict(check_hand_gradients, {"hand_gradients": lambda x, y, z: {"d": x + y, "e": (x + y) * w}})  # noqa: F821
    assert result.status == "failed" and "hand_gradients(3, −1, −3) raised NameError" in result.message
    assert "test_exercises_backpropagation.py" in result.details


# --- Exercise 5.2: the backward of a multiply node -------------------------------------------------

def multiply_node(backward, base=Node):
    """A multiply node class with the given backward(self, a, b)."""
    class MultiplyNode(base):
        symbol = "·"

        def forward(self):
            return self.inputs[0].value * self.inputs[1].value

        def backward(self):
            backward(self, *self.inputs)
    return MultiplyNode


def right_multiply(node, a, b):
    a.grad += b.value * node.grad
    b.grad += a.value * node.grad


def test_multiply_right(capsys):
    check_multiply_backward(multiply_node(right_multiply))
    assert capsys.readouterr().out.startswith("✔ Exercise 5.2: your multiply node backpropagates")


def swapped(node, a, b):
    a.grad += a.value * node.grad
    b.grad += b.value * node.grad


def no_upstream(node, a, b):
    a.grad += b.value
    b.grad += a.value


def assigned(node, a, b):
    a.grad = b.value * node.grad
    b.grad = a.value * node.grad


def returned(node, a, b):
    return b.value * node.grad, a.value * node.grad


def negated(node, a, b):
    a.grad -= b.value * node.grad
    b.grad -= a.value * node.grad


def halved(node, a, b):
    a.grad += b.value * node.grad / 2
    b.grad += a.value * node.grad / 2


@pytest.mark.parametrize("backward, message", [
    (swapped, "∂𝓛/∂d is off in 𝓛 = .* at x = 1.5, y = 0.5, z = 3: got 20, expected 30; you swapped the local gradients"),
    (no_upstream, "∂𝓛/∂d is off .*got 3, expected 30; that is the local gradient alone: multiply it by self.grad"),
    (assigned, r"for x · x at x = .* the gradient should be 2x = .*; both of backward's updates go to the one node x"),
    (returned, "got 0, expected 30; it stayed 0: backward must add to the inputs' gradients"),
    (negated, "got −30, expected 30; the sign is off"),
    (halved, "got 15, expected 30; a.grad should grow by"),
])
def test_multiply_wrong_backward_is_named(backward, message):
    with pytest.raises(ExerciseError, match="^Exercise 5.2: .*" + message):
        check_multiply_backward(multiply_node(backward))


def test_multiply_needs_its_own_node_class():
    with pytest.raises(ExerciseError, match="pass the class itself"):
        check_multiply_backward(multiply_node(right_multiply)())
    with pytest.raises(ExerciseError, match="must derive from mlp.graph.Node"):
        check_multiply_backward(int)


class OnlyLocalGradients(Node):
    """Local gradients written, backward left to Node's: the += the exercise is about is not the student's."""
    symbol = "·"

    def forward(self):
        return self.inputs[0].value * self.inputs[1].value

    def local_gradients(self):
        a, b = self.inputs
        return (b.value, a.value)


class DelegatesToNode(OnlyLocalGradients):
    def backward(self):
        super().backward()


class OwnLoopOverLocalGradients(OnlyLocalGradients):
    """Right: its own backward adds each share with +=, using its own local_gradients."""

    def backward(self):
        for node, local in zip(self.inputs, self.local_gradients()):
            node.grad += local * self.grad


class DelegatesOnlyForOneNode(OnlyLocalGradients):
    """Assigns (wrong), and hands x · x, where assigning shows, to Node's loop."""

    def backward(self):
        a, b = self.inputs
        if a is b:
            super().backward()
        else:
            a.grad = b.value * self.grad
            b.grad = a.value * self.grad


def test_the_rule_about_adding_is_checked(verdict):
    with pytest.raises(ExerciseError, match="MultiplyNode has no backward of its own, so it runs Node's"):
        check_multiply_backward(OnlyLocalGradients)
    with pytest.raises(ExerciseError, match=r"hands the work to Node.backward \(super\(\).backward\(\)\)"):
        check_multiply_backward(DelegatesToNode)
    with pytest.raises(ExerciseError, match=r"for x · x MultiplyNode.backward hands the work to Node.backward"):
        check_multiply_backward(DelegatesOnlyForOneNode)
    assert verdict(check_multiply_backward, {"MultiplyNode": OwnLoopOverLocalGradients}).passed


def test_multiply_changed_forward_is_named():
    node = multiply_node(right_multiply)
    changed = type("MultiplyNode", (node,), {"forward": lambda self: self.inputs[0].value + self.inputs[1].value})
    with pytest.raises(ExerciseError, match="MultiplyNode.forward\\(\\) gives 5 for a = 2, b = 3: restore the forward"):
        check_multiply_backward(changed)


# --- Exercise 5.3: a sigmoid layer of one's own ---------------------------------------------------

class StudentSigmoid:
    """Written as the notebook asks: a plain class, no mlp base class."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x):
        self.sigma_of_x = 1 / (1 + np.exp(-x))
        return self.sigma_of_x

    def backward(self, dz):
        s = self.sigma_of_x
        return dz * s * (1 - s)


def sigmoid_layer(forward=None, backward=None):
    """StudentSigmoid with forward(σ, x) or backward(σ, x, dz) replaced."""
    class MySigmoid(StudentSigmoid):
        def forward(self, x):
            self.x = x
            s = super().forward(x)
            return forward(s, x) if forward else s

        def backward(self, dz):
            s, x = self.sigma_of_x, self.x
            return backward(s, x, dz) if backward else super().backward(dz)
    return MySigmoid


def test_sigmoid_right(capsys):
    check_sigmoid_layer(StudentSigmoid)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 5.3: forward gives σ(x), backward agrees")
    assert "fully_connected(..., activation=MySigmoid)" in out


@pytest.mark.parametrize("backward, message", [
    (lambda s, x, dz: dz * s, "a factor of σ'\\(x\\) is missing: compare with your answer to \\(a\\)"),
    (lambda s, x, dz: s * (1 - s), "that is σ'\\(x\\) alone: multiply it by dz"),
    (lambda s, x, dz: dz * x * (1 - x), "it uses x where σ'\\(x\\) needs σ\\(x\\)"),
    (lambda s, x, dz: -dz * s * (1 - s), "the sign is off"),
    (lambda s, x, dz: dz * (1 - s * s), "tanh's pattern"),
    (lambda s, x, dz: dz * s * (1 - s) * 1.01,
     "mlp.gradcheck.check_layer: relative error .* against finite differences\\); compare with your answer"),
    (lambda s, x, dz: None, "MySigmoid.backward\\(dz\\) returned None"),
    (lambda s, x, dz: (dz * s * (1 - s))[:, :1], "MySigmoid.backward\\(dz\\) for dz of shape \\(3, 4\\) has shape \\(3, 1\\)"),
])
def test_sigmoid_wrong_backward_is_named(backward, message):
    with pytest.raises(ExerciseError, match="^Exercise 5.3: .*" + message):
        check_sigmoid_layer(sigmoid_layer(backward=backward))


class SinglePrecision(StudentSigmoid):
    def forward(self, x):
        return super().forward(x.astype(np.float32))


def test_a_float32_sigmoid_is_told_to_compute_in_float64(verdict):
    message = verdict(check_sigmoid_layer, {"MySigmoid": SinglePrecision}).message
    assert message.startswith("MySigmoid.") and "right only to single precision: compute in float64" in message


def test_sigmoid_wrong_backward_names_the_x_and_dz_where_it_is_off(verdict):
    message = verdict(check_sigmoid_layer, {"MySigmoid": sigmoid_layer(backward=lambda s, x, dz: dz * s)}).message
    assert message.startswith("MySigmoid.backward(dz) is off at x = ") and ", dz = " in message and "index" not in message


@pytest.mark.parametrize("forward, message", [
    (lambda s, x: None, "forward\\(x\\) returned None"),
    (lambda s, x: np.tanh(x), "that is tanh"),
    (lambda s, x: 1 / (1 + np.exp(x)), "it is mirrored"),
    (lambda s, x: s[:, :1], "has shape \\(3, 1\\), but it should have shape \\(3, 4\\)"),
    (lambda s, x: s + 0.1, "MySigmoid.forward is off at x = .*σ\\(0\\) should be 0.5"),
])
def test_sigmoid_wrong_forward_is_named(forward, message):
    with pytest.raises(ExerciseError, match="^Exercise 5.3: .*" + message):
        check_sigmoid_layer(sigmoid_layer(forward=forward))


def test_sigmoid_that_changes_x_in_place_or_has_parameters_or_members_missing():
    class InPlace(StudentSigmoid):
        def forward(self, x):
            np.negative(x, out=x)
            return super().forward(-x)

    class WithParameters(StudentSigmoid):
        def __init__(self):
            self.params, self.grads = {"scale": np.ones(1)}, {}

    class NoGrads:
        params = {}

        def forward(self, x):
            return x

        def backward(self, dz):
            return dz

    for layer, message in [(InPlace, "changed its input x"), (WithParameters, "σ has no parameters: leave params empty"),
                           (NoGrads, "a MySigmoid\\(\\) has no grads"), (StudentSigmoid(), "pass the class itself")]:
        with pytest.raises(ExerciseError, match="^Exercise 5.3: .*" + message):
            check_sigmoid_layer(layer)


def test_a_sigmoid_that_cannot_be_built_without_arguments_fails_inside_fully_connected(verdict):
    class NeedsWidth(StudentSigmoid):
        def __init__(self, width=None):
            if width is None:
                raise TypeError("NeedsWidth() needs a width")
            super().__init__()

    result = verdict(check_sigmoid_layer, {"MySigmoid": NeedsWidth})
    assert result.status == "failed" and "NeedsWidth() needs a width" in result.message


def test_a_sigmoid_that_only_works_alone_fails_inside_the_network(verdict):
    class Remembers(StudentSigmoid):
        outputs = []   # shared by every object of the class: two layers would mix up their outputs

        def forward(self, x):
            Remembers.outputs.append(super().forward(x))
            return Remembers.outputs[-1]

        def backward(self, dz):
            s = Remembers.outputs[0]
            return dz * s * (1 - s)

    assert not verdict(check_sigmoid_layer, {"MySigmoid": Remembers}).passed


def test_sigmoid_stub_is_not_attempted(stub):
    class Stubbed(StudentSigmoid):
        forward = stub("Exercise 5.3")

    with pytest.raises(NotAttempted):
        check_sigmoid_layer(Stubbed)


# --- Exercise 5.4: Linear.backward -------------------------------------------------------------------

def linear_layer(backward):
    """An affine layer as the notebook gives it, with backward(self, x, W, dz) given."""
    class MyLinear:
        def __init__(self, weight, bias):
            self.params = {"weight": weight, "bias": bias}
            self.grads = {}

        def forward(self, x):
            self.input = x
            return x @ self.params["weight"].T + self.params["bias"]

        def backward(self, dz):
            return backward(self, self.input, self.params["weight"], dz)
    return MyLinear


def right_linear(layer, x, W, dz):
    layer.grads["weight"] = dz.T @ x
    layer.grads["bias"] = dz.sum(axis=0)
    return dz @ W


def test_linear_right(capsys):
    check_linear_backward(linear_layer(right_linear))
    assert capsys.readouterr().out.startswith("✔ Exercise 5.4: dE/dx, dE/dθ_w and dE/dθ_b match mlp.layers.Linear")


def test_linear_right_with_einsum_and_new_dicts(verdict):
    def other_style(layer, x, W, dz):
        layer.grads = {"weight": np.einsum("ni,nj->ij", dz, x), "bias": np.sum(dz, axis=0)}
        return np.einsum("ni,ij->nj", dz, W)
    assert verdict(check_linear_backward, {"MyLinear": linear_layer(other_style)}).passed


def changed(**parts):
    """right_linear with some results replaced: parts are functions of (x, W, dz)."""
    def backward(layer, x, W, dz):
        dx = right_linear(layer, x, W, dz)
        for key in ("weight", "bias"):
            if key in parts:
                layer.grads[key] = parts[key](x, W, dz)
        return parts["dx"](x, W, dz) if "dx" in parts else dx
    return backward


def accumulating(layer, x, W, dz):
    layer.grads.setdefault("weight", np.zeros_like(W))
    layer.grads.setdefault("bias", np.zeros(W.shape[0]))
    layer.grads["weight"] += dz.T @ x
    layer.grads["bias"] += dz.sum(axis=0)
    return dz @ W


def no_grads(layer, x, W, dz):
    return dz @ W


@pytest.mark.parametrize("backward, message", [
    (changed(weight=lambda x, W, dz: x.T @ dz), "self.grads\\['weight'\\] has shape \\(3, 2\\), the transpose of θ_w's "
                                                "shape \\(2, 3\\): which order"),
    (changed(bias=lambda x, W, dz: dz), "self.grads\\['bias'\\] has shape \\(4, 2\\), .*one row per sample"),
    (changed(bias=lambda x, W, dz: dz.mean(axis=0)), "self.grads\\['bias'\\] is divided by the number of samples N = 4"),
    (changed(weight=lambda x, W, dz: dz.T @ x / len(x)), "self.grads\\['weight'\\] is divided by the number of samples"),
    (changed(dx=lambda x, W, dz: -dz @ W), "MyLinear.backward\\(dz\\), dE/dx, has the wrong sign"),
    (changed(dx=lambda x, W, dz: None), "MyLinear.backward\\(dz\\) returned None"),
    (changed(dx=lambda x, W, dz: dz), "returned shape \\(4, 2\\) for x of shape \\(4, 3\\), θ_w \\(2, 3\\), but dE/dx has one "
                                      "entry per entry of x"),
    (changed(weight=lambda x, W, dz: dz.T @ x + 0.5), "self.grads\\['weight'\\] is off at entry \\[.*\\] for x of shape "
                                                      "\\(4, 3\\).*relative error .* work out one entry"),
    (no_grads, "store the parameter gradients in self.grads\\['weight'\\] and self.grads\\['bias'\\]"),
    (changed(dx=lambda x, W, dz: dz @ W.T), r"MyLinear.backward\(dz\) combines arrays whose shapes do not fit .*Here dz "
                                            r"has shape \(4, 2\) \(N, n_out\), x \(4, 3\) \(N, n_in\) and θ_w \(2, 3\)"),
    (changed(bias=lambda x, W, dz: dz.sum(axis=1) + np.zeros(2)), "shapes do not fit"),
    (accumulating, "calling backward twice changed self.grads: store the gradients with =, do not add"),
])
def test_linear_wrong_backward_is_named(backward, message):
    with pytest.raises(ExerciseError, match="^Exercise 5.4: .*" + message):
        check_linear_backward(linear_layer(backward))


def test_linear_changed_forward_or_an_object_instead_of_the_class():
    class Changed(linear_layer(right_linear)):
        def forward(self, x):
            self.input = x
            return x @ self.params["weight"].T

    with pytest.raises(ExerciseError, match="MyLinear.forward no longer computes"):
        check_linear_backward(Changed)
    with pytest.raises(ExerciseError, match="pass the class itself"):
        check_linear_backward(linear_layer(right_linear)(np.ones((2, 3)), np.zeros(2)))


def test_linear_stub_is_not_attempted_and_the_scoreboard_counts(capsys, stub):
    with pytest.raises(NotAttempted):
        check_linear_backward(linear_layer(stub("Exercise 5.4")))
    scoreboard()
    assert "5.4 ·" in capsys.readouterr().out


# --- a class hard-coded for one trial's inputs (5.1, a function, in tests/test_every_exercise.py) ------------

@pytest.mark.parametrize("check, name, make, right", [
    (check_multiply_backward, "MultiplyNode", multiply_node, right_multiply),
    (check_sigmoid_layer, "MySigmoid", lambda backward: type("MySigmoid", (StudentSigmoid,), {"backward": backward}),
     StudentSigmoid.backward),
    (check_linear_backward, "MyLinear", linear_layer, right_linear),
], ids=["5.2", "5.3", "5.4"])
def test_a_class_whose_backward_is_hard_coded_for_one_trial_fails_on_the_graders(check, name, make, right, verdict):
    record, replay = recorded(right)
    assert verdict(check, {name: make(record)}).passed
    hard_coded = make(replay())
    assert verdict(check, {name: hard_coded}).passed
    assert not verdict(check, {name: hard_coded}, OTHER_SEED).passed


# --- mlp.gradcheck.numerical_jacobian -------------------------------------------------------------

def test_numerical_jacobian_of_a_linear_map_is_its_matrix():
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    x = np.array([0.3, -0.7, 1.1])
    J = numerical_jacobian(lambda: A @ x, x)
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, A, atol=1e-8)
    np.testing.assert_array_equal(x, [0.3, -0.7, 1.1])  # restored


def test_numerical_jacobian_of_an_entrywise_function_is_diagonal_and_flattened_row_major():
    x = np.array([[0.1, -0.4], [0.8, 1.5]])
    J = numerical_jacobian(lambda: np.tanh(x), x)
    assert J.shape == (4, 4)
    np.testing.assert_allclose(J, np.diag(1 - np.tanh(x.ravel()) ** 2), atol=1e-8)


def test_numerical_jacobian_refuses_float32():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        numerical_jacobian(lambda: x * 2, x)


# --- the watcher of the tests sees a class that hands its work to mlp ------------------------------------

def test_the_watching_transport_sees_a_call_into_an_answer():
    """tests/test_every_exercise.py's watching can fail for a class too: a layer that hands its work to mlp.Linear is
    seen calling it."""
    class Wrapping:
        def __init__(self, weight, bias):
            self.inner = Linear(weight.shape[1], weight.shape[0])
            self.inner.params["weight"][:], self.inner.params["bias"][:] = weight, bias
            self.params, self.grads = self.inner.params, self.inner.grads

        def forward(self, x):
            return self.inner.forward(x)

        def backward(self, dz):
            return self.inner.backward(dz)

    transport = Watching({"MyLinear": Wrapping}, ("mlp.layers.Linear",))
    assert check_linear_backward.check(transport, 7).passed   # the value is right: only the watcher can tell
    assert "Linear._backward" in transport.seen
