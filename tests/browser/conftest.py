"""Fixtures for the browser tests: a Chromium, one JupyterLab server and one browser per test session.

Chromium is the system's (Debian: `apt-get install chromium`); `python3 course.py test` installs it
before pytest starts when it is missing and it runs as root (its setup step, tools/system_deps.py,
says so). Playwright's own browser download is never used. When no browser can be found, every
browser test is skipped with a message saying what to install, and the summary says so in
capitals: a skip is never a pass.

The server runs from the project's environment on a free loopback port with a token, from a
temporary copy of the notebooks, with hermetic Jupyter directories, no autosave and no news; it is
stopped at the end of the session whatever happens. Lab is loaded once in one browser page; each
test opens its notebook there (with its own kernel) and closes it and shuts the kernel down after;
a failing test leaves a screenshot in test-artifacts/.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from harness import LabServer, ServerFailed, chromium, close_notebooks, lab_server, open_lab  # tests/browser/
from tools.system_deps import CHROMIUM_HINT as INSTALL_HINT, find_chromium
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK_DIRS = ("lectures", "solutions")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium executable, or skip (loudly: see pytest_terminal_summary)."""
    path = find_chromium()
    if path is None:
        pytest.skip(f"browser tests need a Chromium: none on PATH and MLP_BROWSER unset; {INSTALL_HINT}")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the session, driven by Playwright."""
    with chromium(chromium_path) as browser:
        yield browser


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> LabServer:
    """JupyterLab on a free loopback port with a token, serving a temporary copy of the notebooks."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "course"
    for folder in NOTEBOOK_DIRS:
        (root / folder).mkdir(parents=True)
        for notebook in (ROOT / folder).glob("*.ipynb"):
            shutil.copy2(notebook, root / folder / notebook.name)
    try:
        with lab_server(root, home) as server:
            yield server
    except ServerFailed as failure:
        pytest.fail(str(failure))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser_context(browser):
    """One browser context for the session, so that JupyterLab's scripts come from its cache."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def lab_page(browser_context, lab):
    """One JupyterLab page for the session: notebooks are opened in it one after another."""
    page = browser_context.new_page()
    open_lab(page, lab)
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def page(request, lab_page, lab):
    """The Lab page with no notebook open. After the test (on failure, once a screenshot is in
    test-artifacts/<test id>.png) its notebooks are closed and their kernels shut down; if that
    fails, Lab is loaded afresh so that the next test starts clean."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    screenshot = ARTIFACTS / f"{name}.png"
    screenshot.unlink(missing_ok=True)  # a stale one from an earlier run would mislead
    try:
        yield lab_page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                lab_page.screenshot(path=str(screenshot))
            except Exception as error:  # a screenshot must not hide the real failure
                print(f"could not save a screenshot: {error}")
        try:
            close_notebooks(lab_page)
        except Exception:
            open_lab(lab_page, lab)
        lab.shutdown_kernels()


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser tests need" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"BROWSER TESTS SKIPPED ({len(skipped)}): the notebooks were NOT tested in a browser; {INSTALL_HINT}",
            red=True, bold=True,
        )
