"""The notebooks where students use them: JupyterLab in a real (headless) Chromium.

- Every lecture: Run All goes through to the last cell; the only errors are the exercise stubs'
  NotImplementedError in cells tagged `raises-exception`; every explorer renders.
- Every solution that shows a widget: Run All with no error at all, every explorer renders, and
  moving a control (keyboard on a slider, another option in a dropdown or toggle buttons) redraws
  its figure or status line, through the kernel, within RESPONSE_SECONDS; moving it back brings
  back the very same figure and status line. The control tried is the last one that changes
  something in the explorer's first state (controls that change nothing there are skipped).

Run alone with `python3 course.py test -m browser`.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from harness import move  # a control moved as a student would: keyboard, dropdown option, toggle

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


FIGURE_DIGEST = """img => fetch(img.src).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))
    .then(d => Array.from(new Uint8Array(d), x => x.toString(16).padStart(2, '0')).join(''))"""


def _snapshot(explorer) -> tuple[str, str]:
    """(status line HTML, figure URL): the URL is new whenever the kernel sends a new figure."""
    return (explorer.locator(".mlp-explorer-status").inner_html(),
            explorer.locator("img.mlp-explorer-figure").get_attribute("src") or "")


def _shown(explorer) -> tuple[str, str]:
    """(status line HTML, SHA-256 of the figure's PNG): what the student sees, comparable over time."""
    return explorer.locator(".mlp-explorer-status").inner_html(), explorer.locator("img.mlp-explorer-figure").evaluate(FIGURE_DIGEST)


def _status_text(explorer) -> str:
    return explorer.locator(".mlp-explorer-status").inner_text()[:200]


def wait_until(condition, seconds: float) -> float:
    """Poll `condition()` every 0.1 s; return the seconds it took to hold, or infinity after `seconds`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            return float("inf")
        time.sleep(0.1)
    return time.monotonic() - start


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


WIDGET_SOLUTIONS = [p for p in SOLUTIONS if _stored_explorers(p)]  # the course's widgets are its explorers


@pytest.mark.parametrize("path", WIDGET_SOLUTIONS, ids=[p.stem for p in WIDGET_SOLUTIONS])
def test_solution_widgets_respond_in_jupyterlab(page, lab, path):
    states, not_run = run_all(page, lab, "solutions", path)
    where = f"solutions/{path.name}"
    problems = [f"cell {i}: {error[:400]}" for i, state in enumerate(states) for error in state["errors"]]
    assert not problems, f"{where} shows errors in JupyterLab:\n" + "\n".join(problems)
    assert not not_run, f"{where}: Run All never ran code cells {not_run}"
    check_no_widget_errors(page, where)

    expected = _stored_explorers(path)
    explorers = wait_for_explorers(page, expected)
    assert explorers.count() == expected, f"{where} shows {explorers.count()} explorers, its stored outputs {expected}"
    for e in range(expected):
        explorer = explorers.nth(e)
        figure = explorer.locator("img.mlp-explorer-figure")
        try:
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle(),
                                   timeout=RESPONSE_SECONDS * 1000)
        except Exception:
            pytest.fail(f"{where} explorer {e}: its figure was not drawn within {RESPONSE_SECONDS} s")
        controls = explorer.locator("[class*='mlp-control-']")
        assert controls.count() > 0, f"{where} explorer {e} has no controls"
        tried = []
        for c in reversed(range(controls.count())):  # the last control first: it usually picks what is shown
            control = controls.nth(c)
            name = next(k for k in control.get_attribute("class").split() if k.startswith("mlp-control-"))
            shown, before = _shown(explorer), _snapshot(explorer)
            action, move_back = move(control)
            seconds = wait_until(lambda: _snapshot(explorer) != before, RESPONSE_SECONDS)
            tried.append(f"{name} ({action})")
            if seconds > RESPONSE_SECONDS:
                move_back()  # this control changes nothing in the current state; try the one before it
                continue
            move_back()
            if explorer.evaluate("e => e.classList.contains('mlp-playground')"):
                break  # a playground's controls start a new network at k = 0 (its own tests play it)
            seconds = wait_until(lambda: _shown(explorer) == shown, RESPONSE_SECONDS)
            assert seconds <= RESPONSE_SECONDS, (
                f"{where} explorer {e}, control {name}: moved back, it did not show its first figure and status "
                f"line again within {RESPONSE_SECONDS} s (the display does not follow the control's value)"
            )
            break
        else:
            pytest.fail(f"{where} explorer {e}: moving {', '.join(tried)} changed neither the figure nor the status "
                        f"line within {RESPONSE_SECONDS} s each (status still {_status_text(explorer)!r}): "
                        "is the explorer's callback broken?")
    check_no_widget_errors(page, where)
