"""Set up and run the course with nothing but Python (3.10 or newer).

    python3 course.py lab        open the course in JupyterLab (first run sets up .venv)
    python3 course.py test       run the whole test suite (unit, notebooks, browser)
    python3 course.py lectures   regenerate lectures/ from solutions/ after editing a solution

Everything is installed into a virtual environment `.venv` beside this file; it is
re-installed only when pyproject.toml changes. Extra arguments after `test` go to pytest,
e.g. `python3 course.py test tests/test_layers.py -x`.
"""
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "course-installed.txt"


def ensure_venv() -> None:
    """Create .venv and install the course (with test extras) unless it is up to date."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating the virtual environment {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the course and its packages (a minute or two, once) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    subprocess.run(pip + ["-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    return subprocess.run(args, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "lectures"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "lab":
        return run([str(PYTHON), "-m", "jupyter", "lab", "lectures", *rest])
    if command == "lectures":
        return run([str(PYTHON), "tools/make_lectures.py", *rest])
    return run([str(PYTHON), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
