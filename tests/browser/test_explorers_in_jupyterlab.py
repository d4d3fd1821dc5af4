"""Every explorer and the training playground in JupyterLab, in a real (headless) Chromium.

The notebooks here are made by the test (tests/browser/harness.py writes one cell per explorer, with
the calls the course's notebooks make), so these tests do not depend on what the course's notebooks
say around their explorers. Explorers and controls are found by their CSS classes (.mlp-explorer,
.mlp-control-<name>, .mlp-button-<name>).

- The playground plays: the step k grows and the picture changes, Pause stops both, Step takes one
  step, Reset shows the first picture again.
- Every control of every explorer changes the picture, within RESPONSE_SECONDS, and moving it back
  brings back the very same picture (how fast: benchmarks/bench_explorers.py measures it against the
  100 ms target; a test does not time it).
- Quick moves end on the last value: the picture after a burst of key presses is the one the last
  value gives.
"""
from __future__ import annotations

import re
import time

import pytest

import harness

pytestmark = pytest.mark.browser

RESPONSE_SECONDS = 10
EXPLORERS = list(harness.EXPLORER_CELLS)


def _open(page, lab, names, stem: str):
    path = harness.write_explorer_notebook(lab.root / "explorers" / f"{stem}.ipynb", names)
    harness.run_explorer_notebook(page, lab, f"explorers/{path.name}", len(names))
    return page.locator(".jp-NotebookPanel .mlp-explorer")


def _k(explorer) -> int:
    match = re.search(r"step k = ([\d,]+)", harness.status(explorer))
    assert match, f"the playground's status line names no step k: {harness.status(explorer)!r}"
    return int(match.group(1).replace(",", ""))


def test_the_playground_plays_pauses_steps_and_resets(page, lab):
    explorer = _open(page, lab, ["Playground"], "playground").first
    first = harness.digest(explorer)
    assert _k(explorer) == 0
    explorer.locator(".mlp-button-play").click()
    start = harness.now(page)
    deadline = time.monotonic() + RESPONSE_SECONDS
    while _k(explorer) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    k1 = _k(explorer)
    assert k1 > 0, "Play did not train: the step k stayed 0"
    time.sleep(1.5)
    k2, playing = _k(explorer), harness.digest(explorer)
    assert k2 > k1, f"the step k did not grow while playing ({k1} -> {k2})"
    assert playing != first, "the picture did not change while playing"
    pictures = [t for t in harness.frames(page, 0) if t > start]
    rate = len(pictures) / ((harness.now(page) - start) / 1000)
    assert rate >= 5, f"only {rate:.1f} pictures a second while playing"

    explorer.locator(".mlp-button-pause").click()
    paused_at = harness.now(page)
    harness.quiet(page, 0, 0.5)
    k3 = _k(explorer)
    time.sleep(1.0)
    assert _k(explorer) == k3, "the step k still grows after Pause"
    late = [t for t in harness.frames(page, 0) if t > paused_at + 1000]
    assert not late, f"{len(late)} pictures came more than a second after Pause"

    explorer.locator(".mlp-button-step").click()
    deadline = time.monotonic() + RESPONSE_SECONDS
    while _k(explorer) != k3 + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _k(explorer) == k3 + 1, "Step did not take exactly one step"

    explorer.locator(".mlp-button-reset").click()
    deadline = time.monotonic() + RESPONSE_SECONDS
    while _k(explorer) != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    harness.quiet(page, 0, 0.3)
    assert _k(explorer) == 0 and harness.digest(explorer) == first, "Reset did not bring back the first picture"


def test_every_control_of_every_explorer_changes_the_picture(page, lab):
    explorers = _open(page, lab, EXPLORERS, "every-explorer")
    assert explorers.count() == len(EXPLORERS)
    problems = []
    for index, name in enumerate(EXPLORERS):
        explorer = explorers.nth(index)
        controls = explorer.locator("[class*='mlp-control-']")
        assert controls.count() > 0, f"{name} has no controls"
        for c in range(controls.count()):
            control = controls.nth(c)
            problems += harness.there_and_back(
                page, index, explorer, f"{name} {harness.control_name(control)}",
                lambda: harness.timed_move(page, index, control, timeout=RESPONSE_SECONDS), RESPONSE_SECONDS)
    assert not problems, "\n".join(problems)


def test_quick_moves_end_on_the_last_value(page, lab):
    explorers = _open(page, lab, ["BackpropExplorer", "DescentExplorer"], "quick-moves")
    for index, slider in ((0, "step"), (1, "tau-times-lambda")):
        explorer = explorers.nth(index)
        handle = explorer.locator(f".mlp-control-{slider} .noUi-handle")
        handle.focus()
        harness.quiet(page, index, 0.3)
        since = harness.now(page)
        for _ in range(6):  # as fast as the keyboard goes: the kernel sees them while it still draws
            page.keyboard.press("ArrowRight", delay=0)
        harness.settled(page, index, since, 0.8)
        value, quick = handle.get_attribute("aria-valuenow"), harness.digest(explorer)
        quick_status = harness.status(explorer)
        for key in ["ArrowLeft"] * 6 + ["ArrowRight"] * 6:  # the same value again, one move at a time
            since = harness.now(page)
            handle.press(key)
            harness.settled(page, index, since, 0.2, longest=RESPONSE_SECONDS)
        assert handle.get_attribute("aria-valuenow") == value
        assert harness.status(explorer) == quick_status, f"{slider}: after quick moves the status line is not the last value's"
        assert harness.digest(explorer) == quick, f"{slider}: after quick moves the picture is not the last value's"


def test_the_playground_gives_its_settings_as_code_and_draws_new_data(page, lab):
    explorer = _open(page, lab, ["Playground"], "playground-code").first
    code = explorer.locator(".mlp-playground-code")
    assert code.inner_text().startswith("Playground(dataset='sine'") and "steps=0)" in code.inner_text()
    first = harness.digest(explorer)
    explorer.locator(".mlp-button-step").click()
    page.wait_for_function("el => el.innerText.includes('steps=1)')", arg=code.element_handle(),
                           timeout=RESPONSE_SECONDS * 1000)
    explorer.locator(".mlp-button-new-data").click()
    page.wait_for_function("el => el.innerText.includes('data_seed=1') && el.innerText.includes('steps=0)')",
                           arg=code.element_handle(), timeout=RESPONSE_SECONDS * 1000)
    harness.quiet(page, 0, 0.3)
    assert harness.digest(explorer) != first, "New data drew the same picture"
    assert _k(explorer) == 0
