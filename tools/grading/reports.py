"""What the grader writes: grades.csv, one feedback page per submission, the terminal's table and progress bar.

Everything a teacher opens is inert: grades.csv neutralises a cell that a spreadsheet would read as a
formula (OWASP's rule: one starting with = + - @ tab or CR gets a leading '), the terminal shows
control characters and escape sequences of names as \\x.. escapes, and a feedback page runs no script
but the course's own MathJax (see render.py), under a content security policy.
"""
from __future__ import annotations

import csv
import html
import re
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat

from mlp.exercises import contract

from .grader import Graded, Mark
from .submission import Lecture, Step, clean, text_of

COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "status", "message"]
SYMBOL = {contract.PASSED: "✔", contract.MANUAL: "✍", contract.NOT_ATTEMPTED: "·", contract.REVIEW: "⚑"}
SAFE_OUTPUTS = ("text/plain", "image/png", "image/jpeg")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
# what a feedback page shows of a submission at most (an honest notebook stays far below)
MARKDOWN_CHARS = 10_000          # one markdown cell (nested brackets cost nbconvert quadratic time: 2 s here)
OUTPUTS_PER_CELL = 20
TEXT_CHARS = 20_000              # one output's text
IMAGE_CHARS = 2_000_000          # one image (base64)
SHOWN_CHARS = 8_000_000          # everything shown of one submission


def points(value: float) -> str:
    return f"{value:g}"


def inert(value: str) -> str:
    """A grades.csv cell a spreadsheet shows as text: "=HYPERLINK(...)" -> "'=HYPERLINK(...)"."""
    value = clean(value)
    return "'" + value if value.startswith(FORMULA) else value


def printable(text: str) -> str:
    """Text for a terminal: control characters, escape sequences and lone surrogates as \\x.. escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in str(text))


def write_csv(path: Path, marks: Iterable[Mark]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8", errors="replace") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for m in marks:
            writer.writerow([inert(m.student), inert(m.notebook), inert(m.exercise), points(m.points),
                             points(m.max_points), inert(m.status), inert(m.message)])


def folder_name(student: str) -> str:
    """The student's folder under feedback/: one path component, whatever the name holds."""
    name = re.sub(r"[\x00-\x1f\x7f/\\:]", "_", clean(student)).strip() or "_"
    return "_" + name if name.startswith(".") else name


# --- feedback pages -------------------------------------------------------------------------------

def _markdown_text(text: str) -> str:
    """Plain text that markdown shows as it is (no emphasis, links, HTML or math from a message)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~&-])", r"\\\1", clean(text))


def label(step: Step) -> str:
    """What a student calls an exercise: "Exercise 1.1", or "Written answer 2" for answer1_2."""
    if step.exercise is not None:
        return step.exercise.label
    written = re.fullmatch(r"answer\d+_(\d+)", step.name)
    return f"Written answer {written.group(1)}" if written else f"Written answer {step.name}"


def _verdict_cells(mark: Mark, name: str, step: Step | None) -> list[nbformat.NotebookNode]:
    symbol = SYMBOL.get(mark.status, "✘")
    head = f"{symbol} {name}: {mark.status}, {points(mark.points)} of {points(mark.max_points)} point" + \
           ("s" if mark.max_points != 1 else "")
    cells = [nbformat.v4.new_markdown_cell(f"> **{_markdown_text(head)}**  \n> {_markdown_text(mark.message)}",
                                           metadata={"grading": {"exercise": mark.exercise, "status": mark.status}})]
    if step is not None and step.review:
        reasons = "\n".join(f"- {_markdown_text(r)}" for r in step.review)
        cells.append(nbformat.v4.new_markdown_cell(f"**For the teacher:** this answer was not run. Why:\n\n{reasons}\n\n"
                                                   "The code handed in (read, never run):",
                                                   metadata={"grading": {"review": mark.exercise}}))
        cells.append(nbformat.v4.new_code_cell(step.code[:TEXT_CHARS], metadata={"grading": {"review": mark.exercise}}))
    return cells


class Budget:
    """How much of a submission is still shown on its page."""

    def __init__(self, chars: int) -> None:
        self.left = chars

    def take(self, text: str, most: int) -> str | None:
        if self.left <= 0:
            return None
        text = text[:min(most, self.left)]
        self.left -= len(text)
        return text


def student_notebook(data: dict | None) -> nbformat.NotebookNode:
    """The submission as a notebook to show: its cells' text and only harmless outputs (no HTML, no scripts),
    within the limits above; check cells without their saved outputs (the grader's verdict is what counts)."""
    shown = nbformat.v4.new_notebook()
    budget = Budget(SHOWN_CHARS)
    raw_cells = data.get("cells", []) if isinstance(data, dict) else []
    for raw in raw_cells if isinstance(raw_cells, list) else []:
        if not isinstance(raw, dict):
            continue
        source = text_of(raw.get("source", ""))
        meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        keep = {k: meta[k] for k in ("nbgrader",) if isinstance(meta.get(k), dict)}
        cut = len(source) > MARKDOWN_CHARS
        source = budget.take(source, MARKDOWN_CHARS)
        if source is None:
            shown.cells.append(nbformat.v4.new_markdown_cell("*(the rest of the notebook is not shown: it is longer "
                                                             "than a notebook of this course)*"))
            break
        if cut:
            source += "\n\n(cut: the cell is longer than shown here)"
        if raw.get("cell_type") == "markdown":  # its HTML shown as text: no tags, comments or refreshes
            shown.cells.append(nbformat.v4.new_markdown_cell(re.sub(r"<(?=[A-Za-z/!?])", "&lt;", source), metadata=keep))
        elif raw.get("cell_type") == "code":
            cell = nbformat.v4.new_code_cell(source, metadata=keep)
            if contract.check_call(source) is None:
                cell.outputs = _safe_outputs(raw.get("outputs"), budget)
            shown.cells.append(cell)
        else:
            shown.cells.append(nbformat.v4.new_raw_cell(source))
        if isinstance(raw.get("id"), str):
            shown.cells[-1].metadata["submitted_id"] = clean(raw["id"])[:100]
    return shown


def _safe_outputs(outputs, budget: Budget) -> list:
    safe = []
    for out in (outputs if isinstance(outputs, list) else [])[:OUTPUTS_PER_CELL]:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") in ("stdout", "stderr"):
            text = budget.take(text_of(out.get("text", "")), TEXT_CHARS)
            if text is not None:
                safe.append(nbformat.v4.new_output("stream", name=out["name"], text=text))
        elif kind in ("execute_result", "display_data") and isinstance(out.get("data"), dict):
            data = {}
            for mime in SAFE_OUTPUTS:
                value = text_of(out["data"].get(mime))
                if value and (mime == "text/plain" or re.fullmatch(r"[A-Za-z0-9+/=\s]*", value[:IMAGE_CHARS])):
                    value = budget.take(value, TEXT_CHARS if mime == "text/plain" else IMAGE_CHARS)
                    if value is not None and (mime == "text/plain" or len(value) < IMAGE_CHARS):
                        data[mime] = value
            if data:
                safe.append(nbformat.v4.new_output("display_data", data=data))
        elif kind == "error":
            lines = out.get("traceback", [])
            lines = [clean(str(line))[:2000] for line in lines[:60]] if isinstance(lines, list) else []
            safe.append(nbformat.v4.new_output("error", ename=clean(str(out.get("ename", "")))[:200],
                                               evalue=clean(str(out.get("evalue", "")))[:2000],
                                               traceback=[t for t in lines if budget.take(t, 2000) is not None]))
    return safe


def summary(graded: Graded, lecture: Lecture) -> list[str]:
    """The page's first lines: the points from the checks, the written answers apart, then a table."""
    marks, steps = graded.marks, {s.name: s for s in lecture.exercises}
    checked = [m for m in marks if m.status != contract.MANUAL]
    written = [m for m in marks if m.status == contract.MANUAL]
    got, most = sum(m.points for m in checked), sum(m.max_points for m in checked)
    lines = [f"# Feedback on {graded.submission.notebook}",
             f"**{_markdown_text(graded.submission.student)}: {points(got)} of {points(most)} points from the checks.**"]
    if written:
        count = len(written)
        lines[-1] += (f" Your teacher reads your {count} written answer{'s' if count != 1 else ''} and grades "
                      f"{'them' if count != 1 else 'it'} by hand (up to {points(sum(m.max_points for m in written))} "
                      "more points, not counted here).")
    lines += ["", "| exercise | points | status |", "| --- | ---: | --- |"]
    for m in marks:
        name = label(steps[m.exercise]) if m.exercise in steps else m.exercise
        lines.append(f"| {_markdown_text(name)} | {points(m.points)} / {points(m.max_points)} | "
                     f"{SYMBOL.get(m.status, '✘')} {m.status} |")
    lines += ["", "The checks ran on fresh inputs in a clean kernel, with only your answer cells taken from "
              "your notebook; each verdict is shown under its check cell."]
    return lines


def feedback_notebook(graded: Graded, lecture: Lecture) -> nbformat.NotebookNode:
    """The student's notebook with each exercise's verdict under its check cell (or answer), and a summary on top."""
    shown = student_notebook(graded.notebook)
    by_name = {m.exercise: m for m in graded.marks}
    planned = {s.answers: s for s in graded.steps if s.review}
    pending = []
    for step in lecture.exercises:
        mark = by_name.get(step.name)
        if mark is None:
            continue
        reviewed = planned.get(step.exercise.label) if step.exercise is not None else None
        cells = _verdict_cells(mark, label(step), reviewed)
        where = _locate(shown, step, lecture.notebook.cells[step.index])
        if where is None:
            pending.extend(cells)
        else:
            shown.cells[where + 1:where + 1] = cells
    shown.cells.insert(0, nbformat.v4.new_markdown_cell("\n".join(summary(graded, lecture))))
    if pending:
        shown.cells.append(nbformat.v4.new_markdown_cell("## Checks whose cell is not in your notebook any more"))
        shown.cells.extend(pending)
    return shown


def _locate(shown, step, pristine) -> int | None:
    """Where the check cell (or the answer) of `step` is in the student's notebook."""
    call = contract.check_call(step.source) if step.kind == "check" else None
    for i, cell in enumerate(shown.cells):
        meta = cell.metadata.get("nbgrader")
        if step.grade_id and isinstance(meta, dict) and meta.get("grade_id") == step.grade_id:
            return i
    for i, cell in enumerate(shown.cells):
        if pristine.get("id") and cell.metadata.get("submitted_id") == pristine.get("id"):
            return i
    if call:
        for i, cell in enumerate(shown.cells):
            if cell.cell_type == "code" and contract.check_call(cell.source) == call:
                return i
    return None


def fallback_page(graded: Graded, lecture: Lecture, why: str) -> str:
    """A page of the marks alone (no content of the submission), when its notebook could not be rendered."""
    rows = "".join(f"<tr><td>{html.escape(m.exercise)}</td><td>{points(m.points)} / {points(m.max_points)}</td>"
                   f"<td>{html.escape(m.status)}</td><td>{html.escape(m.message)}</td></tr>" for m in graded.marks)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{POLICY}<title>{html.escape(graded.submission.notebook)}"
            f"</title></head><body><h1>Feedback on {html.escape(graded.submission.notebook)}</h1>"
            f"<p>{html.escape(clean(graded.submission.student))}: your notebook is not shown here: {html.escape(why)}.</p>"
            f"<table><tr><th>exercise</th><th>points</th><th>status</th><th>message</th></tr>{rows}</table>"
            "</body></html>")


# the page runs no script but the course's MathJax, next to the pages (script-src 'self'), and loads nothing else
POLICY = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'self\'; '
          'img-src data:; style-src \'unsafe-inline\'; font-src data:">')


class FeedbackWriter:
    """Feedback pages under FOLDER/<student>/<notebook>.html, rendered by render.py in a child process with
    limits; MathJax (MathJax 3 from tools/npm, as the course's website uses it) copied once to FOLDER/.mathjax/."""

    def __init__(self, folder: Path) -> None:
        from . import render
        self.folder, self.render = folder, render
        self.mathjax = render.install_mathjax(folder)

    def write(self, graded: Graded, lecture: Lecture) -> Path:
        path = self.folder / folder_name(graded.submission.student) / f"{graded.submission.notebook}.html"
        if graded.notebook is None:
            body = fallback_page(graded, lecture, graded.marks[0].message if graded.marks else "it was not read")
        else:
            notebook = feedback_notebook(graded, lecture)
            try:
                body = self.render.page(notebook, f"{clean(graded.submission.student)}: {graded.submission.notebook}",
                                        self.mathjax)
            except self.render.PageFailed as failed:
                body = fallback_page(graded, lecture, str(failed))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8", errors="replace")
        return path


# --- the terminal ---------------------------------------------------------------------------------

def summary_table(marks: Iterable[Mark]) -> str:
    """Students × notebooks, points / max points, and each student's total."""
    marks = list(marks)
    students = sorted({m.student for m in marks})
    notebooks = sorted({m.notebook for m in marks})
    cell: dict[tuple[str, str], list[Mark]] = {}
    for m in marks:
        cell.setdefault((m.student, m.notebook), []).append(m)

    def score(ms: list[Mark]) -> str:
        if not ms:
            return "-"
        for status in (contract.UNREADABLE, contract.REFUSED):
            if all(m.status == status for m in ms):
                return status
        flag = "⚑" if any(m.status == contract.REVIEW for m in ms) else ""
        return f"{flag}{points(sum(m.points for m in ms))}/{points(sum(m.max_points for m in ms))}"

    header = ["student", *[n.split("_", 1)[0] for n in notebooks], "total"]
    rows = [[printable(s), *[score(cell.get((s, n), [])) for n in notebooks],
             score([m for n in notebooks for m in cell.get((s, n), [])])] for s in students]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    manual = sum(m.max_points for m in marks if m.status == contract.MANUAL)
    if manual:
        lines.append(f"(the totals count hand-graded answers as 0 until graded: {points(manual)} points in all)")
    if any(m.status == contract.REVIEW for m in marks):
        lines.append("(⚑: an answer was sent to review and not run; see its feedback page and grades.csv)")
    return "\n".join(lines)


class Progress:
    """A one-line progress bar on a terminal; a line per tenth elsewhere. Safe to call from several threads."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream, self.start = total, 0, stream, time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.next_line = 0.1
        self.lock = threading.Lock()
        if self.tty:
            self._draw("", 0.0)

    def step(self, what: str) -> None:
        with self.lock:
            self.done += 1
            elapsed = time.monotonic() - self.start
            if self.tty:
                self._draw(what, elapsed)
                if self.done == self.total:
                    self.stream.write("\n")
            elif self.done / max(self.total, 1) >= self.next_line or self.done == self.total:
                self.stream.write(f"graded {self.done}/{self.total} submissions in {elapsed:.1f} s\n")
                self.next_line += 0.1
            self.stream.flush()

    def _draw(self, what: str, elapsed: float) -> None:
        width = 30
        filled = round(width * self.done / max(self.total, 1))
        self.stream.write(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                          f"{elapsed:5.1f} s  {printable(what)[:40]:<40}")
        self.stream.flush()
