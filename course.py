"""Set up and run the course with nothing but Python (3.10 or newer).

    python3 course.py lab        open the course in JupyterLab (first run sets up .venv)
    python3 course.py test       run the whole test suite (unit, notebooks, browser)
    python3 course.py lectures   regenerate lectures/ from solutions/ after editing a solution
    python3 course.py check      (students) grade your own notebooks as the teacher's grader will
    python3 course.py grade SUBMISSIONS --out RESULTS   (teachers) grade a class, write marks and feedback

Everything is installed into a virtual environment `.venv` beside this file; it is
re-installed only when pyproject.toml changes or a command needs an extra it does not have yet.
Extra arguments after a command go to the tool it runs, e.g.
`python3 course.py test tests/test_layers.py -x` (pytest) or `python3 course.py lectures --execute`.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = str(BIN / ("python.exe" if os.name == "nt" else "python"))
STAMP = VENV / "course-installed.json"

# command: (the pyproject extras it needs, what it runs with the arguments after the command)
COMMANDS = {
    "lab": (["lab"], lambda rest: [PYTHON, "-m", "jupyter", "lab", "lectures", *rest]),
    "test": (["lab", "test", "grading"], lambda rest: [PYTHON, "-m", "pytest", *rest]),
    "lectures": (["test"], lambda rest: [PYTHON, "tools/make_lectures.py", *rest]),
    "grade": (["grading"], lambda rest: [PYTHON, "-m", "tools.grading", "grade", *rest]),
    "check": (["grading"], lambda rest: [PYTHON, "-m", "tools.grading", "check", *rest]),
}


def ensure_venv(extras: list[str]) -> None:
    """Create .venv and install the course with `extras`, unless it already has them for this pyproject.toml."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = json.loads(STAMP.read_text()) if STAMP.exists() else {}
    have = set(stamp.get("extras", [])) if stamp.get("pyproject") == wanted else set()
    if set(extras) <= have and Path(PYTHON).exists():
        return
    if not Path(PYTHON).exists():
        print(f"Creating the virtual environment {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    extras = sorted(have | set(extras))
    print(f"Installing the course with {', '.join(extras)} into .venv (a minute or two, once) ...", flush=True)
    pip = [PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    subprocess.run(pip + ["-e", f"{ROOT}[{','.join(extras)}]"], check=True)
    STAMP.write_text(json.dumps({"pyproject": wanted, "extras": extras}))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    extras, build = COMMANDS[command]
    ensure_venv(extras)
    return subprocess.run(build(rest), cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
