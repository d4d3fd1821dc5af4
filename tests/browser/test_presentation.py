"""The presentation mode (python3 course.py present NN) in JupyterLab in headless Chromium.

JupyterLab starts as tools/present.py starts it (its settings: deck mode on, large fonts) on a slide
copy made by present.make_slides of a notebook written here (a title, two sections, an explorer), so
that the test does not depend on what the course's notebooks say:
- the notebook opens as slides: only the first section is on screen, in fonts of at least 20 px;
- → advances to the next section and ← goes back;
- Shift+Enter runs the explorer's cell in deck mode, and the explorer is live: a key on its focused
  slider changes its picture.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from unittest import mock

import nbformat
import pytest

import harness
from tools import present

pytestmark = pytest.mark.browser

ONSCREEN = "() => Array.from(document.querySelectorAll('.jp-Cell.jp-deck-mod-onscreen')).map(c => c.innerText)"


@pytest.fixture(scope="module")
def deck_lab(tmp_path_factory):
    """A JupyterLab of its own, with the presentation's settings, serving the slide copy."""
    home = tmp_path_factory.mktemp("present")
    root = home / "course"
    source = root / "source.ipynb"
    root.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# The title slide\n\nWhat this lecture is about."),
        nbformat.v4.new_code_cell("ready = True"),
        nbformat.v4.new_markdown_cell("## 1. The explorer\n\nMove the slider."),
        nbformat.v4.new_code_cell(harness.EXPLORER_CELLS["ActivationExplorer"]),
        nbformat.v4.new_markdown_cell("## 2. The last section\n\nThe end."),
    ]
    nbformat.write(notebook, source)
    present.make_slides(source, root / "slides.ipynb")
    config = present.write_settings(home / "present-config")
    server = harness.lab_server(root, home / "lab")
    with mock.patch.dict(os.environ, present.environment(config)):  # read once, when the server starts
        lab = server.__enter__()
    try:
        yield lab
    finally:
        server.__exit__(None, None, None)


def _onscreen(page) -> str:
    return "\n".join(page.evaluate(ONSCREEN))


def _press_until(page, key: str, text: str, presses: int = 6) -> None:
    for _ in range(presses):
        if text in _onscreen(page):
            return
        page.keyboard.press(key)
        time.sleep(0.6)  # the deck animates the change of slide
    assert text in _onscreen(page), f"{presses} presses of {key} did not bring {text!r} on screen: {_onscreen(page)!r}"


def test_a_notebook_is_presented_as_slides_that_advance_with_a_live_explorer(browser, deck_lab):
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    try:
        deck_lab.start_kernel("slides.ipynb")
        page.goto(f"{deck_lab.base}/lab/tree/slides.ipynb?reset&token={deck_lab.token}")
        page.locator(".jp-NotebookPanel.jp-Deck .jp-Cell.jp-deck-mod-onscreen").first.wait_for(timeout=90_000)
        first = _onscreen(page)
        assert "The title slide" in first and "The explorer" not in first, f"not one slide on screen: {first!r}"
        size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.jp-deck-mod-onscreen p')).fontSize)")
        assert size >= 20, f"text of {size}px: too small for the back of the room"

        page.locator(".jp-Cell.jp-deck-mod-onscreen").first.click()  # the notebook has the keyboard
        _press_until(page, "ArrowRight", "1. The explorer")
        assert "The title slide" not in _onscreen(page), "the first slide is still on screen after →"

        page.locator(".jp-CodeCell.jp-deck-mod-onscreen").first.click()
        page.keyboard.press("Shift+Enter")  # deck mode: run the cell, go on
        explorer = page.locator(".jp-Cell .mlp-explorer").first
        explorer.locator("img.mlp-explorer-figure").wait_for(state="attached", timeout=120_000)
        _press_until(page, "ArrowLeft", "1. The explorer")
        explorer.locator("img.mlp-explorer-figure").wait_for(timeout=30_000)
        page.wait_for_function("() => { const i = document.querySelector('.mlp-explorer img.mlp-explorer-figure');"
                               " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)
        before = harness.digest(explorer)
        handle = explorer.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        deadline = time.monotonic() + 30
        while harness.digest(explorer) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert harness.digest(explorer) != before, "the explorer's picture did not change when its slider moved"
        assert "1. The explorer" in _onscreen(page), "moving the slider changed the slide"
    except Exception:
        artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "presentation.png"))
        raise
    finally:
        context.close()
