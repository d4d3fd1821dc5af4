"""Reading submissions, and what runs for each: the pristine lecture with only the student's answers in it.

A submission is untrusted. Only regular files inside the submissions folder are read (no symbolic
link, FIFO, device or folder: status "refused"), at most MAX_NOTEBOOK_BYTES, as JSON of at most
MAX_CONTAINERS objects and lists (so nesting stops at json's recursion limit), with at most MAX_CELLS cells;
text in any encoding is kept (lone surrogates become U+FFFD). Of the JSON only the cells' type,
source, id and nbgrader grade_id are used for grading; everything else (outputs, metadata, check
cells, cells the student added) is ignored. The notebook that runs is rebuilt from the pristine
lecture (lectures/NN_topic.ipynb), with the facts of mlp.exercises.contract:

- an answer cell (contract.is_answer_cell) takes the student's cell that defines the same functions
  (of several, the one with its grade_id or cell id), else the one with its grade_id or cell id;
  missing, it stays the stub ("not attempted"). The student's cell is read first (ast, here) by
  mlp.exercises.review: one that reaches outside what the exercise needs is not run ("review");
- a check cell (contract.check_call names an Exercise of the notebook's check module) is not run
  there: the grader runs that exercise's check at this point, through the worker;
- a markdown answer is graded by hand; every other cell runs as the lecture has it.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from mlp.exercises import contract, core
from mlp.exercises.review import review_answer

MAX_NOTEBOOK_BYTES = 16 * 2**20   # a course notebook with its figures is under 2 MB
MAX_CONTAINERS = 100_000          # JSON objects and lists in one notebook (a lecture has about 500)
MAX_CELLS = 500                   # a lecture has at most 61 (parsing 500 cells costs the grader 9 s)
MAX_SOURCE = 100_000              # characters of one cell read as an answer (an answer is under 5,000)
SURROGATE = re.compile("[\ud800-\udfff]")


class Unreadable(Exception):
    """The file is not a notebook this grader can read; the message says why, for the student."""


class Refused(Exception):
    """The path is not a regular file inside the submissions folder (a link, a FIFO, a device, a folder)."""


@dataclass(frozen=True)
class StudentCell:
    cell_type: str
    source: str
    grade_id: str | None
    cell_id: str | None


@dataclass(frozen=True)
class Submission:
    student: str            # the folder's name as text (a Latin-1 name decoded as such): for people
    notebook: str           # "01_linear_regression"
    path: Path              # where it is (the folder's name as the file system has it)


@dataclass
class Step:
    """One thing to do, in notebook order: run a cell, run a check, or note a hand-graded answer."""

    kind: str                     # "run", "check" or "manual"
    index: int                    # the cell's position in the lecture (from 0)
    source: str = ""
    exercise: core.Exercise | None = None
    name: str = ""                # "1.1" (checks) or the grade_id (hand-graded answers)
    grade_id: str = ""
    points: float = 0.0
    answers: str = ""             # for an answer cell: the exercise it belongs to ("Exercise 1.1")
    from_student: bool = False
    review: tuple[str, ...] = ()  # why the student's cell was not run (mlp.exercises.review), with its code
    code: str = ""                # the student's code of a cell sent to review


@dataclass
class Lecture:
    """A pristine lecture and what its cells are."""

    name: str
    topic: str
    notebook: nbformat.NotebookNode
    steps: list[Step] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # check cells whose function is not an Exercise yet
    names: frozenset[str] = frozenset()               # what the lecture's answer cells define

    @property
    def exercises(self) -> list[Step]:
        return [s for s in self.steps if s.kind in ("check", "manual")]


def clean(text: str) -> str:
    """Text safe to write anywhere: a lone surrogate (from JSON's \\ud800 or a folder's name) becomes U+FFFD."""
    if not isinstance(text, str):
        return ""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return SURROGATE.sub("\ufffd", text)


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _defined_names(source: str) -> frozenset[str]:
    """Top-level functions and classes a cell defines (empty if it does not parse)."""
    if len(source) > MAX_SOURCE:
        return frozenset()
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:
        return frozenset()
    return frozenset(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def load_lecture(path: Path) -> Lecture:
    """The steps of the pristine lecture at `path` (lectures/NN_topic.ipynb)."""
    return lecture_from_notebook(nbformat.read(path, as_version=4), path.stem)


def lecture_from_notebook(notebook: nbformat.NotebookNode, name: str) -> Lecture:
    """The steps of a pristine lecture, the notebook `name` ("01_linear_regression")."""
    try:
        module = importlib.import_module(contract.check_module(name))
    except ImportError:
        module = None
    lecture = Lecture(name, contract.topic_of(name), notebook)
    notebook_number = int(name[:2]) if name[:2].isdigit() else 0
    written = 0
    names: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        meta = _nbgrader(cell)
        source = cell.source
        if cell.cell_type == "markdown":
            if meta.get("solution") or contract.MARKDOWN_STUB in source:
                written += 1
                grade_id = str(meta.get("grade_id") or contract.written_id(notebook_number, written))
                lecture.steps.append(Step("manual", index, source, name=grade_id, grade_id=grade_id,
                                          points=float(meta.get("points", 1))))
            continue
        if cell.cell_type != "code":
            continue
        function = contract.check_call(source)
        exercise = getattr(module, function, None) if function and module is not None else None
        if isinstance(exercise, core.Exercise):
            lecture.steps.append(Step("check", index, source, exercise, exercise.number,
                                      str(meta.get("grade_id") or contract.check_id(exercise.number)),
                                      float(meta.get("points", 1))))
        elif function is not None:
            lecture.skipped.append(function)
        elif source.strip() == contract.SCOREBOARD_CELL:
            continue  # it reports the kernel's own checks, which do not run in the sandbox
        else:
            answer = contract.is_answer_cell(cell.cell_type, source, meta)
            labels = contract.stubs_in(source)
            if answer:
                names |= _defined_names(source)
            lecture.steps.append(Step("run", index, source, grade_id=str(meta.get("grade_id") or ""),
                                      answers=labels[0] if labels else "", from_student=answer))
    lecture.names = frozenset(names)
    return lecture


# --- reading one untrusted file -------------------------------------------------------------------

def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def read_bytes(path: Path) -> bytes:
    """The file's bytes if it is a regular file (never followed through a link, never waiting on a FIFO);
    raises Refused or Unreadable."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        raise Unreadable(f"the file cannot be opened ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise Refused(f"{_kind(mode)}, not a notebook file: only regular files inside the submissions folder are "
                      "read (hand in the notebook itself)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise Refused(f"the file cannot be opened as a regular file ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{_kind(info.st_mode)}, not a notebook file: only regular files are read")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise Unreadable(f"the file is {info.st_size / 2**20:.0f} MB, more than a notebook of this course can be "
                             f"({MAX_NOTEBOOK_BYTES // 2**20} MB): clear the outputs and submit again")
        chunks, size = [], 0
        while size <= MAX_NOTEBOOK_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"the file is larger than a notebook of this course can be ({MAX_NOTEBOOK_BYTES // 2**20} MB)")
    return b"".join(chunks)


def json_shape(data: bytes, most: int) -> tuple[int, int]:
    """(objects and lists, deepest nesting) of JSON text, counted on its brackets before it is decoded
    (the depth only when there are at most `most`). Brackets inside strings count too: an over-estimate."""
    import numpy as np
    containers = data.count(b"[") + data.count(b"{")
    if containers > most:
        return containers, 0
    raw = np.frombuffer(data, dtype=np.uint8)
    where = np.flatnonzero((raw == 0x5B) | (raw == 0x7B) | (raw == 0x5D) | (raw == 0x7D))
    steps = np.where((raw[where] == 0x5B) | (raw[where] == 0x7B), 1, -1)
    return containers, int(np.cumsum(steps).max()) if len(steps) else 0


def read_notebook(path: Path) -> dict:
    """A submitted notebook as untrusted JSON (a dict with a list of cells); raises Refused or Unreadable."""
    raw = read_bytes(path)
    containers = raw.count(b"[") + raw.count(b"{")  # (brackets in strings count too: an over-estimate)
    if containers > MAX_CONTAINERS:
        raise Unreadable(f"the file holds {containers:,} JSON lists and objects, more than a notebook of this course "
                         f"({MAX_CONTAINERS:,}): clear the outputs and submit again")
    try:
        data = json.loads(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as error:
        raise Unreadable(f"the file is not a notebook (it is not valid JSON: {clean(str(error))[:120]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Unreadable("the file is JSON but not a notebook (it has no list of cells)")
    if len(data["cells"]) > MAX_CELLS:
        raise Unreadable(f"the notebook has {len(data['cells']):,} cells, more than a notebook of this course can "
                         f"have ({MAX_CELLS:,})")
    return data


def text_of(value) -> str:
    """A notebook's multi-line text field ("source", "text") as one clean string."""
    if isinstance(value, list):
        value = "".join(s for s in value if isinstance(s, str))
    return clean(value) if isinstance(value, str) else ""


def cells_of(data: dict) -> list[StudentCell]:
    """The cells of a notebook read by read_notebook, defensively."""
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        meta = raw.get("metadata")
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        cell_id, cell_type = raw.get("id"), raw.get("cell_type")
        cells.append(StudentCell(cell_type if isinstance(cell_type, str) else "unknown", text_of(raw.get("source", "")),
                                 clean(grade_id) if isinstance(grade_id, str) else None,
                                 clean(cell_id) if isinstance(cell_id, str) else None))
    return cells


def read_cells(path: Path) -> list[StudentCell]:
    """The cells of a submitted notebook; raises Refused or Unreadable."""
    return cells_of(read_notebook(path))


# --- which of the student's cells answers which lecture cell ---------------------------------------

class Matcher:
    """Finds, for each cell of the lecture, the student's cell that answers it. A student cell is parsed at most
    once, and only if its text names the functions looked for (MAX_CELLS parses at most, not one per answer
    cell and candidate)."""

    def __init__(self, cells: list[StudentCell]) -> None:
        self.cells, self.used = cells, set()
        self._names: dict[int, frozenset[str]] = {}

    def names(self, i: int) -> frozenset[str]:
        if i not in self._names:
            self._names[i] = _defined_names(self.cells[i].source)
        return self._names[i]

    def match(self, cell_type: str, names: frozenset[str] | None, grade_id: str, cell_id: str | None) -> int | None:
        """A code cell: one that defines the same functions and classes (so that a notebook of an older
        version of the lecture, whose exercises were numbered otherwise, still finds its answers), of those
        the one with the same grade_id or cell id; else, and for markdown, the cell with the same grade_id,
        else the same cell id."""
        cells = self.cells
        candidates = [i for i, c in enumerate(cells) if i not in self.used and c.cell_type == cell_type]
        if names:
            defining = [i for i in candidates  # (parsed only if it names them all: scratch cells are never parsed)
                        if all(name in cells[i].source for name in names) and names <= self.names(i)]
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


def _review(source: str, step: Step, lecture: Lecture) -> tuple[str, ...]:
    """Why the student's answer cell must not run (mlp.exercises.review), or () if it may."""
    exercise = next((e for e in core.EXERCISES.values() if e.label == step.answers), None)
    try:
        return tuple(clean(str(r)) for r in review_answer(source, exercise, set(lecture.names)))
    except (RecursionError, MemoryError, SyntaxError, ValueError) as error:
        return (f"the grader could not read the cell ({type(error).__name__})",)


def plan(lecture: Lecture, cells: list[StudentCell]) -> list[Step]:
    """The lecture's steps with the student's answers in place of the stubs; an answer sent to review
    keeps the lecture's stub and carries the reasons (and the student's code, for the teacher)."""
    steps, matcher = [], Matcher(cells)
    for step in lecture.steps:
        if step.kind == "run" and step.from_student:
            cell = lecture.notebook.cells[step.index]
            found = matcher.match("code", _defined_names(step.source), step.grade_id, cell.get("id"))
            if found is None:
                step = replace(step, from_student=False)
            else:
                matcher.used.add(found)
                source = cells[found].source
                reasons = _review(source, step, lecture)
                step = (replace(step, source=source) if not reasons else
                        replace(step, from_student=False, review=reasons, code=source[:MAX_SOURCE]))
        elif step.kind == "manual":
            cell = lecture.notebook.cells[step.index]
            found = matcher.match("markdown", None, step.grade_id, cell.get("id"))
            if found is not None:
                matcher.used.add(found)
                step = replace(step, source=cells[found].source)
        steps.append(step)
    return steps


# --- finding the submissions -------------------------------------------------------------------------

def display_name(name: str) -> str:
    """A folder's name as text: UTF-8 if it is, else Latin-1 (a zip made on Windows), never a lone surrogate."""
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as found:
            return sorted(found, key=lambda e: e.name)
    except OSError:
        return []


def find_submissions(folder: Path, names: set[str]) -> tuple[list[Submission], list[str]]:
    """The submissions in `folder`: <student>/<notebook>.ipynb, or nbgrader's
    submitted/<student>/<assignment>/<notebook>.ipynb. Returns (submissions, what was ignored and why).

    Only real folders inside `folder` are entered (a link to a folder is ignored, said so); any entry named
    like a notebook of the course is a submission, whatever it is: a link, a FIFO, a device or a folder is
    then refused when it is read (status "refused"), never followed."""
    submitted = folder / "submitted"
    root = submitted if submitted.is_dir() and not submitted.is_symlink() else folder
    found, ignored = [], []
    shown = lambda path: clean(display_name(str(path)))  # noqa: E731

    for student in _entries(root):
        if student.name.startswith("."):
            continue
        if student.is_symlink():
            ignored.append(f"{shown(student.name)}: a symbolic link, not a folder (refused: links are not followed)")
            continue
        if not student.is_dir(follow_symlinks=False):
            continue
        level = [(e, Path(e.path)) for e in _entries(Path(student.path))]
        deeper = [(e, Path(e.path)) for d, _ in level if d.is_dir(follow_symlinks=False) and not d.is_symlink()
                  and not d.name.startswith(".") and not d.name.endswith(".ipynb") for e in _entries(Path(d.path))]
        for entry, path in level + deeper:
            if not entry.name.endswith(".ipynb") or entry.name.startswith("."):
                continue
            stem = entry.name[:-len(".ipynb")]
            relative = shown(str(path.relative_to(folder)))
            if stem not in names:
                ignored.append(f"{relative}: not a notebook of this course (named as in lectures/?)")
                continue
            found.append((student.name, Submission(display_name(student.name), stem, path), relative))
    seen: dict[tuple[str, str], Submission] = {}
    people: dict[str, str] = {}   # display name -> folder name: two folders shown alike stay apart
    result = []
    for folder_name, submission, relative in found:
        key = (folder_name, submission.notebook)
        if key in seen:
            ignored.append(f"{relative}: a second copy of {submission.notebook} for {clean(submission.student)}; "
                           f"graded {shown(str(seen[key].path.relative_to(folder)))}")
            continue
        name = submission.student
        while people.setdefault(name, folder_name) != folder_name:
            name += "'"
        submission = replace(submission, student=clean(name))
        seen[key] = submission
        result.append(submission)
    return result, ignored
