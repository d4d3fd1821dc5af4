"""What the grader writes: grades.csv, one feedback page per submission, the terminal's table and progress bar."""
from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat

from .grader import Mark
from .submission import Lecture, Submission

COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "status", "message"]
SYMBOL = {"passed": "✔", "manual": "✍", "not attempted": "·"}
SAFE_OUTPUTS = ("text/plain", "image/png", "image/jpeg")


def points(value: float) -> str:
    return f"{value:g}"


def write_csv(path: Path, marks: Iterable[Mark]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for m in marks:
            writer.writerow([m.student, m.notebook, m.exercise, points(m.points), points(m.max_points), m.status,
                             m.message])


# --- feedback pages -------------------------------------------------------------------------------

def _markdown_text(text: str) -> str:
    """Plain text that markdown shows as it is (no emphasis, links, HTML or math from a message)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~&])", r"\\\1", text)


def _verdict_cell(mark: Mark, label: str) -> nbformat.NotebookNode:
    symbol = SYMBOL.get(mark.status, "✘")
    head = f"{symbol} {label}: {mark.status}, {points(mark.points)} of {points(mark.max_points)} point" + \
           ("s" if mark.max_points != 1 else "")
    return nbformat.v4.new_markdown_cell(f"> **{_markdown_text(head)}**  \n> {_markdown_text(mark.message)}",
                                         metadata={"grading": {"exercise": mark.exercise, "status": mark.status}})


def _student_notebook(path: Path) -> nbformat.NotebookNode:
    """The submission as a notebook to show: its cells' text and only harmless outputs (no HTML, no scripts)."""
    shown = nbformat.v4.new_notebook()
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        raw_cells = data.get("cells", []) if isinstance(data, dict) else []
    except Exception:
        raw_cells = []
    for raw in raw_cells if isinstance(raw_cells, list) else []:
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        keep = {k: meta[k] for k in ("nbgrader",) if isinstance(meta.get(k), dict)}
        if raw.get("cell_type") == "markdown":  # its HTML shown as text: no tags, comments or refreshes
            shown.cells.append(nbformat.v4.new_markdown_cell(re.sub(r"<(?=[A-Za-z/!?])", "&lt;", source), metadata=keep))
        elif raw.get("cell_type") == "code":
            cell = nbformat.v4.new_code_cell(source, metadata=keep)
            cell.outputs = _safe_outputs(raw.get("outputs"))
            if isinstance(raw.get("id"), str):
                cell.metadata["submitted_id"] = raw["id"]
            shown.cells.append(cell)
        else:
            shown.cells.append(nbformat.v4.new_raw_cell(source))
        if isinstance(raw.get("id"), str):
            shown.cells[-1].metadata["submitted_id"] = raw["id"]
    return shown


def _safe_outputs(outputs) -> list:
    safe = []
    for out in outputs if isinstance(outputs, list) else []:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") in ("stdout", "stderr"):
            text = out.get("text", "")
            text = "".join(t for t in text if isinstance(t, str)) if isinstance(text, list) else str(text)
            safe.append(nbformat.v4.new_output("stream", name=out["name"], text=text[:20000]))
        elif kind in ("execute_result", "display_data") and isinstance(out.get("data"), dict):
            data = {}
            for mime in SAFE_OUTPUTS:
                value = out["data"].get(mime)
                value = "".join(v for v in value if isinstance(v, str)) if isinstance(value, list) else value
                if isinstance(value, str) and (mime == "text/plain" or re.fullmatch(r"[A-Za-z0-9+/=\s]*", value)):
                    data[mime] = value[:2_000_000]
            if data:
                safe.append(nbformat.v4.new_output("display_data", data=data))
        elif kind == "error":
            lines = out.get("traceback", [])
            lines = [str(line)[:2000] for line in lines[:60]] if isinstance(lines, list) else []
            safe.append(nbformat.v4.new_output("error", ename=str(out.get("ename", ""))[:200],
                                               evalue=str(out.get("evalue", ""))[:2000], traceback=lines))
    return safe


def feedback_notebook(submission: Submission, lecture: Lecture, marks: list[Mark]) -> nbformat.NotebookNode:
    """The student's notebook with each exercise's verdict under its check cell (or answer), and a summary on top."""
    shown = _student_notebook(submission.path)
    by_name = {m.exercise: m for m in marks}
    pending = []
    for step in lecture.exercises:
        mark = by_name.get(step.name)
        if mark is None:
            continue
        label = step.exercise.label if step.exercise is not None else f"Answer {step.name} (graded by hand)"
        pristine = lecture.notebook.cells[step.index]
        where = _locate(shown, step, pristine)
        cell = _verdict_cell(mark, label)
        if where is None:
            pending.append(cell)
        else:
            shown.cells.insert(where + 1, cell)
    total = sum(m.points for m in marks)
    most = sum(m.max_points for m in marks)
    by_hand = sum(m.max_points for m in marks if m.status == "manual")
    lines = [f"# Feedback on {submission.notebook}",
             f"**{_markdown_text(submission.student)}: {points(total)} of {points(most)} points**"
             + (f" ({points(by_hand)} of the {points(most)} for answers your teacher grades by hand)." if by_hand else "."), "",
             "| exercise | points | status |", "| --- | ---: | --- |"]
    lines += [f"| {_markdown_text(m.exercise)} | {points(m.points)} / {points(m.max_points)} | {SYMBOL.get(m.status, '✘')} "
              f"{m.status} |" for m in marks]
    lines += ["", "The checks ran on fresh inputs in a clean kernel, with only your answer cells taken from "
              "your notebook; each verdict is shown under its check cell."]
    shown.cells.insert(0, nbformat.v4.new_markdown_cell("\n".join(lines)))
    if pending:
        shown.cells.append(nbformat.v4.new_markdown_cell("## Checks whose cell is not in your notebook any more"))
        shown.cells.extend(pending)
    return shown


def _locate(shown, step, pristine) -> int | None:
    """Where the check cell (or the answer) of `step` is in the student's notebook."""
    call = step.source.strip().split("(", 1)[0] if step.kind == "check" else None
    for i, cell in enumerate(shown.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id") if isinstance(cell.metadata.get("nbgrader"), dict) else None
        if step.grade_id and grade_id == step.grade_id:
            return i
    for i, cell in enumerate(shown.cells):
        if pristine.get("id") and cell.metadata.get("submitted_id") == pristine.get("id"):
            return i
    if call:
        for i, cell in enumerate(shown.cells):
            if cell.cell_type == "code" and cell.source.strip().startswith(call + "("):
                return i
    return None


# the page runs no script and loads nothing: a crafted submission cannot act in the teacher's browser
POLICY = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
          'style-src \'unsafe-inline\'; font-src data:">')


class FeedbackWriter:
    """HTML pages with nbconvert, of the submission's text and harmless outputs only, under a policy that
    allows no script (the submission's HTML, outputs with scripts and javascript: links do nothing)."""

    def __init__(self) -> None:
        from nbconvert import HTMLExporter
        self.exporter = HTMLExporter(template_name="lab")

    def write(self, path: Path, submission: Submission, lecture: Lecture, marks: list[Mark]) -> None:
        notebook = feedback_notebook(submission, lecture, marks)
        body, _ = self.exporter.from_notebook_node(notebook, resources={"metadata": {
            "name": f"{submission.student}: {submission.notebook}"}})
        body = body.replace("<head>", "<head>\n" + POLICY, 1) if "<head>" in body else POLICY + body
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


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
        if all(m.status == "unreadable" for m in ms):
            return "unreadable"
        return f"{points(sum(m.points for m in ms))}/{points(sum(m.max_points for m in ms))}"

    header = ["student", *[n.split("_", 1)[0] for n in notebooks], "total"]
    rows = [[s, *[score(cell.get((s, n), [])) for n in notebooks],
             score([m for n in notebooks for m in cell.get((s, n), [])])] for s in students]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    manual = sum(m.max_points for m in marks if m.status == "manual")
    if manual:
        lines.append(f"(the totals count hand-graded answers as 0 until graded: {points(manual)} points in all)")
    return "\n".join(lines)


class Progress:
    """A one-line progress bar on a terminal; a line per tenth elsewhere."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream, self.start = total, 0, stream, time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.next_line = 0.1
        if self.tty:
            self._draw("", 0.0)

    def step(self, what: str) -> None:
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
                          f"{elapsed:5.1f} s  {what[:40]:<40}")
        self.stream.flush()
