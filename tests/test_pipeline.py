"""The notebook pipeline: solutions are the one source; lectures are generated, never drift, leak nothing,
and every exercise stub in them really raises NotImplementedError (nbval alone cannot tell)."""
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_lectures  # noqa: E402

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
NAMES = [p.name for p in SOLUTIONS]


def notebook(*cells, tags=None):
    """A small solution notebook from (cell_type, source) pairs."""
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source))
    return nb


# --- the generator on small notebooks ---------------------------------------------------------

def test_solution_region_becomes_a_stub_naming_its_exercise_at_its_indentation():
    nb = notebook(("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 2.3\n    return 2 * x\n    ### END SOLUTION"))
    source = make_lectures.make_lecture(nb, "t.ipynb").cells[0].source
    assert source == 'def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError("Exercise 2.3: write your code here")'


def test_cells_that_use_a_stubbed_function_are_tagged_and_others_are_not():
    nb = notebook(
        ("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 1.1\n    return x\n    ### END SOLUTION"),
        ("code", "%matplotlib inline\ny = 3"),
        ("code", "check(f)"),
        ("code", "def g():\n    return f(1)"),
    )
    cells = make_lectures.make_lecture(nb, "t.ipynb").cells
    assert [c.metadata.get("tags", []) for c in cells] == [[], [], ["raises-exception"], []]


def test_hidden_tests_are_dropped_and_markdown_answers_replaced():
    nb = notebook(
        ("code", "x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\ny = 2"),
        ("markdown", "Why?\n<!-- BEGIN SOLUTION -->\nBecause the product of affine maps is affine.\n<!-- END SOLUTION -->"),
    )
    cells = make_lectures.make_lecture(nb, "t.ipynb").cells
    assert cells[0].source == "x = 1\ny = 2"
    assert cells[1].source == "Why?\n*Your answer here.*"


def test_outputs_and_counts_are_cleared():
    nb = notebook(("code", "1 + 1"))
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    cell = make_lectures.make_lecture(nb, "t.ipynb").cells[0]
    assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "name the exercise"),
    ("x = 1\n### BEGIN SOLUTION Exercise 1.1\nx = 2\n### END SOLUTION", "inside a def"),
    ("def f():\n    ### BEGIN SOLUTION Exercise 1.1\n    return 1", "no matching"),
    ("def f():\n    return 1\n    ### END SOLUTION", "unmatched"),
])
def test_malformed_markers_are_reported_with_the_notebook_and_cell(source, message):
    with pytest.raises(make_lectures.MarkerError, match=message) as error:
        make_lectures.make_lecture(notebook(("code", "x = 0"), ("code", source)), "t.ipynb")
    assert "t.ipynb, cell 1" in str(error.value)


# --- the committed notebooks ------------------------------------------------------------------

def test_there_are_solutions_and_every_lecture_has_one():
    assert SOLUTIONS, "no solution notebooks found"
    lectures = {p.name for p in (ROOT / "lectures").glob("*.ipynb")}
    assert lectures == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_lecture_is_generated_from_its_solution(name):
    committed = (ROOT / "lectures" / name).read_text()
    assert committed == make_lectures.render(ROOT / "solutions" / name), (
        f"lectures/{name} differs from what its solution generates: run python3 course.py lectures"
    )


@pytest.mark.parametrize("name", NAMES)
def test_solution_is_committed_executed_top_to_bottom(name):
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"solutions/{name} was not saved right after one run from the top: "
        "run python3 course.py lectures --execute"
    )


def _solution_lines(name):
    """Lines inside solution regions of a solution notebook (code and markdown)."""
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    lines, inside = [], False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if re.match(r"\s*(### BEGIN SOLUTION|<!-- BEGIN SOLUTION -->)", line):
                inside = True
            elif re.match(r"\s*(### END SOLUTION|<!-- END SOLUTION -->)", line):
                inside = False
            elif inside and len(line.strip()) >= 10:
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_leaks_into_the_lecture(name):
    lines = _solution_lines(name)
    assert lines, f"solutions/{name} has no exercise (no '### BEGIN SOLUTION' region)"
    lecture = nbformat.read(ROOT / "lectures" / name, as_version=4)
    text = "\n".join(c.source for c in lecture.cells)
    leaked = [line for line in lines if line in text]
    assert not leaked, f"lectures/{name} contains solution lines: {leaked[:3]}"
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert all(not c.get("outputs") for c in lecture.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_every_stub_raises_and_nothing_else_fails(name):
    path = ROOT / "lectures" / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=None, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    labels = set(re.findall(r'NotImplementedError\("(.+?): write your code here"\)', "\n".join(c.source for c in nb.cells)))
    raised = set()
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            assert errors, f"lectures/{name} cell {number} is tagged raises-exception but raised nothing"
            error = errors[0]
            assert error.ename == "NotImplementedError", (
                f"lectures/{name} cell {number} raised {error.ename}: {error.evalue} instead of an exercise stub's NotImplementedError"
            )
            raised.add(error.evalue.split(": write your code here")[0])
        else:
            assert not errors, f"lectures/{name} cell {number} failed: {errors[0].ename}: {errors[0].evalue}"
    assert raised == labels, f"stubs that never raised in lectures/{name}: {sorted(labels - raised)}"
