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

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from system_deps import CHROMIUM_ARGS, CHROMIUM_HINT as INSTALL_HINT, find_chromium  # noqa: E402
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK_DIRS = ("lectures", "solutions")
LAB_SETTINGS = {  # user settings: no autosave, no news toast, every cell kept in the page
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


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
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A running JupyterLab at `base` (token auth); `api(method, path)` talks to its REST API."""

    def __init__(self, base: str, token: str, root: Path) -> None:
        self.base, self.token, self.root = base, token, root
        self.stopping: list[threading.Thread] = []

    def api(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def start_kernel(self, path: str) -> None:
        """Start the notebook's kernel now (Lab connects to it when it opens the notebook)."""
        self.api("POST", "sessions", {"path": path, "name": Path(path).name, "type": "notebook",
                                      "kernel": {"name": "python3"}})

    def shutdown_kernels(self) -> None:
        """Stop every session's kernel (one notebook at a time runs, so this is the last one's),
        in the background: the next notebook need not wait (the server's end waits for it)."""
        for session in self.api("GET", "sessions"):
            thread = threading.Thread(target=self.api, args=("DELETE", f"sessions/{session['id']}"), daemon=True)
            thread.start()
            self.stopping.append(thread)


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> LabServer:
    """JupyterLab on a free loopback port with a token, serving a temporary copy of the notebooks."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "course"
    for folder in NOTEBOOK_DIRS:
        (root / folder).mkdir(parents=True)
        for notebook in (ROOT / folder).glob("*.ipynb"):
            shutil.copy2(notebook, root / folder / notebook.name)
    for name, settings in LAB_SETTINGS.items():
        target = home / "settings" / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    env = dict(os.environ)
    for variable, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                             ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                             ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                             ("MPLCONFIGDIR", "matplotlib")]:
        env[variable] = str(home / folder)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.extension_manager=readonly", "--allow-root",
    ]
    log = open(home / "server.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        lab = LabServer(f"http://127.0.0.1:{port}", token, root)
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                lab.api("GET", "status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{(home / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield lab
        for thread in lab.stopping:
            thread.join(timeout=30)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


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


def _open_lab(page, lab: LabServer) -> None:
    page.goto(f"{lab.base}/lab?reset&token={lab.token}")
    page.locator(".jp-DirListing-item").first.wait_for(timeout=90_000)


def _close_notebooks(page) -> None:
    """Close every notebook tab, discarding changes (autosave is off, so nothing was saved)."""
    panels = page.locator(".jp-NotebookPanel")
    while panels.count():
        page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
        discard = page.locator(".jp-Dialog button", has_text="Discard")
        try:
            discard.wait_for(timeout=3_000)
            discard.click()
        except Exception:
            pass  # no unsaved changes, so no dialog
        panels.first.wait_for(state="detached", timeout=10_000)


@pytest.fixture(scope="session")
def lab_page(browser_context, lab):
    """One JupyterLab page for the session: notebooks are opened in it one after another."""
    page = browser_context.new_page()
    _open_lab(page, lab)
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
            _close_notebooks(lab_page)
        except Exception:
            _open_lab(lab_page, lab)
        lab.shutdown_kernels()


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser tests need" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"BROWSER TESTS SKIPPED ({len(skipped)}): the notebooks were NOT tested in a browser; {INSTALL_HINT}",
            red=True, bold=True,
        )
