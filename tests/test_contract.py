"""The notebook contract (mlp.exercises.contract): the generator, the grader and the checks read the
same facts, so that the lectures the generator writes are the lectures the grader understands."""
import importlib
from pathlib import Path

import nbformat
import pytest

from mlp.exercises import contract, core
from tools import make_lectures
from tools.grading import submission

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


def _grade_ids(notebook) -> dict[str, str]:
    """grade_id -> cell type, from the nbgrader metadata the generator wrote."""
    return {c.metadata["nbgrader"]["grade_id"]: c.cell_type for c in notebook.cells if "nbgrader" in c.metadata}


@pytest.mark.parametrize("name", NAMES)
def test_the_grader_finds_every_exercise_the_generator_marked(name):
    lecture = make_lectures.make_lecture(nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4), name)
    planned = submission.lecture_from_notebook(lecture, name)
    module = importlib.import_module(contract.check_module(name))
    exercises = core.exercises_of(module.__name__)
    checks = [s for s in planned.steps if s.kind == "check"]
    assert [s.exercise.number for s in checks] == [e.number for e in exercises], "each exercise checked once, in order"
    ids = _grade_ids(lecture)
    assert {s.grade_id for s in checks} == {contract.check_id(e.number) for e in exercises} <= set(ids)
    answers = [s for s in planned.steps if s.kind == "run" and s.from_student]
    labels = {s.answers for s in answers}
    assert labels == {contract.label(e.number) for e in exercises}, "every exercise has its answer cell, and no other"
    assert {s.grade_id for s in answers} == {contract.answer_id(e.number) for e in exercises}
    written = [s for s in planned.steps if s.kind == "manual"]
    assert [s.grade_id for s in written] == [i for i, kind in ids.items() if kind == "markdown"]
    assert all(contract.MARKDOWN_STUB in s.source for s in written)
    assert not planned.skipped, f"check cells that call no Exercise: {planned.skipped}"


def test_a_new_stub_sentence_is_one_edit(monkeypatch):
    """The issue's walk: change the stub sentence in its one home; the generator writes it and the grader
    still finds every answer cell by its exercise."""
    sentence = "{label}: your turn"
    monkeypatch.setattr(contract, "STUB", sentence)
    pattern, in_source = contract.stub_patterns(sentence)
    monkeypatch.setattr(contract, "STUB_PATTERN", pattern)
    monkeypatch.setattr(contract, "STUB_IN_SOURCE", in_source)
    name = NAMES[0]
    lecture = make_lectures.make_lecture(nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4), name)
    assert any('NotImplementedError("Exercise 1.1: your turn")' in c.source for c in lecture.cells)
    planned = submission.lecture_from_notebook(lecture, name)
    answers = [s.answers for s in planned.steps if s.from_student]
    assert answers and all(a.startswith("Exercise ") for a in answers)
    assert contract.stub_label(NotImplementedError("Exercise 1.1: your turn")) == "Exercise 1.1"


def test_the_graders_seed_is_never_the_notebooks():
    seeds = {contract.grader_seed(base, "ann", "01_linear_regression", "1.1") for base in range(2000)}
    assert contract.notebook_seed("1.1") not in seeds and len(seeds) > 1990


def test_every_status_is_known():
    assert set(contract.STATUSES) >= {contract.PASSED, contract.FAILED, contract.NOT_ATTEMPTED, contract.REVIEW,
                                      contract.TIMEOUT, contract.CRASHED, contract.UNREADABLE, contract.REFUSED,
                                      contract.MANUAL}
