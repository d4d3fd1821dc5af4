"""mlp.exercises.submit, the student's side of the hub service: a no-op off a hub, the protocol against a
stand-in service (the real one: tests/hub/test_service_hub.py), messages a student reads alone."""
from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading

import pytest

from mlp.exercises import submit

NB = "01_linear_regression"


def test_off_a_hub_nothing_happens_and_nothing_heavy_is_imported(monkeypatch, tmp_path):
    code = ("import sys; import mlp.exercises.submit as s; s.offer(); "
            "print(s.available(), 'ipywidgets' in sys.modules)")
    env = {k: v for k, v in __import__("os").environ.items() if k not in (submit.URL, submit.TOKEN)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr
    monkeypatch.delenv(submit.URL, raising=False)
    assert submit.main([NB]) == 2


class StandIn(http.server.BaseHTTPRequestHandler):
    """The service's API as the client sees it: token checked, one submission, graded at the second look."""

    received: list = []
    looks = 0

    def log_message(self, *args) -> None:
        pass

    def answer(self, status: int, value) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self.headers.get("Authorization") != "token secret":
            return self.answer(403, {"error": "sign in through the hub"})
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if len(StandIn.received) >= 1:
            return self.answer(429, {"error": "you may submit 01_linear_regression once every 10 minutes: submit "
                                              "again in 9 min 58 s", "wait_seconds": 598})
        StandIn.received.append((self.path, body))
        self.answer(201, {"id": 7, "notebook": NB, "state": "queued", "ahead": 2})

    def do_GET(self) -> None:
        StandIn.looks += 1
        graded = StandIn.looks > 1
        self.answer(200, {"id": 7, "notebook": NB, "state": "done" if graded else "grading", "late": True,
                          "points": 4, "max_points": 7, "feedback": "/services/g/feedback/7/",
                          "marks": [{"exercise": "1.1", "points": 1, "max_points": 1, "status": "passed", "message": ""},
                                    {"exercise": "1.2", "points": 0, "max_points": 1, "status": "failed",
                                     "message": "<b>cost</b> is off"},
                                    {"exercise": "answer1_1", "points": 0, "max_points": 1, "status": "manual",
                                     "message": "graded by hand"}]})


@pytest.fixture
def service(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    StandIn.received, StandIn.looks = [], 0
    monkeypatch.setenv(submit.URL, f"http://127.0.0.1:{server.server_address[1]}/services/g/")
    monkeypatch.setenv(submit.TOKEN, "secret")
    monkeypatch.setattr(submit, "POLL_SECONDS", 0.01)
    yield
    server.shutdown()


def test_submit_sends_the_saved_notebook_with_the_hubs_token_and_waits(service, tmp_path, capsys):
    path = tmp_path / f"{NB}.ipynb"
    path.write_bytes(b'{"cells": []}')
    assert submit.main([str(path)]) == 0
    assert StandIn.received == [(f"/services/g/api/submit?notebook={NB}", b'{"cells": []}')]
    out = capsys.readouterr().out
    assert "01_linear_regression: 4 of 7 points (1 of them for written answers, graded by your teacher)" in out
    assert "marked late" in out and "✘ 1.2: failed: <b>cost</b> is off" in out and "feedback/7/" in out
    assert submit.main([str(path)]) == 1, "the rate limit's refusal is the student's message"
    assert "submit again in 9 min 58 s" in capsys.readouterr().err


def test_the_button_shows_the_verdict_escaped():
    shown = submit._html({"id": 7, "notebook": NB, "state": "done", "points": 0, "max_points": 1, "late": False,
                          "feedback": "/f/7/", "marks": [{"exercise": "1.1", "points": 0, "max_points": 1,
                                                          "status": "failed", "message": "<script>x</script>"}]})
    assert "<script>" not in shown and "&lt;script&gt;" in shown and 'href="/f/7/"' in shown


def test_only_a_notebook_of_the_course_under_its_own_name(tmp_path):
    for name in ("01_linear_regression-Copy1.ipynb", "notes.txt", "untitled.ipynb"):
        with pytest.raises(submit.SubmitError, match="under its own name"):
            submit.notebook_name(tmp_path / name)
    assert submit.notebook_name(tmp_path / f"{NB}.ipynb") == NB


def button_in_a_kernel(monkeypatch, path):
    """offer()'s widgets, as a notebook running `path` on the hub shows them: (button, status, saver)."""
    import IPython.display
    shown = []
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **_: shown.extend(objects))
    submit.offer()
    (box,) = shown
    return box.children


def wait_for(condition, seconds: float = 10.0) -> None:
    import time
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition()


def test_the_button_saves_the_notebook_in_the_page_before_it_sends_it(service, monkeypatch, tmp_path):
    path = tmp_path / f"{NB}.ipynb"
    path.write_bytes(b'{"cells": ["as last saved"]}')
    button, status, saver = button_in_a_kernel(monkeypatch, path)

    def page_saves() -> None:   # what SAVE_SCRIPT makes JupyterLab do: write the notebook as it is in the page
        wait_for(lambda: saver.outputs)
        assert saver.outputs[0]["data"]["application/javascript"] == submit.SAVE_SCRIPT
        path.write_bytes(b'{"cells": ["as in the page"]}')
    threading.Thread(target=page_saves, daemon=True).start()
    button.click()
    wait_for(lambda: "4 of 7 points" in status.value)
    assert StandIn.received[0][1] == b'{"cells": ["as in the page"]}'
    assert "could not be saved" not in status.value and not button.disabled and saver.outputs == ()


def test_where_nothing_saves_the_button_sends_the_file_and_says_to_save(service, monkeypatch, tmp_path):
    monkeypatch.setattr(submit, "SAVE_SECONDS", 0.2)
    path = tmp_path / f"{NB}.ipynb"
    path.write_bytes(b'{"cells": ["as last saved"]}')
    button, status, _ = button_in_a_kernel(monkeypatch, path)
    button.click()
    wait_for(lambda: "4 of 7 points" in status.value)
    assert StandIn.received[0][1] == b'{"cells": ["as last saved"]}'
    assert "could not be saved for you here, so press Ctrl+S before you submit" in status.value
