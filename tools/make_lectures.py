"""Generate the student notebooks lectures/NN_topic.ipynb from solutions/NN_topic.ipynb.

    python3 course.py lectures            (or, from the course's folder: python -m tools.make_lectures [--check])

What changes on the way (nbgrader's markers, which teachers know):
- In code cells, the lines from `### BEGIN SOLUTION Exercise 1.2` to `### END SOLUTION` become
      # YOUR CODE HERE
      raise NotImplementedError("Exercise 1.2: write your code here")      (mlp.exercises.contract.stub_line)
  at the marker's indentation. Solution regions must sit inside a function (`def`), so that the
  stub raises only where the exercise is used: in its check cell.
- In markdown cells, the lines from `<!-- BEGIN SOLUTION -->` to `<!-- END SOLUTION -->` become
  "*Your answer here.*".
- Lines from `### BEGIN HIDDEN TESTS` to `### END HIDDEN TESTS` are dropped.
- Every cell that uses a function holding a stub gets the tag `raises-exception`: JupyterLab's
  "Run All" and nbval then go on past it.
- Outputs and execution counts are cleared.
- A first cell is added that installs the course when the lecture is opened in Google Colab, and does
  nothing elsewhere (contract.COLAB_CELL).
- With --derivations solutions-only, the markdown cells tagged `derivation` (the worked derivation
  under a check) stay in the solutions only, for the teacher to release later; the choice is recorded
  in each lecture and kept by later runs.
- nbgrader's cell metadata (schema 3), so that a hub running nbgrader can `generate_assignment` and
  `autograde` the course as it is: a solution cell gets `solution: true, grade: false, locked: false,
  grade_id: ex1_2`, its check cell (`check_x(name)` naming a function of that exercise)
  `grade: true, locked: true, points: 1, grade_id: ex1_2_check`, a markdown answer
  `solution: true, grade: true, points: 1, grade_id: answer1_1`. What is missing is filled in the
  solution itself (points or ids a teacher set are kept: set `points` in a solution to weigh an
  exercise) and copied to the lecture.

--check regenerates in memory and exits 1 if a committed lecture differs (drift).
--execute first runs every solution top to bottom in a fresh kernel and saves it with its outputs
(what a teacher does by "Restart Kernel and Run All Cells" and saving), keeping each explorer's
first picture but not its widget view, which only a live kernel can show, and a fingerprint of its
code, so that a solution edited after its run is noticed; give notebook names to limit both steps
to those, e.g. `python3 course.py lectures --execute 01_linear_regression`.

A lecture is never overwritten when it holds edits the generator did not make (a student ran or
solved it in this clone): it is left alone and the command says so; --force replaces it after
saving the edited file as lectures/edited-copies/NAME-<date>.ipynb.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from tools.blas_env import pin_blas
from IPython.core.inputtransformer2 import TransformerManager

from mlp.exercises import contract

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, LECTURES = ROOT / "solutions", ROOT / "lectures"
RAISES = "raises-exception"
DERIVATIONS = ("after-check", "solutions-only")  # where a lecture's worked derivations go
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

BEGIN, END = contract.SOLUTION_BEGIN, contract.SOLUTION_END
BEGIN_HIDDEN, END_HIDDEN = contract.HIDDEN_BEGIN, contract.HIDDEN_END
MD_BEGIN, MD_END = contract.MARKDOWN_BEGIN, contract.MARKDOWN_END


class MarkerError(ValueError):
    """A solution notebook's markers are malformed; the message names the notebook and cell."""


def _strip_code(source: str, where: str) -> tuple[str, list[str]]:
    """Replace solution regions by stubs and drop hidden tests; return (new source, exercise labels)."""
    out, labels, state = [], [], None
    for line in source.splitlines():
        begin = BEGIN.match(line)
        if state is None and begin:
            label = begin["label"]
            if not label:
                raise MarkerError(f"{where}: name the exercise on the marker, e.g. '### BEGIN SOLUTION Exercise 1.2'")
            labels.append(label)
            indent = begin["indent"]
            out += [f"{indent}{contract.STUB_COMMENT}", f"{indent}{contract.stub_line(label)}"]
            state = "solution"
        elif state is None and BEGIN_HIDDEN.match(line):
            state = "hidden"
        elif state == "solution" and END.match(line) or state == "hidden" and END_HIDDEN.match(line):
            state = None
        elif state is None and (END.match(line) or END_HIDDEN.match(line) or "BEGIN SOLUTION" in line):
            raise MarkerError(f"{where}: unmatched marker line {line.strip()!r}")
        elif state is None:
            out.append(line)
    if state is not None:
        raise MarkerError(f"{where}: a '### BEGIN' marker has no matching '### END' marker")
    return "\n".join(out), labels


def _strip_markdown(source: str, where: str) -> str:
    out, inside = [], False
    for line in source.splitlines():
        if MD_BEGIN.match(line) and not inside:
            inside = True
            out.append(contract.MARKDOWN_STUB)
        elif MD_END.match(line) and inside:
            inside = False
        elif MD_BEGIN.match(line) or MD_END.match(line):
            raise MarkerError(f"{where}: unmatched marker line {line.strip()!r}")
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}: '<!-- BEGIN SOLUTION -->' has no matching '<!-- END SOLUTION -->'")
    return "\n".join(out)


def _parse(source: str, where: str) -> ast.Module:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        raise MarkerError(f"{where}: cannot parse the cell ({error.msg}, line {error.lineno})") from error


def _stub_functions(tree: ast.Module, where: str) -> set[str]:
    """Names of the top-level functions and classes whose body raises the stub; fail on stubs elsewhere."""
    names = set()
    for node in tree.body:
        stubs = [n for n in ast.walk(node) if isinstance(n, ast.Raise) and ast.unparse(n).startswith("raise NotImplementedError('Exercise")]
        if not stubs:
            continue
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            raise MarkerError(f"{where}: a solution region must sit inside a def or class, not in top-level code")
        names.add(node.name)
    return names


def _uses(tree: ast.Module, names: set[str]) -> bool:
    """Does code that runs when the cell runs (not inside a def or class body) use one of `names`?"""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node)):
            return True
    return False


def _check_target(source: str) -> str | None:
    """If the cell is a check cell `check_x(name, ...)`, the name of its first argument (a student's function)."""
    if contract.check_call(source) is None:
        return None
    call = ast.parse(source).body[0].value
    return call.args[0].id if call.args and isinstance(call.args[0], ast.Name) else ""


def _number(label: str) -> str:
    """"Exercise 1.2" -> "1.2"."""
    return label.replace("Exercise", "").strip()


def nbgrader_metadata(solution: nbformat.NotebookNode, name: str) -> bool:
    """Fill in the nbgrader metadata the solution's cells lack (see the module docstring); True if any changed."""
    notebook_number = int(name[:2]) if name[:2].isdigit() else 0
    changed, answers, labels, last = False, 0, {}, None
    for number, cell in enumerate(solution.cells):
        where = f"solutions/{name}, cell {number + 1} (counting every cell from 1)"
        wanted = None
        if cell.cell_type == "code":
            found = [BEGIN.match(line)["label"] for line in cell.source.splitlines() if BEGIN.match(line)]
            target = _check_target(cell.source)
            if found and found[0]:
                last = found[0]
                for defined in _defined(cell.source, where):
                    labels[defined] = last
                wanted = {"solution": True, "grade": False, "locked": False, "grade_id": contract.answer_id(_number(last))}
            elif target is not None and (labels.get(target) or last):
                wanted = {"solution": False, "grade": True, "locked": True, "points": 1,
                          "grade_id": contract.check_id(_number(labels.get(target) or last))}
        elif cell.cell_type == "markdown" and any(MD_BEGIN.match(line) for line in cell.source.splitlines()):
            answers += 1
            wanted = {"solution": True, "grade": True, "locked": False, "points": 1,
                      "grade_id": contract.written_id(notebook_number, answers)}
        if wanted is None:
            continue
        have = cell.metadata.get("nbgrader", {})
        merged = {**wanted, **have, "schema_version": 3}
        if merged != have:
            cell.metadata["nbgrader"] = merged
            changed = True
    return changed


def _defined(source: str, where: str) -> set[str]:
    tree = _parse(source, where)
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def make_lecture(solution: nbformat.NotebookNode, name: str, derivations: str = "after-check") -> nbformat.NotebookNode:
    """The student version of one solution notebook (a new notebook; the solution is untouched).

    It starts with the Colab cell (contract.COLAB_CELL); derivations="solutions-only" leaves out the
    markdown cells tagged contract.DERIVATION_TAG (the worked derivations), "after-check" keeps them.
    """
    if derivations not in DERIVATIONS:
        raise ValueError(f"derivations must be one of {DERIVATIONS}, got {derivations!r}")
    solution = copy.deepcopy(solution)
    nbgrader_metadata(solution, name)
    lecture = nbformat.v4.new_notebook(metadata={k: v for k, v in solution.metadata.items() if k != "widgets"})
    lecture.metadata["course"] = {"generated_from": f"solutions/{name}", "edit": "do not edit: run python3 course.py lectures",
                                  "derivations": derivations}
    lecture.cells.append(nbformat.v4.new_code_cell(contract.COLAB_CELL, metadata={"tags": [contract.COLAB_TAG]}))
    stubs: set[str] = set()
    for number, cell in enumerate(solution.cells):
        where = f"solutions/{name}, cell {number + 1} (counting every cell from 1)"
        tags = [t for t in cell.metadata.get("tags", []) if t != RAISES]
        if contract.DERIVATION_TAG in tags and derivations == "solutions-only":
            continue
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(_strip_markdown(cell.source, where))
        elif cell.cell_type == "code":
            source, labels = _strip_code(cell.source, where)
            tree = _parse(source, where)
            if labels:
                stubs |= _stub_functions(tree, where)
            if _uses(tree, stubs) or RAISES in cell.metadata.get("tags", []):
                tags.append(RAISES)
            new = nbformat.v4.new_code_cell(source)
        else:
            new = nbformat.v4.new_raw_cell(cell.source)
        if tags:
            new.metadata["tags"] = tags
        if "nbgrader" in cell.metadata:
            new.metadata["nbgrader"] = dict(cell.metadata["nbgrader"])
        new.pop("id", None)
        lecture.cells.append(new)
    for number, cell in enumerate(lecture.cells):
        cell["id"] = f"cell-{number}"
    return lecture


def fill_solution(path: Path) -> None:
    """Write the nbgrader metadata a solution lacks into the solution itself (nothing else changes)."""
    solution = nbformat.read(path, as_version=4)
    if nbgrader_metadata(solution, path.name):
        nbformat.write(solution, path)
        print(f"added nbgrader metadata to {path.relative_to(ROOT)}")


def code_fingerprint(notebook: nbformat.NotebookNode) -> str:
    """A hash of a notebook's code: it changes whenever a code cell is edited, added or removed."""
    code = "\x00".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _content_hash(text: str) -> str:
    """A hash of a lecture's text without its own recorded hash."""
    notebook = nbformat.reads(text, as_version=4)
    notebook.metadata.get("course", {}).pop("generated_sha", None)
    return hashlib.sha256(nbformat.writes(notebook).encode()).hexdigest()[:16]


def recorded_derivations(target: Path) -> str:
    """The --derivations choice the lecture at `target` was generated with ("after-check" if none)."""
    try:
        return nbformat.read(target, as_version=4).metadata.get("course", {}).get("derivations", DERIVATIONS[0])
    except Exception:
        return DERIVATIONS[0]


def render(path: Path, derivations: str = "after-check") -> str:
    """The lecture generated from the solution at `path`, as the exact text written to disk.

    It records a hash of itself (metadata course.generated_sha), so that edits made later, by a
    student who works in this clone, can be told apart from an outdated generated file.
    """
    lecture = make_lecture(nbformat.read(path, as_version=4), path.name, derivations)
    lecture.metadata["course"]["generated_sha"] = _content_hash(nbformat.writes(lecture))
    return nbformat.writes(lecture) + "\n"


def edited(target: Path) -> bool:
    """Does the lecture at `target` hold changes the generator did not make (outputs, answers, any edit)?"""
    try:
        text = target.read_text()
        recorded = nbformat.reads(text, as_version=4).metadata.get("course", {}).get("generated_sha")
    except Exception:  # not even a notebook any more: somebody's file, keep it
        return True
    return recorded is None or recorded != _content_hash(text)


def _merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) outputs into one, so that saved files do not depend on
    how the kernel happened to split a printed line into messages."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if previous and output.output_type == previous.output_type == "stream" and output.name == previous.name:
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def execute(path: Path) -> None:
    """Run the notebook at `path` top to bottom in a fresh kernel (from its folder) and save its outputs."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    pin_blas()  # the tests run the notebooks with the same BLAS kernels
    notebook = nbformat.read(path, as_version=4)
    # timeout=None: nbclient's per-cell timeout can stall for its full length (see README, "For teachers");
    # ipc: the kernel talks over local sockets, not TCP (and so warns about nothing)
    with tempfile.TemporaryDirectory() as sockets:
        manager = (KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
                   if sys.platform != "win32" else KernelManager(kernel_name="python3"))
        try:
            NotebookClient(notebook, km=manager, timeout=None, store_widget_state=False, record_timing=False,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        finally:
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
            for output in cell.outputs:  # a widget view needs the live kernel; its PNG stands in when saved
                output.get("data", {}).pop(WIDGET_VIEW, None)
    notebook.metadata.setdefault("course", {})["executed_code"] = code_fingerprint(notebook)
    nbformat.write(notebook, path)
    print(f"executed {path.relative_to(ROOT)}")


def write_lecture(target: Path, text: str, force: bool) -> str:
    """Write a lecture unless that would destroy edits; returns what happened, for the user."""
    name = target.relative_to(ROOT)
    if target.exists() and edited(target):
        if not force:
            return (f"left {name} alone: it holds edits the generator did not make (someone ran or solved it here). "
                    "Move it elsewhere to keep it, or run again with --force to replace it (a copy is kept).")
        backup = target.parent / "edited-copies" / f"{target.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        backup.parent.mkdir(exist_ok=True)
        shutil.copy2(target, backup)
        target.write_text(text)
        return f"wrote {name}; the edited file was saved as {backup.relative_to(ROOT)}"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text)
    return f"wrote {name}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report lectures that differ from their solutions; write nothing")
    parser.add_argument("--execute", action="store_true", help="run and save the solutions first")
    parser.add_argument("--force", action="store_true", help="replace lectures that hold edits (a copy of each is kept)")
    parser.add_argument("--derivations", choices=DERIVATIONS,
                        help="after-check: the worked derivations follow each check; solutions-only: they stay in the "
                             "solutions, to be released later (default: as each lecture was last generated)")
    parser.add_argument("names", nargs="*", help="notebooks to work on (default: all), e.g. 01_linear_regression")
    args = parser.parse_args(argv)
    stale, refused = [], []
    solutions = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    chosen = [p for p in solutions if not args.names or p.stem in args.names or p.name in args.names]
    if args.names and len(chosen) != len(args.names):
        print(f"unknown notebook name(s) among {args.names}: the solutions are {[p.stem for p in solutions]}", file=sys.stderr)
        return 2
    for path in chosen:
        try:
            if args.execute:
                execute(path)
            if not args.check:
                fill_solution(path)
            target = LECTURES / path.name
            text = render(path, args.derivations or recorded_derivations(target))
        except MarkerError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if target.exists() and target.read_text() == text:
            continue
        if args.check:
            stale.append(target.relative_to(ROOT))
            continue
        said = write_lecture(target, text, args.force)
        print(said, file=sys.stderr if said.startswith("left") else sys.stdout)
        if said.startswith("left"):
            refused.append(target)
    orphans = sorted({p.name for p in LECTURES.glob("[0-9][0-9]_*.ipynb")} - {p.name for p in solutions})
    for name in orphans:
        print(f"lectures/{name} has no solution: delete it", file=sys.stderr)
    if args.check and stale:
        print("out of date (run python3 course.py lectures): " + ", ".join(map(str, stale)), file=sys.stderr)
    return 1 if stale or orphans or refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
