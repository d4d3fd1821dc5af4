"""Every explorer in JupyterLab works from the keyboard alone, in headless Chromium.

The notebook is made by the test (tests/browser/harness.py: one cell per explorer, with the calls the
course's notebooks make). For each explorer:
- Tab reaches every control and button, one after another;
- each control changes the picture by keys on the focused control only (arrows on a slider; on a
  drop-down Alt+↓ to open its list, ↓ or ↑, Enter; Space on the other toggle button or a checkbox),
  and keys bring the first picture back. (A bare ↓ on a closed drop-down does not reach it in
  JupyterLab: the notebook takes it and moves on to the next cell.)
- the playground's buttons work with Enter: Step takes one step, Reset goes back to step 0.
"""
from __future__ import annotations

import re
import time

import pytest

import harness

pytestmark = pytest.mark.browser

RESPONSE_SECONDS = 10
EXPLORERS = list(harness.EXPLORER_CELLS)
WIDGET = "[class*='mlp-control-'], [class*='mlp-button-']"
FOCUSED = """sel => { const e = document.activeElement; const w = e && e.closest(sel);
    return w ? Array.from(w.classList).find(k => k.startsWith('mlp-control-') || k.startsWith('mlp-button-')) : null; }"""
INSIDE = "i => { const x = document.querySelectorAll('.jp-NotebookPanel .mlp-explorer')[i]; return x.contains(document.activeElement); }"


def _name(widget) -> str:
    return next(k for k in (widget.get_attribute("class") or "").split() if k.startswith(("mlp-control-", "mlp-button-")))


def _key_move(control):
    """Change a control with keys on it alone. Returns (what was done, a function that changes it back by keys)."""
    handle = control.locator(".noUi-handle")
    if handle.count():
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        key, back = ("ArrowLeft", "ArrowRight") if at_max else ("ArrowRight", "ArrowLeft")
        handle.focus()
        page = control.page
        return f"{key} on the slider", lambda: (handle.focus(), page.keyboard.press(back)), lambda: page.keyboard.press(key)
    select = control.locator("select")
    if select.count():
        options = select.locator("option").evaluate_all("os => os.map(o => o.value)")
        last = select.input_value() == options[-1]
        key, back = ("ArrowUp", "ArrowDown") if last else ("ArrowDown", "ArrowUp")
        select.focus()
        page = control.page

        def choose(arrow: str) -> None:  # open the list, move, take it
            for pressed in ("Alt+ArrowDown", arrow, "Enter"):
                page.keyboard.press(pressed)

        return f"Alt+↓, {key}, Enter on the drop-down", lambda: (select.focus(), choose(back)), lambda: choose(key)
    buttons = control.locator("button")
    if buttons.count():
        active = control.locator("button.mod-active")
        other = control.locator("button:not(.mod-active)").first
        label = other.inner_text()
        first = active.first.element_handle()
        other.focus()
        page = control.page
        return (f"Space on the toggle {label!r}", lambda: (first.focus(), page.keyboard.press("Space")),
                lambda: page.keyboard.press("Space"))
    checkbox = control.locator("input[type=checkbox]")
    if checkbox.count():
        checkbox.focus()
        page = control.page
        return "Space on the checkbox", lambda: (checkbox.focus(), page.keyboard.press("Space")), lambda: page.keyboard.press("Space")
    raise AssertionError(f"no keyboard move known for a control with classes {control.get_attribute('class')!r}: "
                         "teach tests/browser/test_keyboard.py about this kind of widget")


def _open(page, lab, names, stem):
    path = harness.write_explorer_notebook(lab.root / "explorers" / f"{stem}.ipynb", names)
    harness.run_explorer_notebook(page, lab, f"explorers/{path.name}", len(names))
    return page.locator(".jp-NotebookPanel .mlp-explorer")


def test_tab_reaches_every_control_and_button_of_every_explorer(page, lab):
    explorers = _open(page, lab, EXPLORERS, "keyboard-tab")
    problems = []
    for index, name in enumerate(EXPLORERS):
        widgets = explorers.nth(index).locator(WIDGET)
        wanted = [_name(widgets.nth(i)) for i in range(widgets.count())
                  if not widgets.nth(i).evaluate("w => w.matches(':disabled') || !!w.querySelector(':disabled')")]
        assert wanted, f"{name} has no controls"
        page.evaluate("i => document.querySelectorAll('.jp-NotebookPanel .mlp-explorer')[i]"
                      ".querySelector('select, button, input, [tabindex]').focus()", index)
        reached = []
        for _ in range(4 * len(wanted) + 10):
            if not page.evaluate(INSIDE, index):
                break
            focused = page.evaluate(FOCUSED, WIDGET)
            if focused and (not reached or reached[-1] != focused):
                reached.append(focused)
            page.keyboard.press("Tab")
        missing = [w for w in dict.fromkeys(wanted) if w not in reached]
        if missing:
            problems.append(f"{name}: Tab never reaches {missing} (reached {reached})")
    assert not problems, "\n".join(problems)


def test_every_control_of_every_explorer_works_with_keys_alone(page, lab):
    explorers = _open(page, lab, EXPLORERS, "keyboard-keys")
    problems = []
    for index, name in enumerate(EXPLORERS):
        explorer = explorers.nth(index)
        controls = explorer.locator("[class*='mlp-control-']")
        for c in range(controls.count()):
            control = controls.nth(c)

            def by_keys():
                action, back, press = _key_move(control)  # focuses the control; `press` is the key alone
                return action, harness.timed(page, index, press, timeout=RESPONSE_SECONDS)[1], back
            problems += harness.there_and_back(page, index, explorer, f"{name} {_name(control)}", by_keys,
                                               RESPONSE_SECONDS)
    assert not problems, "\n".join(problems)


def test_the_playground_buttons_work_with_enter(page, lab):
    explorer = _open(page, lab, ["Playground"], "keyboard-buttons").first

    def k() -> int:
        match = re.search(r"step k = ([\d,]+)", harness.status(explorer))
        assert match, f"no step k in the status line {harness.status(explorer)!r}"
        return int(match.group(1).replace(",", ""))

    def wait_for(value: int) -> int:
        deadline = time.monotonic() + RESPONSE_SECONDS
        while k() != value and time.monotonic() < deadline:
            time.sleep(0.05)
        return k()

    assert k() == 0
    explorer.locator(".mlp-button-step").focus()
    page.keyboard.press("Enter")
    assert wait_for(1) == 1, "Enter on Step did not take one step"
    explorer.locator(".mlp-button-reset").focus()
    page.keyboard.press("Enter")
    assert wait_for(0) == 0, "Enter on Reset did not go back to step 0"
