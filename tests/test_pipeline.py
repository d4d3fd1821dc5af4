"""The notebook pipeline: solutions are the one source; lectures are generated, never drift, leak nothing,
and regenerating them never destroys a student's edits. (That every stub in a lecture really raises is
checked while nbval runs the lecture, in the root conftest.py.)"""
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from mlp.exercises import contract
from tools import make_lectures

ROOT = Path(__file__).resolve().parent.parent

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
NAMES = [p.name for p in SOLUTIONS]


def notebook(*cells, tags=None):
    """A small solution notebook from (cell_type, source) pairs."""
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source))
    return nb


def lecture_cells(nb, name="t.ipynb", **options):
    """The cells a lecture made from `nb` holds after its first cell, the Colab cell."""
    cells = make_lectures.make_lecture(nb, name, **options).cells
    assert cells[0].source == contract.COLAB_CELL and cells[0].metadata["tags"] == [contract.COLAB_TAG]
    return cells[1:]


# --- the generator on small notebooks ---------------------------------------------------------

def test_solution_region_becomes_a_stub_naming_its_exercise_at_its_indentation():
    nb = notebook(("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 2.3\n    return 2 * x\n    ### END SOLUTION"))
    source = lecture_cells(nb)[0].source
    assert source == 'def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError("Exercise 2.3: write your code here")'


def test_cells_that_use_a_stubbed_function_are_tagged_and_others_are_not():
    nb = notebook(
        ("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 1.1\n    return x\n    ### END SOLUTION"),
        ("code", "%matplotlib inline\ny = 3"),
        ("code", "check(f)"),
        ("code", "def g():\n    return f(1)"),
    )
    cells = lecture_cells(nb)
    assert [c.metadata.get("tags", []) for c in cells] == [[], [], ["raises-exception"], []]


def test_hidden_tests_are_dropped_and_markdown_answers_replaced():
    nb = notebook(
        ("code", "x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\ny = 2"),
        ("markdown", "Why?\n<!-- BEGIN SOLUTION -->\nBecause the product of affine maps is affine.\n<!-- END SOLUTION -->"),
    )
    cells = lecture_cells(nb)
    assert cells[0].source == "x = 1\ny = 2"
    assert cells[1].source == "Why?\n*Your answer here.*"


def test_outputs_and_counts_are_cleared():
    nb = notebook(("code", "1 + 1"))
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    cell = lecture_cells(nb)[0]
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
    assert "solutions/t.ipynb, cell 2 (counting every cell from 1)" in str(error.value)


# --- the committed notebooks ------------------------------------------------------------------

def test_there_are_solutions_and_every_lecture_has_one():
    assert SOLUTIONS, "no solution notebooks found"
    lectures = {p.name for p in (ROOT / "lectures").glob("*.ipynb")}
    assert lectures == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_lecture_is_generated_from_its_solution(name):
    committed = (ROOT / "lectures" / name).read_text()
    assert committed == make_lectures.render(ROOT / "solutions" / name), (
        f"lectures/{name} differs from what its solution generates: run python3 course.py lectures "
        f"{Path(name).stem} (with --execute if you changed code in the solution)"
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
            if contract.SOLUTION_BEGIN.match(line) or contract.MARKDOWN_BEGIN.match(line):
                inside = True
            elif contract.SOLUTION_END.match(line) or contract.MARKDOWN_END.match(line):
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
    shown = {line.strip() for line in text.splitlines()}  # a line of the solution shown as a line of the lecture
    leaked = [line for line in lines if line in shown]
    assert not leaked, f"lectures/{name} contains solution lines: {leaked[:3]}"
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert all(not c.get("outputs") for c in lecture.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_solution_was_run_after_its_last_edit(name):
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    assert nb.metadata.get("course", {}).get("executed_code") == make_lectures.code_fingerprint(nb), (
        f"solutions/{name} was edited after it was last run, so its stored outputs may be stale: "
        f"run python3 course.py lectures --execute {Path(name).stem}"
    )


# --- never destroy a student's work ------------------------------------------------------------

@pytest.fixture
def clone(tmp_path, monkeypatch):
    """A copy of the course's solutions and lectures in which the generator may write."""
    for folder in ("solutions", "lectures"):
        (tmp_path / folder).mkdir()
        for notebook in (ROOT / folder).glob("*.ipynb"):
            shutil.copy(notebook, tmp_path / folder)
    monkeypatch.setattr(make_lectures, "ROOT", tmp_path)
    monkeypatch.setattr(make_lectures, "SOLUTIONS", tmp_path / "solutions")
    monkeypatch.setattr(make_lectures, "LECTURES", tmp_path / "lectures")
    return tmp_path


def _sources(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells]


def _solve_in_the_lecture(path):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "NotImplementedError" in c.source)
    cell.source = cell.source.replace("raise NotImplementedError", "return 'my answer'  #")
    nbformat.write(nb, path)
    return cell.source


def test_regenerating_leaves_a_lecture_with_a_students_edits_alone(clone, capsys):
    lecture = clone / "lectures" / NAMES[0]
    answer = _solve_in_the_lecture(lecture)
    solution = nbformat.read(clone / "solutions" / NAMES[0], as_version=4)
    solution.cells[0].source += "\n\nA sentence the teacher added."
    nbformat.write(solution, clone / "solutions" / NAMES[0])
    assert make_lectures.main([Path(NAMES[0]).stem]) == 1
    assert answer in _sources(lecture)
    said = capsys.readouterr().err
    assert f"left lectures/{NAMES[0]} alone" in said and "--force" in said


def test_force_replaces_it_and_keeps_the_edited_copy(clone, capsys):
    lecture = clone / "lectures" / NAMES[0]
    answer = _solve_in_the_lecture(lecture)
    assert make_lectures.main(["--force", Path(NAMES[0]).stem]) == 0
    copies = list((clone / "lectures" / "edited-copies").glob(f"{Path(NAMES[0]).stem}-*.ipynb"))
    assert len(copies) == 1 and answer in _sources(copies[0])
    assert lecture.read_text() == make_lectures.render(clone / "solutions" / NAMES[0])
    assert "the edited file was saved as" in capsys.readouterr().out


def test_a_generated_lecture_is_not_mistaken_for_an_edited_one(clone):
    lecture = clone / "lectures" / NAMES[0]
    assert not make_lectures.edited(lecture)
    solution = nbformat.read(clone / "solutions" / NAMES[0], as_version=4)
    solution.cells[0].source += "\n\nA sentence the teacher added."
    nbformat.write(solution, clone / "solutions" / NAMES[0])
    assert make_lectures.main([Path(NAMES[0]).stem]) == 0
    assert "A sentence the teacher added." in lecture.read_text()


def test_a_malformed_marker_is_one_line_naming_the_notebook_and_cell(clone, capsys):
    solution = nbformat.read(clone / "solutions" / NAMES[0], as_version=4)
    solution.cells.insert(2, nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION Exercise 9.9\n    return 1"))
    nbformat.write(solution, clone / "solutions" / NAMES[0])
    assert make_lectures.main([Path(NAMES[0]).stem]) == 2
    said = capsys.readouterr().err.strip()
    assert said == (f"error: solutions/{NAMES[0]}, cell 3 (counting every cell from 1): a '### BEGIN' marker has "
                    "no matching '### END' marker")


# --- nbgrader's cell metadata -------------------------------------------------------------------

def test_solution_check_and_answer_cells_get_nbgraders_metadata_and_the_lecture_a_copy():
    nb = notebook(
        ("code", "import numpy as np"),
        ("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 2.3\n    return 2 * x\n    ### END SOLUTION"),
        ("code", "check_f(f)"),
        ("markdown", "Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->"),
    )
    assert make_lectures.nbgrader_metadata(nb, "02_t.ipynb")
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert meta[0] is None
    assert meta[1] == {"solution": True, "grade": False, "locked": False, "grade_id": "ex2_3", "schema_version": 3}
    assert meta[2] == {"solution": False, "grade": True, "locked": True, "points": 1, "grade_id": "ex2_3_check",
                       "schema_version": 3}
    assert meta[3] == {"solution": True, "grade": True, "locked": False, "points": 1, "grade_id": "answer2_1",
                       "schema_version": 3}
    assert not make_lectures.nbgrader_metadata(nb, "02_t.ipynb"), "filling in twice changes nothing"
    assert [c.metadata.get("nbgrader") for c in lecture_cells(nb, "02_t.ipynb")] == meta


def test_points_a_teacher_set_are_kept():
    nb = notebook(("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 1.1\n    return x\n    ### END SOLUTION"),
                  ("code", "check_f(f)"))
    nb.cells[1].metadata["nbgrader"] = {"points": 3}
    make_lectures.nbgrader_metadata(nb, "01_t.ipynb")
    assert nb.cells[1].metadata["nbgrader"]["points"] == 3
    assert nb.cells[1].metadata["nbgrader"]["grade_id"] == "ex1_1_check"


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_solutions_carry_nbgraders_metadata(name):
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    assert not make_lectures.nbgrader_metadata(nb, name), (
        f"solutions/{name} lacks nbgrader metadata: run python3 course.py lectures {Path(name).stem}")
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert ids and len(ids) == len(set(ids))


def test_worked_derivations_follow_the_check_or_stay_in_the_solutions():
    derivation = nbformat.v4.new_markdown_cell("The derivation: 2x.", metadata={"tags": [contract.DERIVATION_TAG]})
    nb = notebook(("code", "def f(x):\n    ### BEGIN SOLUTION Exercise 1.1\n    return 2 * x\n    ### END SOLUTION"),
                  ("code", "check_f(f)"))
    nb.cells.append(derivation)
    assert lecture_cells(nb)[-1].source == "The derivation: 2x."
    assert [c.source for c in lecture_cells(nb, derivations="solutions-only")] == [c.source for c in lecture_cells(nb)][:2]
    with pytest.raises(ValueError, match="derivations must be one of"):
        make_lectures.make_lecture(nb, "t.ipynb", derivations="never")


def test_the_choice_of_derivations_is_kept_by_later_runs(tmp_path):
    nb = notebook(("markdown", "# T"))
    target = tmp_path / "01_t.ipynb"
    nbformat.write(make_lectures.make_lecture(nb, "01_t.ipynb", derivations="solutions-only"), target)
    assert make_lectures.recorded_derivations(target) == "solutions-only"
    assert make_lectures.recorded_derivations(tmp_path / "missing.ipynb") == "after-check"


def test_the_colab_cell_does_nothing_outside_colab_and_installs_the_course_inside(monkeypatch):
    import subprocess
    import types
    ran, enabled = [], []
    monkeypatch.setattr(subprocess, "run", lambda command, **options: ran.append(command))
    exec(contract.COLAB_CELL, {})
    assert ran == []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: enabled.append(True))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    exec(contract.COLAB_CELL, {})
    assert len(ran) == 1 and ran[0][-1] == f"mlp-course @ git+https://github.com/{contract.REPOSITORY}@{contract.BRANCH}"
    assert enabled == [True]
