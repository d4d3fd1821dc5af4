"""The notebooks where students use them: JupyterLab in a real (headless) Chromium.

- Every lecture: Run All goes through to the last cell; the only errors are the exercise stubs'
  NotImplementedError in cells tagged `raises-exception`; every explorer its solution shows renders,
  with no widget error. (The solutions run the same explorer cells; every control of every explorer
  is moved in tests/browser/test_explorers_in_jupyterlab.py.)

Run alone with `python3 course.py test -m browser`.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest


pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
EXPLORER_PLAIN = re.compile(r"\(interactive: run the notebook in Jupyter to use it\)$")  # Explorer's text/plain
RAISES = "raises-exception"
LOAD_SECONDS, RUN_SECONDS, RESPONSE_SECONDS = 90, 120, 10

CELL_STATES = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')).map(cell => ({
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
                 .map(output => output.textContent.trim()),
}))"""
RUN_OVER = """([cells, wanted, allowed]) => {
    const states = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')).map(cell => ({
        prompt: ((cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '').trim(),
        failed: cell.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') !== null,
    }));
    if (states.length !== cells) return false;
    if (states.some((state, i) => state.failed && !allowed.includes(i))) return true;  // an error stops Run All
    return wanted.every(i => /^\\[\\d+\\]:$/.test(states[i].prompt));
}"""


def _stored_explorers(path: Path) -> int:
    """How many explorers the committed solution displays (its stored outputs say so)."""
    nb = nbformat.read(path, as_version=4)
    return sum(1 for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
               if EXPLORER_PLAIN.search(output.get("data", {}).get("text/plain", "")))


def run_all(page, lab, folder: str, path: Path, allowed: set[int] = frozenset()):
    """Open folder/<notebook> in Lab (File > Open from Path), wait for its kernel, Run All, and wait
    until every code cell has run or a cell outside `allowed` shows an error.
    Returns (the cells' states in the page, indices of the code cells that never ran)."""
    nb = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]
    lab.start_kernel(f"{folder}/{path.name}")  # Lab connects to this kernel when it opens the notebook
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name="Open from Path…").click()
    page.locator(".jp-Dialog input").fill(f"{folder}/{path.name}")
    page.locator(".jp-Dialog input").press("Enter")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=LOAD_SECONDS * 1000)
    status = page.locator("#jp-main-statusbar")
    status.get_by_text(re.compile(r"Python 3 \(ipykernel\)\s*\|\s*Idle")).wait_for(timeout=LOAD_SECONDS * 1000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    try:
        page.wait_for_function(RUN_OVER, arg=[len(nb.cells), code, sorted(allowed)],
                               timeout=RUN_SECONDS * 1000, polling=250)
        status.get_by_text(re.compile(r"\|\s*Idle")).wait_for(timeout=RUN_SECONDS * 1000)
    except Exception as error:
        print(f"{folder}/{path.name}: Run All not over within {RUN_SECONDS} s ({type(error).__name__})")
    states = page.evaluate(CELL_STATES)
    not_run = [i for i in code if i >= len(states) or not re.fullmatch(r"\[\d+\]:", states[i]["prompt"].strip())]
    return states, not_run


def check_no_widget_errors(page, where: str) -> None:
    text = page.locator(".jp-NotebookPanel .jp-Notebook").inner_text()
    assert "Error displaying widget" not in text, f"{where}: a widget failed to display ('Error displaying widget')"


def wait_for_explorers(page, expected: int):
    """The explorers in the page, once the `expected` ones have rendered (or the time bound is over)."""
    explorers = page.locator(".jp-NotebookPanel .jp-Notebook .mlp-explorer")
    if expected:
        try:
            explorers.nth(expected - 1).wait_for(timeout=RESPONSE_SECONDS * 1000)
        except Exception:
            pass  # the caller's count assertion says what is missing
    return explorers


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_runs_all_in_jupyterlab(page, lab, path):
    nb = nbformat.read(path, as_version=4)
    tagged = {i for i, cell in enumerate(nb.cells) if RAISES in cell.metadata.get("tags", [])}
    states, not_run = run_all(page, lab, "lectures", path, allowed=tagged)
    where = f"lectures/{path.name}"
    problems = []
    for i, state in enumerate(states):
        for error in state["errors"]:
            if not (i in tagged and "NotImplementedError" in error):
                problems.append(f"cell {i}{' (tagged ' + RAISES + ')' if i in tagged else ''}: {error[:400]}")
    assert not problems, f"{where} shows errors in JupyterLab:\n" + "\n".join(problems)
    assert not not_run, f"{where}: Run All never ran code cells {not_run} (tagged {RAISES}: {sorted(tagged)})"
    silent = sorted(i for i in tagged if not states[i]["errors"])
    assert not silent, f"{where}: cells {silent} are tagged {RAISES} but show no NotImplementedError in the page"
    check_no_widget_errors(page, where)
    solution = ROOT / "solutions" / path.name
    if solution.exists():
        expected = _stored_explorers(solution)
        shown = wait_for_explorers(page, expected).count()
        assert shown == expected, f"{where} shows {shown} explorers, its solution {expected}"
