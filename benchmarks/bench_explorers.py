"""How fast the explorers answer in a real browser: JupyterLab in headless Chromium, as a student uses them.

    .venv/bin/python -m benchmarks.bench_explorers                 # every explorer and the playground
    .venv/bin/python -m benchmarks.bench_explorers --moves 4 --seconds 5 --json out.json

A temporary notebook shows every explorer (the calls the course's notebooks make) and three
playgrounds of growing cost; JupyterLab serves it on loopback (tests/browser/harness.py, Chromium from
the system, never Playwright's download). Then:

  picture latency  for every control of every explorer, `--moves` moves (keyboard on a slider,
                   another option of a dropdown, the other toggle button), each after the explorer
                   has been quiet for a while: milliseconds from the input event in the page to the
                   explorer's next picture loaded in the page (an <img> load event), median and max
                   per explorer (target: median <= 100 ms)
  playground fps   Play for `--seconds` seconds: pictures loaded in the page per second (target >= 20),
                   the steps per picture the playground chose, and the time from the Pause click to
                   the last picture

The kernels get one BLAS thread (tools/blas_env.pin_blas, as the course's tests and hubs run them;
`--blas-threads-free` leaves OpenBLAS its default): with several threads on a busy 2-core machine,
OpenBLAS's threads wait for each other and one matrix product of the playground's heat map took
16 ms instead of 0.05 ms.

On a shared machine the times also hold the waiting for other processes: the load average is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.browser import harness

ROOT = Path(__file__).resolve().parent.parent

PLAYGROUNDS = {  # label -> Playground(...) arguments: cheap, medium and dear steps
    "sine, 1 x 8 tanh (80 training samples)": "dataset='sine', layers=1, width=8",
    "xor, 2 x 8 tanh (240 training samples)": "dataset='xor', layers=2, width=8",
    "wine, 4 x 16 tanh (1,279 training samples)": "dataset='wine', layers=4, width=16",
    "concrete, 2 x 16 tanh, batches of 32 (824 training samples)": "dataset='concrete', layers=2, width=16, batch_size=32",
}
TARGETS = {"median_ms": 100.0, "fps": 20.0}


def write_notebook(path: Path) -> list[str]:
    """The benchmark's notebook: every explorer, then the playgrounds. Returns the explorers' labels in order."""
    harness.write_explorer_notebook(path, names=[n for n in harness.EXPLORER_CELLS if n != "Playground"])
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(harness.EXPLORER_CELLS["Playground"]))
    for arguments in PLAYGROUNDS.values():
        nb.cells.append(nbformat.v4.new_code_cell(f"Playground({arguments})"))
    nbformat.write(nb, path)
    return [n for n in harness.EXPLORER_CELLS if n != "Playground"] + ["Playground"] + list(PLAYGROUNDS)


def latencies(page, index: int, moves: int) -> dict:
    explorer = page.locator(".jp-NotebookPanel .mlp-explorer").nth(index)
    controls = explorer.locator("[class*='mlp-control-']")
    per_control, missing = {}, []
    for c in range(controls.count()):
        control = controls.nth(c)
        name = harness.control_name(control).removeprefix("mlp-control-")
        times = []
        for m in range(moves):
            action, ms, _ = harness.timed_move(page, index, control, backwards=m % 2 == 1)
            if ms is None:
                missing.append(f"{name} ({action})")
            else:
                times.append(ms)
        per_control[name] = times
    every = [t for times in per_control.values() for t in times]
    return {"moves": len(every), "median_ms": statistics.median(every) if every else None,
            "max_ms": max(every) if every else None, "no_picture": missing,
            "per_control_median_ms": {k: statistics.median(v) for k, v in per_control.items() if v}}


def play(page, index: int, seconds: float) -> dict:
    explorer = page.locator(".jp-NotebookPanel .mlp-explorer").nth(index)
    harness.quiet(page, index, 0.3)
    explorer.locator(".mlp-button-reset").click()
    harness.quiet(page, index, 0.3)
    explorer.locator(".mlp-button-play").click()
    time.sleep(1.0)  # the first pictures measure the step cost
    start = harness.now(page)
    time.sleep(seconds)
    end = harness.now(page)
    text = harness.status(explorer)
    explorer.locator(".mlp-button-pause").click()
    paused = harness.now(page)
    time.sleep(1.0)
    shown = harness.frames(page, index)
    during = [t for t in shown if start < t <= end]
    after = [t for t in shown if t > paused]
    k_paused = harness.status(explorer)
    time.sleep(0.5)
    steps = re.search(r"(\d+) steps per picture", text)
    return {"fps": len(during) / ((end - start) / 1000), "steps_per_picture": int(steps.group(1)) if steps else None,
            "pictures_after_pause": len(after), "pause_to_last_picture_ms": (after[-1] - paused) if after else 0.0,
            "stopped": harness.status(explorer) == k_paused, "status": text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=6, help="moves per control (default 6)")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of Play per playground (default 8)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--blas-threads-free", action="store_true", help="do not pin OpenBLAS to one thread")
    parser.add_argument("--skip-latency", action="store_true", help="only the playground's pictures per second")
    args = parser.parse_args()
    if not args.blas_threads_free:
        from tools.blas_env import pin_blas

        pin_blas()
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}", flush=True)

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mlp-bench-") as tmp:
        root = Path(tmp) / "root"
        labels = write_notebook(root / "explorers.ipynb")
        started = time.monotonic()
        with harness.lab_server(root, home=Path(tmp) / "home") as lab, harness.chromium() as browser:
            page = browser.new_page(viewport=harness.VIEWPORT)
            harness.open_lab(page, lab)
            harness.run_explorer_notebook(page, lab, "explorers.ipynb", len(labels))
            print(f"JupyterLab up, notebook run: {time.monotonic() - started:.1f} s", flush=True)
            report = {"explorers": {}, "playground": {}}
            for index, label in enumerate(labels[:4] if not args.skip_latency else []):
                report["explorers"][label] = row = latencies(page, index, args.moves)
                print(f"{label:<22} {row['moves']:4d} moves  median {row['median_ms']:6.1f} ms  max {row['max_ms']:7.1f} ms"
                      f"  by control (median ms): {', '.join(f'{k} {v:.0f}' for k, v in row['per_control_median_ms'].items())}"
                      + (f"  NO PICTURE after: {row['no_picture']}" if row["no_picture"] else ""), flush=True)
            for index, label in enumerate(labels[4:], start=4):
                report["playground"][label] = row = play(page, index, args.seconds)
                print(f"Playground {label:<36} {row['fps']:5.1f} pictures/s  {row['steps_per_picture']} steps/picture"
                      f"  Pause -> last picture {row['pause_to_last_picture_ms']:.0f} ms"
                      f"  {'stopped' if row['stopped'] else 'DID NOT STOP'}", flush=True)
    report["load_average"] = {"before": load_before, "after": os.getloadavg()}
    report["openblas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"\nload average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores)")
    slow = [k for k, v in report["explorers"].items() if v["median_ms"] is None or v["median_ms"] > TARGETS["median_ms"]]
    few = [k for k, v in report["playground"].items() if v["fps"] < TARGETS["fps"]]
    print(f"targets: median latency <= {TARGETS['median_ms']:.0f} ms: {'met' if not slow else 'MISSED by ' + ', '.join(slow)}; "
          f"playground >= {TARGETS['fps']:.0f} pictures/s: {'met' if not few else 'MISSED by ' + ', '.join(few)}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if not slow and not few else 1


if __name__ == "__main__":
    sys.exit(main())
