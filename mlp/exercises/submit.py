"""Submitting a notebook to the course's grader on a JupyterHub (the hub service of tools/hub_service).

On a hub whose admin runs the service, every student's server has JUPYTERHUB_API_TOKEN (the hub's
proof of who the student is) and MLP_GRADER_URL (the service's address); elsewhere this module does
nothing. The mark is the service's: it grades the notebook as saved on disk, in its own sandbox; nothing
computed in the student's kernel counts. The button saves the notebook first (in JupyterLab and Notebook 7:
a script presses the notebook's own Save button) and says so when it could not.

    offer()                                      the scoreboard's Submit button (nothing off a hub)
    python3 course.py submit 01_linear_regression   in a terminal: submit, wait, print the verdicts

Standard library only at import time; ipywidgets is imported when the button is shown.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mlp.exercises.contract import NOTEBOOK_NAME

URL, TOKEN = "MLP_GRADER_URL", "JUPYTERHUB_API_TOKEN"
WAIT_SECONDS = 300.0     # how long the button and the command wait for the verdict
POLL_SECONDS = 1.0
SAVE_SECONDS = 5.0       # how long the button waits for JupyterLab to save the notebook
# Runs in the page (JupyterLab's JavaScript renderer, in the button's hidden output): once the output is in the
# page, press the Save button of the notebook it is in, or, without one, send that notebook Ctrl+S (Cmd+S).
SAVE_SCRIPT = """
const here = element.closest ? element : element[0];
setTimeout(() => {
  const panel = here.closest(".jp-NotebookPanel");
  const save = panel && panel.querySelector('.jp-NotebookPanel-toolbar [data-jp-item-name="save"] jp-button, '
                                           + '.jp-NotebookPanel-toolbar [data-jp-item-name="save"] button');
  if (save) { save.click(); return; }
  const mac = /Mac/.test(navigator.platform);
  (panel || document.body).dispatchEvent(new KeyboardEvent("keydown", {key: "s", code: "KeyS", keyCode: 83,
    ctrlKey: !mac, metaKey: mac, bubbles: true, cancelable: true}));
}, 0);
"""


class SubmitError(Exception):
    """Submitting failed; the message says why and what to do, in one sentence for the student."""


def available() -> bool:
    """On a hub with the grader service: its address and the hub's token are in the environment."""
    return bool(os.environ.get(URL) and os.environ.get(TOKEN))


def _call(method: str, path: str, body: bytes | None = None) -> dict:
    base = os.environ[URL].rstrip("/") + "/"
    request = urllib.request.Request(base + path, data=body, method=method,
                                     headers={"Authorization": f"token {os.environ[TOKEN]}",
                                              "Content-Type": "application/x-ipynb+json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = {}
        raise SubmitError(answer.get("error") or f"the grader answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SubmitError(f"the grader cannot be reached ({getattr(error, 'reason', error)}): try again in a minute, "
                          "or tell your teacher") from None


def notebook_name(path: Path) -> str:
    if path.suffix != ".ipynb" or not NOTEBOOK_NAME.match(path.stem):
        raise SubmitError(f"{path.name} is not a notebook of the course: submit it under its own name, "
                          "e.g. 01_linear_regression.ipynb")
    return path.stem


def send(path: Path) -> dict:
    """Submit the notebook saved at `path`; the service's answer (id, state, ahead, ...)."""
    path = Path(path)
    name = notebook_name(path)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise SubmitError(f"cannot read {path}: {error.strerror}") from None
    return _call("POST", f"api/submit?notebook={urllib.parse.quote(name)}", content)


def wait(submission: dict, seconds: float = WAIT_SECONDS, progress=None) -> dict:
    """Poll until the submission is graded (or failed); its last state if that takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while submission["state"] in ("queued", "grading") and time.monotonic() < deadline:
        if progress:
            progress(submission)
        time.sleep(POLL_SECONDS)
        submission = _call("GET", f"api/submissions/{submission['id']}")
    return submission


def verdict_lines(submission: dict) -> list[str]:
    """The verdicts as text: points, then one line per exercise."""
    if submission["state"] in ("queued", "grading"):
        return [f"submission {submission['id']} is still {submission['state']}: its verdict will be on the grader's page"]
    by_hand = sum(m["max_points"] for m in submission["marks"] if m["status"] == "manual")
    lines = [f"{submission['notebook']}: {submission['points']:g} of {submission['max_points']:g} points"
             + (f" ({by_hand:g} of them for written answers, graded by your teacher)" if by_hand else "")
             + (" (submitted after the deadline: marked late)" if submission.get("late") else "")]
    marks = {"passed": "✔", "manual": "✍", "not attempted": "·", "review": "⚑"}
    lines += [f"  {marks.get(m['status'], '✘')} {m['exercise']}: {m['status']}" + (f": {m['message']}" if m["message"] else "")
              for m in submission["marks"]]
    return lines


def waiting_text(submission: dict) -> str:
    ahead = submission.get("ahead")
    return (f"submission {submission['id']} is {submission['state']}"
            + (f" ({ahead} ahead of it)" if ahead else "") + " …")


def main(argv: list[str]) -> int:
    """python3 course.py submit NOTEBOOK: submit a saved notebook, wait for the grader, print its verdicts."""
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print("usage: python3 course.py submit NOTEBOOK   (e.g. lectures/01_linear_regression.ipynb or "
              "01_linear_regression: the notebook as saved)")
        return 2
    if not available():
        print(f"submit works on the course's JupyterHub only ({URL} and {TOKEN} are not set here): hand in "
              "your notebook as your teacher says", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.suffix:
        path = next((p for p in (Path(f"{argv[0]}.ipynb"), Path("lectures") / f"{argv[0]}.ipynb") if p.exists()),
                    Path(f"{argv[0]}.ipynb"))
    try:
        submission = send(path)
        saved = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%H:%M:%S")
        print(f"submitted {path} (as saved at {saved}): submission {submission['id']}", flush=True)
        submission = wait(submission, progress=lambda s: None)
    except SubmitError as error:
        print(f"not submitted: {error}", file=sys.stderr)
        return 1
    print("\n".join(verdict_lines(submission)))
    if submission.get("feedback"):
        print(f"feedback page: {os.environ[URL].rstrip('/')}/feedback/{submission['id']}/")
    return 0


# --- the button under the scoreboard ------------------------------------------------------------------

def _path_of_notebook() -> Path | None:
    """The notebook this kernel runs (Jupyter Server tells the kernel in JPY_SESSION_NAME)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    return Path(name) if name.endswith(".ipynb") else None


def _html(submission: dict) -> str:
    lines = verdict_lines(submission)
    body = "<br>".join(html.escape(line) for line in lines)
    if submission.get("feedback"):
        body += (f'<br><a href="{html.escape(submission["feedback"])}" target="_blank" rel="noopener" '
                 'style="text-decoration: underline">the feedback page</a>')
    return f'<div class="mlp-verdict">{body}</div>'


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def saved_since(path: Path, before: int | None, seconds: float) -> bool:
    """Wait until the file at `path` is written again (its modification time is no longer `before`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _modified(path) not in (before, None):
            return True
        time.sleep(0.05)
    return False


def offer() -> None:
    """Show a Submit button (under the scoreboard) when the notebook runs on a hub with the grader; else nothing."""
    path = _path_of_notebook()
    if not available() or path is None:
        return
    import ipywidgets as widgets
    from IPython.display import Javascript, display

    button = widgets.Button(description="Submit to the grader", icon="upload", button_style="primary",
                            tooltip="Saves the notebook, then sends it to the grader",
                            layout=widgets.Layout(width="auto"))
    button.add_class("mlp-submit")
    status = widgets.HTML(value=f"Submit saves {html.escape(path.name)} and sends it to the grader, which marks it "
                                "as saved.")
    status.add_class("mlp-submit-status")
    saver = widgets.Output(layout=widgets.Layout(display="none"))   # where the page runs SAVE_SCRIPT

    def run(before: int | None) -> None:
        try:
            unsaved = ""
            saved_now = saved_since(path, before, SAVE_SECONDS)
            saver.outputs = ()   # the script ran (or never will): it is not kept with the widgets' state
            if not saved_now:
                saved = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%H:%M:%S") if path.exists() else "?"
                unsaved = (f"Submitted as last saved at {saved}: the notebook could not be saved for you here, so "
                           "press Ctrl+S before you submit.")
            submission = send(path)
            status.value = html.escape(f"{unsaved or 'Saved and submitted.'} {waiting_text(submission)}")
            submission = wait(submission, progress=lambda s: setattr(status, "value", html.escape(waiting_text(s))))
            status.value = _html(submission) + (f"<br>{html.escape(unsaved)}" if unsaved else "")
        except SubmitError as error:
            status.value = f'<span class="mlp-submit-error">Not submitted: {html.escape(str(error))}</span>'
        finally:
            button.disabled = False

    def clicked(_button) -> None:
        button.disabled = True
        status.value = f"saving {html.escape(path.name)} …"
        before = _modified(path)
        saver.outputs = ()
        saver.append_display_data(Javascript(SAVE_SCRIPT))
        threading.Thread(target=run, args=(before,), daemon=True, name="mlp-submit").start()  # the kernel stays free

    button.on_click(clicked)
    display(widgets.VBox([button, status, saver]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
