"""Reading submissions, and what runs for each: the pristine lecture with only the student's answers in it.

A submission is untrusted JSON. Of it only the cells' type, source, id and nbgrader grade_id are
read, defensively; everything else (outputs, metadata, check cells, cells the student added) is
ignored. The notebook that runs is rebuilt from the pristine lecture (lectures/NN_topic.ipynb):

- a solution cell (nbgrader `solution: true`, or a cell holding an exercise stub) takes the
  student's cell that defines the same functions (of several, the one with its grade_id or cell
  id), else the one with its grade_id or cell id; missing, it stays the stub ("not attempted");
- a check cell (`check_x(name, ...)`, check_x an Exercise of mlp.exercises.<topic>) is not run
  there: the grader runs that exercise's check at this point, through the worker;
- a markdown answer is graded by hand; every other cell runs as the lecture has it.
"""
from __future__ import annotations

import ast
import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mlp.exercises.core import Exercise

MAX_NOTEBOOK_BYTES = 32 * 2**20
NAME = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)\.ipynb$")
MARKDOWN_STUB = "*Your answer here.*"
STUB_TEXT = ': write your code here")'


class Unreadable(Exception):
    """The file is not a notebook this grader can read; the message says why, for the student."""


@dataclass(frozen=True)
class StudentCell:
    cell_type: str
    source: str
    grade_id: str | None
    cell_id: str | None


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: str           # "01_linear_regression"
    path: Path


@dataclass
class Step:
    """One thing to do, in notebook order: run a cell, run a check, or note a hand-graded answer."""

    kind: str                     # "run", "check" or "manual"
    index: int                    # the cell's position in the lecture (from 0)
    source: str = ""
    exercise: Exercise | None = None
    name: str = ""                # "1.1" (checks) or the grade_id (hand-graded answers)
    grade_id: str = ""
    points: float = 0.0
    answers: str = ""             # for a solution cell: the exercise it belongs to ("Exercise 1.1"), if known
    from_student: bool = False


@dataclass
class Lecture:
    """A pristine lecture and what its cells are."""

    name: str
    topic: str
    notebook: nbformat.NotebookNode
    steps: list[Step] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # check cells whose function is not an Exercise yet

    @property
    def exercises(self) -> list[Step]:
        return [s for s in self.steps if s.kind in ("check", "manual")]


def topic_of(name: str) -> str:
    """"01_linear_regression" -> "linear_regression" (the check module mlp.exercises.linear_regression)."""
    return name.split("_", 1)[1] if "_" in name else name


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _defined_names(source: str) -> set[str]:
    """Top-level functions and classes a cell defines (empty if it does not parse)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def check_call(source: str, module) -> tuple[Exercise | None, str | None]:
    """If the cell is a check cell `check_x(...)`, (its Exercise, its function's name); else (None, None).
    A call of a check function that is not an Exercise (not converted to the toolkit yet) gives (None, name)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr) or not isinstance(tree.body[0].value, ast.Call):
        return None, None
    func = tree.body[0].value.func
    if not isinstance(func, ast.Name) or not func.id.startswith("check_"):
        return None, None
    found = getattr(module, func.id, None) if module is not None else None
    return (found, func.id) if isinstance(found, Exercise) else (None, func.id)


def load_lecture(path: Path) -> Lecture:
    """The steps of the pristine lecture at `path` (lectures/NN_topic.ipynb)."""
    return lecture_from_notebook(nbformat.read(path, as_version=4), path.stem)


def lecture_from_notebook(notebook: nbformat.NotebookNode, name: str) -> Lecture:
    """The steps of a pristine lecture, the notebook `name` ("01_linear_regression")."""
    topic = topic_of(name)
    try:
        module = importlib.import_module(f"mlp.exercises.{topic}")
    except ImportError:
        module = None
    lecture = Lecture(name, topic, notebook)
    answers = 0
    for index, cell in enumerate(notebook.cells):
        meta = _nbgrader(cell)
        source = cell.source
        if cell.cell_type == "markdown":
            if meta.get("solution") or MARKDOWN_STUB in source:
                answers += 1
                grade_id = str(meta.get("grade_id") or f"answer_{answers}")
                lecture.steps.append(Step("manual", index, source, name=grade_id, grade_id=grade_id,
                                          points=float(meta.get("points", 1))))
            continue
        if cell.cell_type != "code":
            continue
        exercise, function = check_call(source, module)
        if exercise is not None:
            lecture.steps.append(Step("check", index, source, exercise, exercise.number,
                                      str(meta.get("grade_id") or f"ex{exercise.number.replace('.', '_')}_check"),
                                      float(meta.get("points", 1))))
        elif function is not None:
            lecture.skipped.append(function)
        elif source.strip() == "scoreboard()":
            continue  # it reports the kernel's own checks, which do not run in the sandbox
        else:
            solution = bool(meta.get("solution")) or STUB_TEXT in source
            label = re.search(r'NotImplementedError\("(Exercise \d+\.\d+): write your code here', source)
            lecture.steps.append(Step("run", index, source, grade_id=str(meta.get("grade_id") or ""),
                                      answers=label.group(1) if label else ("" if not solution else "an exercise"),
                                      from_student=solution))
    return lecture


def read_cells(path: Path) -> list[StudentCell]:
    """The cells of a submitted notebook, read as untrusted JSON; raises Unreadable."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise Unreadable(f"the file cannot be opened ({error.strerror})") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"the file is {size / 2**20:.0f} MB, more than a notebook of this course can be "
                         f"({MAX_NOTEBOOK_BYTES // 2**20} MB): clear the outputs and submit again")
    try:
        with open(path, "rb") as file:
            data = json.loads(file.read(MAX_NOTEBOOK_BYTES + 1).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Unreadable(f"the file is not a notebook (it is not valid JSON: {str(error)[:120]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Unreadable("the file is JSON but not a notebook (it has no list of cells)")
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        elif not isinstance(source, str):
            source = ""
        meta = raw.get("metadata")
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        cell_id = raw.get("id")
        cell_type = raw.get("cell_type")
        cells.append(StudentCell(cell_type if isinstance(cell_type, str) else "unknown", source,
                                 grade_id if isinstance(grade_id, str) else None,
                                 cell_id if isinstance(cell_id, str) else None))
    return cells


def match(cells: list[StudentCell], used: set[int], cell_type: str, names: set[str] | None,
          grade_id: str, cell_id: str | None) -> int | None:
    """Which of the student's cells answers this lecture cell. A code cell: one that defines the same
    functions and classes (so that a notebook of an older version of the lecture, whose exercises were
    numbered otherwise, still finds its answers), of those the one with the same grade_id or cell id;
    else, and for markdown, the cell with the same grade_id, else the same cell id."""
    candidates = [i for i, c in enumerate(cells) if i not in used and c.cell_type == cell_type]
    if names:
        defining = [i for i in candidates if names <= _defined_names(cells[i].source)]
        if defining:
            return next((i for i in defining if grade_id and cells[i].grade_id == grade_id),
                        next((i for i in defining if cell_id and cells[i].cell_id == cell_id), defining[0]))
    for i in candidates:
        if grade_id and cells[i].grade_id == grade_id:
            return i
    for i in candidates:
        if cell_id and cells[i].cell_id == cell_id and not (grade_id and cells[i].grade_id not in (None, grade_id)):
            return i
    return None


def plan(lecture: Lecture, cells: list[StudentCell]) -> list[Step]:
    """The lecture's steps with the student's answers in place of the stubs."""
    steps, used = [], set()
    for step in lecture.steps:
        if step.kind == "run" and step.from_student:
            cell = lecture.notebook.cells[step.index]
            found = match(cells, used, "code", _defined_names(step.source), step.grade_id, cell.get("id"))
            if found is not None:
                used.add(found)
                step = Step(**{**step.__dict__, "source": cells[found].source})
            else:
                step = Step(**{**step.__dict__, "from_student": False})
        elif step.kind == "manual":
            cell = lecture.notebook.cells[step.index]
            found = match(cells, used, "markdown", None, step.grade_id, cell.get("id"))
            answer = cells[found].source if found is not None else step.source
            if found is not None:
                used.add(found)
            step = Step(**{**step.__dict__, "source": answer})
        steps.append(step)
    return steps


def find_submissions(folder: Path, names: set[str]) -> tuple[list[Submission], list[str]]:
    """The submissions in `folder`: <student>/<notebook>.ipynb, or nbgrader's
    submitted/<student>/<assignment>/<notebook>.ipynb. Returns (submissions, what was ignored and why)."""
    root = folder / "submitted" if (folder / "submitted").is_dir() else folder
    found, ignored = [], []
    for student in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(student.glob("*.ipynb")) + sorted(student.glob("*/*.ipynb"))
        for path in files:
            if ".ipynb_checkpoints" in path.parts:
                continue
            if path.stem not in names:
                ignored.append(f"{path.relative_to(folder)}: not a notebook of this course (named as in lectures/?)")
                continue
            found.append(Submission(student.name, path.stem, path))
    seen: dict[tuple[str, str], Submission] = {}
    for submission in found:
        key = (submission.student, submission.notebook)
        if key in seen:
            ignored.append(f"{submission.path.relative_to(folder)}: a second copy of {submission.notebook} for "
                           f"{submission.student}; graded {seen[key].path.relative_to(folder)}")
            continue
        seen[key] = submission
    return list(seen.values()), ignored
