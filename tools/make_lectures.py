"""Generate the student notebooks lectures/NN_topic.ipynb from solutions/NN_topic.ipynb.

    python3 course.py lectures            (or: python tools/make_lectures.py [--check])

What changes on the way (nbgrader's markers, which teachers know):
- In code cells, the lines from `### BEGIN SOLUTION Exercise 1.2` to `### END SOLUTION` become
      # YOUR CODE HERE
      raise NotImplementedError("Exercise 1.2: write your code here")
  at the marker's indentation. Solution regions must sit inside a function (`def`), so that the
  stub raises only where the exercise is used: in its check cell.
- In markdown cells, the lines from `<!-- BEGIN SOLUTION -->` to `<!-- END SOLUTION -->` become
  "*Your answer here.*".
- Lines from `### BEGIN HIDDEN TESTS` to `### END HIDDEN TESTS` are dropped.
- Every cell that uses a function holding a stub gets the tag `raises-exception`: JupyterLab's
  "Run All" and nbval then go on past it.
- Outputs and execution counts are cleared.

--check regenerates in memory and exits 1 if a committed lecture differs (drift).
--execute first runs every solution top to bottom in a fresh kernel and saves it with its outputs
(what a teacher does by "Restart Kernel and Run All Cells" and saving), keeping each explorer's
first picture but not its widget view, which only a live kernel can show; give notebook names to
limit both steps to those, e.g. `python3 course.py lectures --execute 01_linear_regression`.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat
from blas_env import pin_blas
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, LECTURES = ROOT / "solutions", ROOT / "lectures"
RAISES = "raises-exception"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION\s*(?P<label>.*?)\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
BEGIN_HIDDEN, END_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS"), re.compile(r"^\s*### END HIDDEN TESTS")
MD_BEGIN, MD_END = re.compile(r"^\s*<!-- BEGIN SOLUTION -->\s*$"), re.compile(r"^\s*<!-- END SOLUTION -->\s*$")


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
            out += [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("{label}: write your code here")']
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
            out.append("*Your answer here.*")
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
        stubs = [n for n in ast.walk(node) if isinstance(n, ast.Raise) and "write your code here" in ast.unparse(n)]
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


def make_lecture(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The student version of one solution notebook (a new notebook; the solution is untouched)."""
    lecture = nbformat.v4.new_notebook(metadata={k: v for k, v in solution.metadata.items() if k != "widgets"})
    lecture.metadata["course"] = {"generated_from": f"solutions/{name}", "edit": "do not edit: run python3 course.py lectures"}
    stubs: set[str] = set()
    for number, cell in enumerate(solution.cells):
        where = f"{name}, cell {number}"
        tags = [t for t in cell.metadata.get("tags", []) if t != RAISES]
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
        new.pop("id", None)
        lecture.cells.append(new)
    for number, cell in enumerate(lecture.cells):
        cell["id"] = f"cell-{number}"
    return lecture


def render(path: Path) -> str:
    """The lecture generated from the solution at `path`, as the exact text written to disk."""
    lecture = make_lecture(nbformat.read(path, as_version=4), path.name)
    return nbformat.writes(lecture) + "\n"


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
    from nbclient import NotebookClient

    pin_blas()  # the tests run the notebooks with the same BLAS kernels
    notebook = nbformat.read(path, as_version=4)
    # timeout=None: nbclient's per-cell timeout can stall for its full length (see README, "For teachers")
    NotebookClient(notebook, timeout=None, kernel_name="python3", store_widget_state=False, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
            for output in cell.outputs:  # a widget view needs the live kernel; its PNG stands in when saved
                output.get("data", {}).pop(WIDGET_VIEW, None)
    nbformat.write(notebook, path)
    print(f"executed {path.relative_to(ROOT)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report lectures that differ from their solutions; write nothing")
    parser.add_argument("--execute", action="store_true", help="run and save the solutions first")
    parser.add_argument("names", nargs="*", help="notebooks to work on (default: all), e.g. 01_linear_regression")
    args = parser.parse_args(argv)
    stale = []
    solutions = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    chosen = [p for p in solutions if not args.names or p.stem in args.names or p.name in args.names]
    if args.names and len(chosen) != len(args.names):
        print(f"unknown notebook name(s) among {args.names}: the solutions are {[p.stem for p in solutions]}", file=sys.stderr)
        return 2
    for path in chosen:
        if args.execute:
            execute(path)
        target = LECTURES / path.name
        text = render(path)
        if args.check:
            if not target.exists() or target.read_text() != text:
                stale.append(target.relative_to(ROOT))
        elif not target.exists() or target.read_text() != text:
            LECTURES.mkdir(exist_ok=True)
            target.write_text(text)
            print(f"wrote {target.relative_to(ROOT)}")
    orphans = sorted({p.name for p in LECTURES.glob("*.ipynb")} - {p.name for p in solutions})
    for name in orphans:
        print(f"lectures/{name} has no solution: delete it", file=sys.stderr)
    if args.check and stale:
        print("out of date (run python3 course.py lectures): " + ", ".join(map(str, stale)), file=sys.stderr)
    return 1 if stale or orphans else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
