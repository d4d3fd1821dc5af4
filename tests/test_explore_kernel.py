"""Explorers in a real ipykernel, driven as JupyterLab 4.6 drives them: widget messages over a kernel subshell.

ipykernel 7 runs a control's callback on the thread of the subshell that last spoke on it, beside the
main thread that runs cells and Play. Two explorers live at once (one training on the main thread, the
other's controls moved from the subshell) once drew at the same time on two threads, and FreeType failed
inside matplotlib (FT_Render_Glyph: raster overflow). Here every picture must be drawn on the main thread,
one at a time, and the pictures must end on the last values sent.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
from jupyter_client.manager import start_new_kernel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import threading
from mlp.explore import FigureView
from mlp.explore.activations import ActivationExplorer
from mlp.explore.playground import Playground

drawing = {"inside": 0, "most": 0, "threads": set(), "draws": 0}
_draw = FigureView.draw
def _counted(self):
    drawing["inside"] += 1
    drawing["most"] = max(drawing["most"], drawing["inside"])
    drawing["threads"].add(threading.current_thread().name)
    drawing["draws"] += 1
    try:
        _draw(self)
    finally:
        drawing["inside"] -= 1
FigureView.draw = _counted
activations = ActivationExplorer(width=8, fit="gradient descent")   # trains live on the main thread
playground = Playground(dataset="sine", layers=1, width=8)
ids = {"activation": {n: c.model_id for n, c in activations.controls.items()},
       "playground": {n: c.model_id for n, c in playground.controls.items()},
       "play": playground.buttons["play"].model_id, "pause": playground.buttons["pause"].model_id}
print(json.dumps(ids))
"""


class Kernel:
    def __init__(self, manager, client) -> None:
        self.manager, self.client = manager, client
        client.control_channel.send(client.session.msg("create_subshell_request", {}))
        self.subshell = client.control_channel.get_msg(timeout=60)["content"]["subshell_id"]

    def run(self, code: str, timeout: float = 120) -> str:
        """Run a cell on the main shell; its printed output (an error fails the test with its traceback)."""
        msg_id = self.client.execute(code)
        out = []
        while True:
            msg = self.client.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                pytest.fail("the cell raised:\n" + "\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)

    def send(self, comm_id: str, data: dict, timeout: float = 60) -> None:
        """A widget message from the front end, over the subshell as JupyterLab 4.6 sends it; returns once the
        kernel is done with it (a widget's front end sends its next change only then)."""
        msg = self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        msg["header"]["subshell_id"] = self.subshell
        self.client.shell_channel.send(msg)
        while True:
            reply = self.client.get_iopub_msg(timeout=timeout)
            if (reply["parent_header"].get("msg_id") == msg["header"]["msg_id"] and reply["msg_type"] == "status"
                    and reply["content"]["execution_state"] == "idle"):
                return

    def move(self, comm_id: str, value, trait: str = "value") -> None:
        """Set a control's value (trait "index" for a selection: the position of the option)."""
        self.send(comm_id, {"method": "update", "state": {trait: value}, "buffer_paths": []})

    def click(self, comm_id: str) -> None:
        self.send(comm_id, {"method": "custom", "content": {"event": "click"}})


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    try:
        yield Kernel(manager, client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_two_live_explorers_draw_one_at_a_time_on_the_main_thread(kernel):
    ids = json.loads(kernel.run("import json\n" + SETUP).strip().splitlines()[-1])
    layers, width = ids["playground"]["layers"], ids["playground"]["width"]
    act_width, act_layers = ids["activation"]["width"], ids["activation"]["layers"]
    kernel.move(layers, 2)  # the first move answers on the subshell: the next ones are routed there
    time.sleep(1.0)
    kernel.click(ids["play"])
    for i in range(60):  # the playground plays, the activation explorer trains, controls of both move
        kernel.move(layers if i % 2 else width, 1 + i % 4)
        if i % 2:
            kernel.move(act_width, 1 + i % 3, trait="index")   # widths 2, 4, 8
        else:
            kernel.move(act_layers, 1 + i % 3)
        time.sleep(0.02)
    kernel.move(layers, 3)
    kernel.move(width, 5)
    kernel.move(act_width, 4, trait="index")  # width 16
    kernel.move(act_layers, 2)
    kernel.click(ids["pause"])
    time.sleep(1.0)
    state = json.loads(kernel.run(
        "import asyncio\nwhile activations.player.running:\n    await asyncio.sleep(0.05)\n"
        "print(json.dumps({'most': drawing['most'], 'threads': sorted(drawing['threads']), 'draws': drawing['draws'],"
        " 'playground': [playground.run.sizes, playground.player.running, 'nan' in playground.status.value],"
        " 'activation': [activations.values()['width'], activations.values()['layers'], activations.result['width'],"
        " activations.result['layers']]}))").strip().splitlines()[-1])
    assert state["draws"] > 20
    assert state["threads"] == ["MainThread"], f"explorers drew on {state['threads']}: matplotlib is not thread-safe"
    assert state["most"] == 1, "two pictures were drawn at the same time"
    assert state["playground"] == [[1, 5, 5, 5, 1], False, False]  # paused, and no unwritten E(θ(k)) shown
    assert state["activation"] == [16, 2, 16, 2]
