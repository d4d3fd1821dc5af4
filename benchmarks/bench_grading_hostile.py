"""The grader's own cost for the worst submissions of issue 19: peak memory of its process, and time.

    .venv/bin/python -m benchmarks.bench_grading_hostile [CASE ...]     (from the repository root)

Each case runs in a fresh Python process that grades one submission of notebook 01 as
`course.py grade` does (sandbox, feedback page), and reports that process's peak resident memory
(getrusage(RUSAGE_SELF).ru_maxrss: the grader itself, not its workers or page renderers, which have
limits of their own; "before" is the process with the grader imported, before grading; the case is written
by another process)
and the wall-clock time. "honest" is a right submission, for comparison.
"forged" is a worker that answers with 66 MB of empty lists (22 million), as a patched codec in the
kernel could: it cannot be submitted any more (review), so a forging worker stands in for it.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from tests import grading_corpus as corpus

FORGER = """import sys
sys.stdin.readline()
sys.stdout.write('{"ready": true}\\n'); sys.stdout.flush()
while sys.stdin.readline():
    sys.stdout.write('{"answer": [' + '[],' * 22_000_000 + '[]]}\\n'); sys.stdout.flush()
"""


def _weird() -> dict:
    return json.loads(corpus.crafted("weird_cells"))


CASES = {  # made only in the process that grades them (the 16 MB case would otherwise count in every peak)
    "honest": lambda: corpus.submission(corpus.ALL_RIGHT, corpus._answer_question),
    "huge_list": lambda: corpus.submission({**corpus.ALL_RIGHT, "solve_normal_equations": corpus.HUGE_LIST}),
    "brackets_200KB_one_cell": lambda: json.dumps({**_weird(), "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "[" * 100_000 + "]" * 100_000}, *_weird()["cells"]]}),
    "brackets_80KB_in_8_cells": lambda: corpus.crafted("brackets"),
    "outputs_250000": lambda: corpus.crafted("tiny_outputs"),
    "cells_10000_of_3KB": lambda: json.dumps({**_weird(), "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1\n" * 500} for _ in range(10_000)]}),
    "cells_450_of_3KB": lambda: corpus.crafted("many_cells"),
    # the largest file the grader reads: 16 MB, as 4-byte characters (the costliest text), and 99,000 objects
    "file_16MB_of_emoji": lambda: json.dumps({**_weird(), "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "\U0001F600" * 3_900_000}, *_weird()["cells"]]},
        ensure_ascii=False),
    "objects_99000": lambda: json.dumps({**_weird(), "metadata": {"x": [{} for _ in range(99_000)]}}),
    "sleeping_answers": lambda: corpus.submission(corpus.SLEEPING),
}


def one(case: str) -> None:
    """Grade the case here; print JSON {"case", "seconds", "peak_mb", "statuses"}."""
    from tools.grading import cli, grader, reports, transport
    from tools.grading.sandbox import Limits, Sandbox
    from tools.grading.submission import Submission
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        path = Path(tmp) / "in" / "student" / f"{corpus.NAME}.ipynb"
        path.parent.mkdir(parents=True)
        if case == "forged":
            (Path(tmp) / "forger.py").write_text(FORGER)
            transport.WORKER = Path(tmp) / "forger.py"
            path.write_text(json.dumps(_weird()))
        else:  # written by another process: building the case must not count in this one's peak
            subprocess.run([sys.executable, "-m", "benchmarks.bench_grading_hostile", "--make", case, str(path)],
                           cwd=ROOT, check=True)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if case == "forged":
            lecture = cli.pristine_lecture(corpus.NAME)
            results = grader.grade_all([(Submission("student", corpus.NAME, path), lecture)],
                                       Sandbox("none", reason="bench", course=str(ROOT)), Limits(), 1, 1)
            statuses = sorted({m.status for ms in results.values() for m in ms})
            reports.FeedbackWriter(Path(tmp) / "out")
        else:
            cli.main(["grade", str(Path(tmp) / "in"), "--out", str(Path(tmp) / "out"), "--quiet", "--seed", "1"])
            with open(Path(tmp) / "out" / "grades.csv", encoding="utf-8") as file:
                statuses = sorted({line.split(",")[5] for line in file.read().splitlines()[1:]})
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"case": case, "seconds": round(seconds, 1), "peak_mb": round(peak / 1024),
                      "before_mb": round(before / 1024), "statuses": statuses}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--make"]:
        content = CASES[argv[1]]()
        Path(argv[2]).write_text(content if isinstance(content, str) else corpus.nbformat.writes(content))
        return 0
    if argv[:1] == ["--one"]:
        one(argv[1])
        return 0
    cases = argv or ["honest", "forged", *[c for c in CASES if c != "honest"]]
    print(f"{'case':<26} {'seconds':>8} {'grader peak MB':>15} {'(before)':>9}  statuses")
    for case in cases:
        run = subprocess.run([sys.executable, "-m", "benchmarks.bench_grading_hostile", "--one", case], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        try:
            result = json.loads(run.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            print(f"{case:<26} failed: {run.stderr[-800:]}")
            continue
        print(f"{case:<26} {result['seconds']:>8.1f} {result['peak_mb']:>15} {result['before_mb']:>9}  "
              f"{', '.join(result['statuses'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
