"""The exercise toolkit: plain data on the wire, verdicts, fresh inputs, and feedback without checker frames."""
import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from mlp.exercises import contract, core, wire
from mlp.exercises.core import Verdict
from mlp.exercises.linear_regression import check_design_matrix, scoreboard


# --- the wire: plain data only ------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", float("nan"), float("inf"), [1, [2.0, "x"]], (1, (2,)), {"a": 1, 3: (4.0,)},
    np.arange(6, dtype=np.int32).reshape(2, 3), np.linspace(0, 1, 5, dtype=np.float32), np.array([True, False]),
    np.float64(1.5), np.int64(7), np.zeros((0, 4)), np.array(2.0),
])
def test_plain_data_arrives_as_it_left(value):
    back = wire.decode(wire.encode(value))
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        assert type(back) is type(value) and back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value and type(back) is type(value)


def test_what_is_not_plain_data_arrives_as_a_description():
    back = wire.decode(wire.encode([len, np.array([object()]), type("Layer", (), {})()]))
    assert [o.type_name for o in back] == ["builtin_function_or_method", "ndarray", "Layer"]
    assert back[0].text == "the function len" and back[2].text == "a Layer"


@pytest.mark.parametrize("data", [
    {"__array__": "!!!", "dtype": "<f8", "shape": [1]},
    {"__array__": "AAAAAAAA8D8=", "dtype": "<f8", "shape": [2]},
    {"__array__": "", "dtype": "|O", "shape": [0]},
    {"__pickle__": "gASV"},
    {"a": 1},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
])
def test_malformed_answers_are_refused_not_trusted(data):
    with pytest.raises((ValueError, TypeError)):
        wire.decode(data)


def test_an_error_in_the_students_code_comes_back_with_their_frames_only(tmp_path):
    source = tmp_path / "cell.py"
    source.write_text("import numpy as np\ndef design_matrix(X):\n    return np.hstack(X, np.ones((len(X), 1)))\n")
    namespace = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    answer = wire.serve({"op": "call", "target": {"__ref__": "design_matrix"}, "args": [wire.encode(np.ones((2, 2)))]},
                        namespace.__getitem__)
    error = answer["error"]
    assert error["type"] == "TypeError" and error["stub"] is None
    assert "cell.py, line 3, in design_matrix" in error["traceback"]
    assert "numpy" not in error["traceback"].split("\n")[0] and "mlp" not in error["traceback"]


def test_a_stub_and_a_missing_name_are_told_apart(stub):
    call = {"op": "call", "target": {"__ref__": "design_matrix"}, "args": [1]}
    assert wire.serve(call, {"design_matrix": stub("Exercise 1.1")}.__getitem__)["error"]["stub"] == "Exercise 1.1"
    assert wire.serve(call, {}.__getitem__)["error"]["type"] == "NameError"


def test_the_stub_line_is_one_text_everywhere():
    line = contract.stub_line("Exercise 3.2")
    namespace = {}
    with pytest.raises(NotImplementedError) as raised:
        exec(line, namespace)
    assert contract.stub_label(raised.value) == "Exercise 3.2"


# --- verdicts -----------------------------------------------------------------------------------

def right(X):
    return np.hstack([X, np.ones((len(X), 1))])


@pytest.fixture
def judge(verdict):
    """judge(function, seed=None): check_design_matrix's verdict on it."""
    return lambda function, seed=None: verdict(check_design_matrix, {"design_matrix": function}, seed)


def test_each_kind_of_answer_gets_its_status(judge, stub):
    assert judge(right).status == "passed"
    assert judge(lambda X: X).status == "failed"
    assert judge(stub("Exercise 1.1")).status == "not attempted"
    assert "uses your answer to Exercise 9.9" in judge(stub("Exercise 9.9")).message
    assert judge(lambda X: [[1, 2], [3]]).status == "failed"  # ragged: the check copes, it does not crash


def test_the_student_gets_copies_so_a_check_cannot_be_fooled_by_aliasing(judge):
    kept = []

    def keep(X):
        kept.append(X)
        return right(X)

    assert judge(keep).passed
    assert all(isinstance(x, np.ndarray) and x.flags.owndata for x in kept)


def test_the_check_cell_prints_a_tick_or_raises_a_verdict(capsys):
    check_design_matrix(right)
    assert capsys.readouterr().out.startswith("✔ Exercise 1.1: ")
    with pytest.raises(core.ExerciseError) as raised:
        check_design_matrix(lambda X: X)
    lines = raised.value._render_traceback_()
    assert "✘ Exercise 1.1 is not right yet" in lines[0] and "the column for the bias is missing" in lines[1]
    with pytest.raises(core.NotAttempted):
        check_design_matrix(lambda X: (_ for _ in ()).throw(NotImplementedError("Exercise 1.1: write your code here")))


def test_the_scoreboard_counts_this_kernels_verdicts(capsys, monkeypatch):
    monkeypatch.setattr(core, "RESULTS", {"1.1": Verdict("Exercise 1.1", "passed", ""),
                                          "1.3": Verdict("Exercise 1.3", "failed", "")})
    scoreboard()
    assert capsys.readouterr().out.splitlines()[0] == "1 of 5 solved: 1.1 ✔  1.2 ·  1.3 ✘  1.4 ·  1.5 ·"


# --- in a real kernel: what the student sees ---------------------------------------------------

def test_feedback_in_a_kernel_shows_the_message_and_the_students_frames_never_the_checkers():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in [
        "import numpy as np\nfrom mlp.exercises.linear_regression import check_design_matrix",
        "def design_matrix(X):\n    return np.hstack(X, np.ones((len(X), 1)))",
        "check_design_matrix(design_matrix)",
        "def design_matrix(X):\n    return X",
        "check_design_matrix(design_matrix)",
        "def design_matrix(X):\n    " + contract.stub_line("Exercise 1.1"),
        "check_design_matrix(design_matrix)",
        "A = design_matrix(np.ones((2, 2)))",
    ]]
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    errors = {i: next(o for o in c.outputs if o.output_type == "error") for i, c in enumerate(nb.cells)
              if any(o.output_type == "error" for o in c.outputs)}
    assert sorted(errors) == [2, 4, 6, 7]
    plain = {i: re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(e.traceback)) for i, e in errors.items()}
    assert all("mlp/exercises" not in text and "core.py" not in text for text in plain.values())
    assert "raised TypeError: hstack() takes 1 positional argument but 2 were given" in plain[2]
    assert "Cell In[2], line 2, in design_matrix" in plain[2]
    assert plain[4].startswith("✘ Exercise 1.1 is not right yet") and len(plain[4].splitlines()) == 2
    assert errors[6].ename == "NotAttempted" and plain[6].startswith("✘ Exercise 1.1 is not solved yet")
    assert errors[7].ename == "NotImplementedError" and "This cell needs Exercise 1.1" in plain[7]


# --- delegation: the watcher tells a student who calls mlp's own answer (notebook only) ---------------

import importlib  # noqa: E402
import sys  # noqa: E402

import mlp  # noqa: E402
from mlp.exercises.watch import watching  # noqa: E402


@core.exercise("9.5", "design_matrix", answer=("mlp.regression.add_bias_column",), task="append the column yourself")
def check_ones_column(t, design_matrix):
    X = t.rng.uniform(1, 2, size=(4, 3))
    got = t.call(design_matrix, X, what="design_matrix(X)")
    if not np.allclose(got, np.hstack([X, np.ones((4, 1))])):
        raise core.Wrong("not [X, 1]")
    return "right."


@core.exercise("9.6", "sigma", answer=("mlp.layers.Sigmoid",), task="write σ and σ′ yourself")
def check_a_layer(t, sigma):
    x = t.rng.standard_normal((3, 2))
    if not np.allclose(t.call(sigma, x, what="sigma(x)"), 1 / (1 + np.exp(-x))):
        raise core.Wrong("off")
    return "right."


copied = mlp.regression.add_bias_column  # a function object taken before any check ran


class Wrapped:
    def __init__(self):
        self.inner = mlp.Sigmoid()

    def forward(self, x):
        return self.inner.forward(x)


DELEGATING = {
    "by name": (check_ones_column, lambda X: mlp.regression.add_bias_column(X)),
    "copied earlier": (check_ones_column, lambda X: copied(X)),
    "through importlib": (check_ones_column, lambda X: importlib.import_module("mlp.regression").add_bias_column(X)),
    "through getattr": (check_ones_column, lambda X: getattr(mlp.regression, "add_bias_" + "column")(X)),
    "subclassed": (check_a_layer, lambda x: type("MySigmoid", (mlp.Sigmoid,), {})().forward(x)),
    "wrapped": (check_a_layer, lambda x: Wrapped().forward(x)),
}


@pytest.mark.parametrize("route", DELEGATING)
def test_calling_mlps_own_answer_is_told_in_one_line(route, capsys):
    check, answer = DELEGATING[route]
    with pytest.raises(core.ExerciseError) as raised:
        check(answer)
    lines = raised.value._render_traceback_()
    assert len(lines) == 1
    named = check.answer[0]
    assert f"{check.label} uses {named}: the point is to {check.task}" in lines[0]


def test_honest_answers_and_other_parts_of_mlp_pass_the_watcher(capsys):
    check_ones_column(lambda X: np.hstack([X, np.ones((len(X), 1))]))
    check_ones_column(lambda X: np.hstack([X, np.ones((len(X), 1))]) + 0 * mlp.regression.gradient(X, X[:, 0], np.zeros(4)).sum())
    assert capsys.readouterr().out.startswith("✔ Exercise 9.5")


def test_the_watcher_puts_back_a_profile_function_already_there():
    def mine(frame, event, arg):
        return None
    sys.setprofile(mine)
    try:
        with watching(("mlp.regression.add_bias_column",)) as used:
            mlp.regression.add_bias_column(np.ones((2, 2)))
        assert used == ["mlp.regression.add_bias_column"] and sys.getprofile() is mine
    finally:
        sys.setprofile(None)


class ReportsUse(core.Transport):
    """A transport that claims the student's code used mlp (what a kernel could forge): the grader ignores it."""

    def answer(self, request):
        X = wire.decode(request["args"])[0]
        return {"ok": wire.encode(np.hstack([X, np.ones((len(X), 1))])), "used": "mlp.regression.add_bias_column"}


def test_only_the_notebooks_own_transport_is_believed_about_use():
    assert check_ones_column.check(ReportsUse(), seed=3).passed
