"""The course-wide performance targets, measured: notebooks, explorers, `import mlp`, kernel memory.

    .venv/bin/python -m benchmarks.bench_course            # everything below
    .venv/bin/python -m benchmarks.bench_course --pytest   # also time the real notebook test command
    .venv/bin/python -m benchmarks.bench_course --only 01  # notebooks whose name contains "01"

For every notebook found by glob (solutions/NN_*.ipynb and lectures/NN_*.ipynb, whatever exists
when it runs), in a fresh kernel as the tests do (one kernel per notebook, started from this
Python, working directory the notebook's folder, lectures with their exercise stubs raising):

  seconds   kernel start + every cell, wall clock (target: <= 8 s each, <= 30 s for all)
  cpu s     CPU seconds the kernel process itself used, its start included (what the notebook costs
            when the machine is busy with other work: wall time then also holds the waiting)
  peak MB   the kernel's peak resident memory, VmHWM, read in a cell appended after the last one
            (target: <= 250 MB)

Then, in solution notebooks, every `mlp.explore.Explorer` alive in the kernel has each control
moved through a few values (sliders: min, middle, max; dropdowns and toggles: every option); the
largest `last_compute_seconds` is reported (target: <= 50 ms), next to the whole update with the
figure drawn. Finally `import mlp` is timed inside fresh interpreters, after `import numpy`
(target: <= 100 ms), and sys.modules is checked for matplotlib and ipywidgets.

On a shared machine wall-clock times also hold the waiting for other processes: the load average
is printed with them, and each target is judged on the wall clock and on CPU time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"notebook_s": 8.0, "total_s": 30.0, "peak_mb": 250.0, "compute_ms": 50.0, "import_ms": 100.0}

# Appended after a notebook's last cell: the kernel's peak memory and CPU time so far.
PEAK_CELL = """\
import json as _json, resource as _resource
with open("/proc/self/status") as _status:
    _hwm = [int(line.split()[1]) for line in _status if line.startswith("VmHWM")][0]
_usage = _resource.getrusage(_resource.RUSAGE_SELF)
print("BENCH " + _json.dumps({"peak_mb": _hwm / 1024, "cpu_s": _usage.ru_utime + _usage.ru_stime}))
"""

# Appended to solution notebooks: move every control of every live Explorer and time the updates.
EXPLORER_CELL = """\
import gc as _gc, json as _json, time as _time
from mlp.explore import Explorer as _Explorer

def _values(control):
    options = getattr(control, "options", None)
    if options:
        return [o[1] if isinstance(o, tuple) else o for o in options]
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    if hasattr(control, "min") and hasattr(control, "max") and not isinstance(control.value, tuple):
        low, high = control.min, control.max
        if hasattr(control, "base"):  # FloatLogSlider: min and max are exponents
            low, high = control.base ** low, control.base ** high
        middle = (low + high) / 2
        if isinstance(control.value, int):
            middle = int(middle)
        return [low, middle, high, control.value]
    return []

_report, _errors = [], []
for _explorer in [o for o in _gc.get_objects() if isinstance(o, _Explorer)]:
    _computes, _updates, _renders = [], [], []
    for _name, _control in _explorer.controls.items():
        _start_value = _control.value
        for _value in _values(_control):
            if _value == _control.value:
                continue
            _start = _time.perf_counter()
            try:
                _control.value = _value          # the observer runs update(): compute, then draw
            except Exception as _error:
                _errors.append(f"{type(_explorer).__name__}.{_name}={_value!r}: {type(_error).__name__}: {_error}")
                continue
            _updates.append(_time.perf_counter() - _start)
            _computes.append(_explorer.last_compute_seconds)
            _renders.append(getattr(_explorer, "last_render_seconds", 0.0))
        _control.value = _start_value
    if _computes:
        _report.append({"explorer": type(_explorer).__name__, "updates": len(_computes),
                        "max_compute_ms": 1e3 * max(_computes), "median_compute_ms": 1e3 * sorted(_computes)[len(_computes) // 2],
                        "max_update_ms": 1e3 * max(_updates), "median_update_ms": 1e3 * sorted(_updates)[len(_updates) // 2],
                        "median_render_ms": 1e3 * sorted(_renders)[len(_renders) // 2]})
print("BENCH " + _json.dumps({"explorers": _report, "explorer_errors": _errors}))
"""


def notebooks(only: str | None) -> list[Path]:
    found = sorted(ROOT.glob("solutions/[0-9][0-9]_*.ipynb")) + sorted(ROOT.glob("lectures/[0-9][0-9]_*.ipynb"))
    return [p for p in found if only is None or only in p.name]


def bench_lines(cell) -> dict:
    """The JSON printed after "BENCH " by an appended cell."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            raise RuntimeError(f"benchmark cell failed: {output['ename']}: {output['evalue']}")
        for line in output.get("text", "").splitlines():
            if line.startswith("BENCH "):
                return json.loads(line[len("BENCH "):])
    raise RuntimeError("benchmark cell printed nothing")


def run_notebook(path: Path, probe_explorers: bool) -> dict:
    """Execute one notebook in a fresh kernel; time it, then read peak memory and explorer timings."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # the kernel's own log lines, not cell output
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        errors = [i for i, c in enumerate(nb.cells)
                  if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
        extra = [PEAK_CELL] + ([EXPLORER_CELL] if probe_explorers else [])
        results = {}
        for source in extra:
            cell = nbformat.v4.new_code_cell(source)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            results.update(bench_lines(cell))
    return {"notebook": f"{path.parent.name}/{path.name}", "seconds": seconds, "error_cells": errors, **results}


IMPORT_PROBE = """\
import time, numpy
wall, cpu = time.perf_counter(), time.thread_time()
import mlp
print(1e3 * (time.perf_counter() - wall), 1e3 * (time.thread_time() - cpu))
"""


def import_overhead(repeats: int = 9) -> dict:
    """Milliseconds of `import mlp` after `import numpy`, timed inside fresh interpreters (medians).

    wall: elapsed time; cpu: the importing thread's own CPU time (blind to other processes, and to
    OpenBLAS's threads, which numpy starts and which spin for a while).
    """
    walls, cpus = [], []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", IMPORT_PROBE], check=True, cwd=ROOT, capture_output=True, text=True)
        wall, cpu = map(float, done.stdout.split())
        walls.append(wall)
        cpus.append(cpu)
    check = subprocess.run(
        [sys.executable, "-c", "import sys, mlp; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"],
        check=True, cwd=ROOT, capture_output=True, text=True)
    return {"extra_wall_ms": statistics.median(walls), "extra_cpu_ms": statistics.median(cpus),
            "heavy_modules_loaded": check.stdout.strip()}


def pytest_time(paths: list[Path]) -> tuple[float, float, str]:
    """Wall and CPU seconds (pytest and its kernels) of the notebook tests as the suite runs them."""
    import resource

    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return wall, cpu, last


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="only notebooks whose file name contains this text")
    parser.add_argument("--pytest", action="store_true", help="also time `pytest -q solutions lectures` (nbval)")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = parser.parse_args()
    from tools.blas_env import pin_blas
    pin_blas()  # the kernels run with the BLAS settings of the tests (one thread, the same kernels)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average before: "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    paths = notebooks(args.only)
    rows = []
    print(f"\n{'notebook':<38}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}  notes")
    for path in paths:
        row = run_notebook(path, probe_explorers=path.parent.name == "solutions")
        rows.append(row)
        notes = f"{len(row['error_cells'])} cells raised" if row["error_cells"] else ""
        print(f"{row['notebook']:<38}{row['seconds']:9.2f}{row['cpu_s']:8.2f}{row['peak_mb']:9.0f}  {notes}", flush=True)
    explorers = [dict(e, notebook=r["notebook"]) for r in rows for e in r.get("explorers", [])]
    for r in rows:
        for error in r.get("explorer_errors", []):
            print(f"  explorer update raised in {r['notebook']}: {error}")
    if explorers:
        print(f"\n{'explorer':<28}{'notebook':<38}{'updates':>8}{'max compute ms':>16}{'median':>8}{'max update ms':>15}"
              f"{'median':>8}{'median draw ms':>16}")
        for e in explorers:
            print(f"{e['explorer']:<28}{e['notebook']:<38}{e['updates']:8d}{e['max_compute_ms']:16.1f}"
                  f"{e['median_compute_ms']:8.1f}{e['max_update_ms']:15.0f}{e.get('median_update_ms', 0):8.0f}"
                  f"{e.get('median_render_ms', 0):16.1f}")
        print("  (in the kernel; the time to the picture in a browser: python -m benchmarks.bench_explorers)")
    imports = import_overhead()
    print(f"\nimport mlp after import numpy: {imports['extra_wall_ms']:.0f} ms wall, {imports['extra_cpu_ms']:.0f} ms cpu "
          f"(medians of 9 fresh interpreters); matplotlib/ipywidgets loaded by `import mlp`: "
          f"{imports['heavy_modules_loaded']}")

    print("\ntargets (wall clock, and the CPU time that is left when waiting for other processes is taken out)")
    if rows:
        total = sum(r["seconds"] for r in rows)
        total_cpu = sum(r["cpu_s"] for r in rows)
        slowest = max(rows, key=lambda r: r["seconds"])
        slowest_cpu = max(rows, key=lambda r: r["cpu_s"])
        heaviest = max(rows, key=lambda r: r["peak_mb"])
        limit = TARGETS["total_s"]
        print(f"  all {len(rows)} notebooks (<= {limit:.0f} s): {total:.1f} s wall {verdict(total <= limit)}, "
              f"{total_cpu:.1f} s cpu {verdict(total_cpu <= limit)}")
        limit = TARGETS["notebook_s"]
        print(f"  slowest notebook (<= {limit:.0f} s): {slowest['notebook']} {slowest['seconds']:.1f} s wall "
              f"{verdict(slowest['seconds'] <= limit)}; {slowest_cpu['notebook']} {slowest_cpu['cpu_s']:.1f} s cpu "
              f"{verdict(slowest_cpu['cpu_s'] <= limit)}")
        print(f"  largest kernel peak memory (<= {TARGETS['peak_mb']:.0f} MB): {heaviest['notebook']} "
              f"{heaviest['peak_mb']:.0f} MB {verdict(heaviest['peak_mb'] <= TARGETS['peak_mb'])}")
        solution_errors = [r["notebook"] for r in rows if r["notebook"].startswith("solutions") and r["error_cells"]]
        if solution_errors:
            print(f"  solutions with errors (their times are not representative): {', '.join(solution_errors)}")
    else:
        print("  no notebooks found")
    if explorers:
        worst = max(explorers, key=lambda e: e["max_compute_ms"])
        print(f"  slowest explorer compute (<= {TARGETS['compute_ms']:.0f} ms): {worst['explorer']} "
              f"{worst['max_compute_ms']:.1f} ms {verdict(worst['max_compute_ms'] <= TARGETS['compute_ms'])}")
    else:
        print("  no explorers found in the solution notebooks")
    limit, clean = TARGETS["import_ms"], imports["heavy_modules_loaded"] == "[]"
    print(f"  import mlp on top of numpy (<= {limit:.0f} ms, no matplotlib/ipywidgets): "
          f"{imports['extra_wall_ms']:.0f} ms wall {verdict(imports['extra_wall_ms'] <= limit and clean)}, "
          f"{imports['extra_cpu_ms']:.0f} ms cpu {verdict(imports['extra_cpu_ms'] <= limit and clean)}")
    summary = {"notebooks": rows, "explorers": explorers, "import": imports}
    if args.pytest and paths:
        wall, cpu, last = pytest_time(paths)
        summary["pytest"] = {"wall_s": wall, "cpu_s": cpu, "said": last}
        print(f"  pytest -q on these {len(paths)} notebooks (<= {TARGETS['total_s']:.0f} s): {wall:.1f} s wall "
              f"{verdict(wall <= TARGETS['total_s'])}, {cpu:.1f} s cpu (pytest and its kernels) "
              f"{verdict(cpu <= TARGETS['total_s'])}; pytest said: {last}")
    print(f"load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
