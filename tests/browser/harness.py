"""JupyterLab in headless Chromium without pytest: the server, the page, and the explorers' timings.

Used by the browser tests' fixtures (tests/browser/conftest.py) and by benchmarks/bench_explorers.py.

    with lab_server(root) as lab, chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        open_lab(page, lab)
        open_notebook(page, lab, "copy/03_activations.ipynb")
        run_all(page, n_cells)

The server runs from this Python's environment on a free loopback port with a token, serving `root`
(a temporary copy: Lab never writes into the project), with hermetic Jupyter directories, no
autosave and no news; it is stopped on exit whatever happens. Chromium is the system's
(`MLP_BROWSER` or the first of BROWSER_NAMES on PATH); Playwright's own browser download is never used.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tools.system_deps import CHROMIUM_ARGS, find_chromium  # one home for the browser's facts

VIEWPORT = {"width": 1400, "height": 1000}
LAB_SETTINGS = {  # user settings: no autosave, no news toast, every cell kept in the page
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\)\s*\|\s*Idle")


def free_port() -> int:
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
        """Stop every session's kernel, in the background (the server's end waits for it)."""
        for session in self.api("GET", "sessions"):
            thread = threading.Thread(target=self.api, args=("DELETE", f"sessions/{session['id']}"), daemon=True)
            thread.start()
            self.stopping.append(thread)


class ServerFailed(RuntimeError):
    pass


@contextlib.contextmanager
def lab_server(root: Path, home: Path | None = None, timeout: float = 90):
    """JupyterLab serving `root` on a free loopback port; yields a LabServer and stops it on exit."""
    with contextlib.ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlp-lab-")))
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
        port, token = free_port(), secrets.token_hex(16)
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=None", "--LabApp.extension_manager=readonly", "--allow-root",
        ]
        log_path = home / "server.log"
        log = stack.enter_context(open(log_path, "w"))
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        lab = LabServer(f"http://127.0.0.1:{port}", token, root)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if server.poll() is not None:
                    raise ServerFailed(f"JupyterLab exited with code {server.returncode}:\n{log_path.read_text()[-3000:]}")
                try:
                    lab.api("GET", "status")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise ServerFailed(f"JupyterLab did not answer within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
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


@contextlib.contextmanager
def chromium(path: str | None = None):
    """One headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    path = path or find_chromium()
    if path is None:
        raise RuntimeError("no Chromium found: install it (Debian: apt-get install chromium) or set MLP_BROWSER")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_lab(page, lab: LabServer) -> None:
    page.goto(f"{lab.base}/lab?reset&token={lab.token}")
    page.locator(".jp-DirListing-item").first.wait_for(timeout=90_000)


def open_notebook(page, lab: LabServer, path: str, timeout: float = 90) -> None:
    """Open `path` (relative to the server's root) with File > Open from Path and wait for its kernel."""
    lab.start_kernel(path)  # Lab connects to this kernel when it opens the notebook
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name="Open from Path…").click()
    page.locator(".jp-Dialog input").fill(path)
    page.locator(".jp-Dialog input").press("Enter")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)
    page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE).wait_for(timeout=timeout * 1000)


def click_run_all(page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def close_notebooks(page) -> None:
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


# --- timing pictures in the page ----------------------------------------------------------------

# Installed once per page: every explorer picture (img.mlp-explorer-figure) that finishes loading a new
# src is recorded with its time (performance.now(), ms) in window.__mlpFrames[i] (i = the explorer's
# index among .mlp-explorer in the page), and every trusted input event's time in window.__mlpInputs.
INSTALL_PROBE = """() => {
    if (window.__mlpProbe) return;
    window.__mlpProbe = true;
    window.__mlpFrames = {};
    window.__mlpInputs = [];
    const explorers = () => Array.from(document.querySelectorAll('.mlp-explorer'));
    const record = img => {
        const i = explorers().indexOf(img.closest('.mlp-explorer'));
        (window.__mlpFrames[i] = window.__mlpFrames[i] || []).push({t: performance.now(), src: img.src});
    };
    document.addEventListener('load', e => {
        if (e.target instanceof HTMLImageElement && e.target.classList.contains('mlp-explorer-figure')) record(e.target);
    }, true);
    for (const type of ['keydown', 'pointerup', 'change', 'click']) {
        document.addEventListener(type, e => window.__mlpInputs.push({t: performance.now(), type}), true);
    }
}"""
FRAMES = "i => (window.__mlpFrames[i] || []).map(f => f.t)"
NOW = "() => performance.now()"


def install_probe(page) -> None:
    page.evaluate(INSTALL_PROBE)


def frames(page, explorer_index: int) -> list[float]:
    """Load times (ms, performance.now()) of every picture explorer `explorer_index` showed since the probe."""
    return page.evaluate(FRAMES, explorer_index)


def now(page) -> float:
    return page.evaluate(NOW)


# --- a notebook with every explorer, made for the tests and the benchmark -------------------------

EXPLORER_CELLS = {  # the calls the course's notebooks make (keep them working)
    "ActivationExplorer": 'from mlp.explore.activations import ActivationExplorer\nActivationExplorer(activation="relu", width=8, layers=1)',
    "DescentExplorer": 'from mlp.explore.descent import DescentExplorer\nDescentExplorer(tau_times_lambda=1.9, num_steps=40, features="raw")',
    "BackpropExplorer": "from mlp.explore.backpropagation import BackpropExplorer\nBackpropExplorer()",
    "Playground": "from mlp.explore.playground import Playground\nPlayground()",
}


def write_explorer_notebook(path: Path, names=tuple(EXPLORER_CELLS)) -> Path:
    """A notebook that shows the explorers `names`, one per cell, in this order."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Every explorer (made by tests/browser/harness.py)")]
    nb.cells += [nbformat.v4.new_code_cell(EXPLORER_CELLS[name]) for name in names]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def run_explorer_notebook(page, lab: LabServer, path: str, count: int, timeout: float = 120) -> None:
    """Open the notebook at `path` (server-relative), Run All, and wait until `count` explorers show a picture."""
    open_notebook(page, lab, path)
    install_probe(page)
    click_run_all(page)
    figures = page.locator(".jp-NotebookPanel .mlp-explorer img.mlp-explorer-figure")
    figures.nth(count - 1).wait_for(timeout=timeout * 1000)
    page.wait_for_function("n => Array.from(document.querySelectorAll('.mlp-explorer img.mlp-explorer-figure'))"
                           ".filter(img => img.complete && img.naturalWidth > 0).length >= n", arg=count,
                           timeout=timeout * 1000)
    page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE).wait_for(timeout=timeout * 1000)


def control_name(control) -> str:
    return next(k for k in (control.get_attribute("class") or "").split() if k.startswith("mlp-control-"))


def move(control, backwards: bool = False):
    """Change a control's value as a student would (keyboard on a slider, another option of a dropdown,
    the other toggle button). Returns (what was done, a function that moves it back)."""
    handle = control.locator(".noUi-handle")
    if handle.count():
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        at_min = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemin")
        left = at_max or (backwards and not at_min)
        key, back = ("ArrowLeft", "ArrowRight") if left else ("ArrowRight", "ArrowLeft")
        handle.focus()
        handle.press(key)
        return f"slider {key}", lambda: (handle.focus(), handle.press(back))
    select = control.locator("select")
    if select.count():
        current = select.input_value()
        options = select.locator("option").evaluate_all("os => os.map(o => o.value)")
        other = options[(options.index(current) + (-1 if backwards else 1)) % len(options)]
        select.select_option(other)
        return f"dropdown option {other!r}", lambda: select.select_option(current)
    buttons = control.locator("button")
    if buttons.count():
        active = control.locator("button.mod-active").inner_text()
        other = control.locator("button:not(.mod-active)").first
        label = other.inner_text()
        other.click()
        return f"toggle {label!r}", lambda: buttons.get_by_text(active, exact=True).click()
    checkbox = control.locator("input[type=checkbox]")
    if checkbox.count():
        checkbox.click()
        return "checkbox click", checkbox.click
    raise AssertionError(f"no way to move the control with classes {control.get_attribute('class')!r}: "
                         "teach move() in tests/browser/harness.py about this kind of widget")


INPUTS = "() => window.__mlpInputs.length"
LAST_INPUT = "n => window.__mlpInputs.slice(n).map(e => e.t)"


def timed(page, explorer_index: int, act, timeout: float = 10.0, settle: float = 0.25):
    """Run `act()` (an input in the page), then wait for the explorer's next picture. Returns (what act
    returned, milliseconds from the first input event to the new picture loaded in the page, or None if
    none came within `timeout`). First waits until no picture has come for `settle` seconds, so that an
    earlier move's picture is not taken for this one's."""
    quiet(page, explorer_index, settle)
    inputs, seen = page.evaluate(INPUTS), len(frames(page, explorer_index))
    done = act()
    try:
        page.wait_for_function("([i, n]) => (window.__mlpFrames[i] || []).length > n", arg=[explorer_index, seen],
                               timeout=timeout * 1000, polling="raf")
    except Exception:
        return done, None
    events = page.evaluate(LAST_INPUT, inputs)
    return done, frames(page, explorer_index)[seen] - events[0]


def timed_move(page, explorer_index: int, control, backwards: bool = False, timeout: float = 10.0,
               settle: float = 0.25):
    """`move(control)` timed as `timed` does. Returns (what was done, milliseconds or None, the move back)."""
    (action, back), ms = timed(page, explorer_index, lambda: move(control, backwards), timeout, settle)
    return action, ms, back


def there_and_back(page, explorer_index: int, explorer, what: str, move, timeout: float = 10.0) -> list[str]:
    """Move a control with `move()` -> (what was done, milliseconds or None, the move back): a new picture
    must come within `timeout` and differ from the one before, and the move back must bring the first picture
    again. Returns the problems found, one line each, named by `what` (the explorer and the control)."""
    quiet(page, explorer_index, 0.3)
    shown = digest(explorer)
    action, ms, back = move()
    if ms is None:
        return [f"{what} ({action}): no new picture within {timeout:g} s"]
    problems = []
    quiet(page, explorer_index, 0.3)
    if digest(explorer) == shown:
        problems.append(f"{what} ({action}): the new picture is the same as before")
    timed(page, explorer_index, back, timeout=timeout)
    quiet(page, explorer_index, 0.5)
    if digest(explorer) != shown:
        problems.append(f"{what}: moved back after {action}, it does not show its first picture again")
    return problems


def quiet(page, explorer_index: int, seconds: float, longest: float = 30.0) -> None:
    """Wait until the explorer has shown no new picture for `seconds` (at most `longest` seconds in all)."""
    start = time.monotonic()
    while time.monotonic() - start < longest:
        shown = frames(page, explorer_index)
        last = shown[-1] if shown else -1e9
        if now(page) - last >= seconds * 1000:
            return
        time.sleep(0.05)


def settled(page, explorer_index: int, since: float, seconds: float, longest: float = 30.0) -> None:
    """Wait until the explorer has shown a picture after `since` (a performance.now() time) and then none
    for `seconds` (at most `longest` seconds in all)."""
    start = time.monotonic()
    while time.monotonic() - start < longest:
        shown = frames(page, explorer_index)
        if shown and shown[-1] > since and now(page) - shown[-1] >= seconds * 1000:
            return
        time.sleep(0.05)


FIGURE_DIGEST = """img => fetch(img.src).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))
    .then(d => Array.from(new Uint8Array(d), x => x.toString(16).padStart(2, '0')).join(''))"""


def digest(explorer) -> str:
    """SHA-256 of the picture the explorer shows now (comparable over time)."""
    return explorer.locator("img.mlp-explorer-figure").evaluate(FIGURE_DIGEST)


def status(explorer) -> str:
    return explorer.locator(".mlp-explorer-status").inner_text()
