"""Set up and run the course with nothing but Python (3.10 or newer).

    python3 course.py lab        open the course in JupyterLab (first run sets up .venv)
    python3 course.py test       run the test suite (unit, notebooks, checks, grading)
    python3 course.py lectures   regenerate lectures/ from solutions/ after editing a solution
    python3 course.py site       build the course website into _build/html (solutions, lectures to download)
    python3 course.py present 03 present a solution in class: its sections as slides, explorers live
    python3 course.py submit 01_linear_regression   (students, on the course's hub) submit a saved notebook, see its verdicts
    python3 course.py check      (students) grade your own notebooks as the teacher's grader will
    python3 course.py grade SUBMISSIONS --out RESULTS   (teachers) grade a class, write marks and feedback

Everything is installed into a virtual environment `.venv` beside this file; it is
re-installed only when pyproject.toml changes or a command needs an extra it does not have yet.
Extra arguments after a command go to the tool it runs, e.g.
`python3 course.py test tests/test_layers.py -x` (pytest) or `python3 course.py lectures --execute`.
The browser, hub, website and nbgrader tests and the grader's whole corpus are left out of `test` unless
selected: `python3 course.py test -m browser`, `-m hub`, `-m site`, `-m nbgrader`, `-m grading` (these
install the extras, browser and npm packages they need).
What does not come from PyPI (Chromium, npm packages) is installed by tools/system_deps.py, which
says what it installs; Jupyter settings for .venv (no news pop-up) come from tools/jupyter/.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = str(BIN / ("python.exe" if os.name == "nt" else "python"))
STAMP = VENV / "course-installed.json"

JUPYTER_SETTINGS = ROOT / "tools" / "jupyter"  # copied into .venv: no news pop-up, no TCP warning
# setuptools warns at every editable install: "Editable installation ... Please be careful with folders in your
# working directory with the same name as your package as they may take precedence during imports". Here the
# folder mlp/ beside course.py is the installed package itself, so what it warns of cannot happen; this filter
# (Python's -W syntax, read by pip and by the build backend it starts) drops that one warning and no other.
EDITABLE_WARNING = "ignore:Editable installation"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab(rest: list[str]) -> list[str]:
    command = [PYTHON, "-m", "jupyter", "lab", "lectures"]
    if is_root() and "--allow-root" not in rest:
        print("Running as root (as in a container): starting JupyterLab with --allow-root.", flush=True)
        command.append("--allow-root")
    return command + rest


# command: (the pyproject extras it needs, what tools/system_deps.py installs first,
#           what it runs with the arguments after the command)
COMMANDS = {
    "lab": (["lab"], [], lab),
    "test": (["lab", "test", "grading"], ["chromium"], lambda rest: [PYTHON, "-m", "pytest", *rest]),
    "lectures": (["test"], [], lambda rest: [PYTHON, "-m", "tools.make_lectures", *rest]),
    "site": (["site"], ["npm"], lambda rest: [PYTHON, "tools/site/build.py", *rest]),
    "present": (["lab"], [], lambda rest: [PYTHON, "tools/present.py", *rest]),
    "grade": (["grading"], [], lambda rest: [PYTHON, "-m", "tools.grading", "grade", *rest]),
    "check": (["grading"], [], lambda rest: [PYTHON, "-m", "tools.grading", "check", *rest]),
    "submit": ([], [], lambda rest: [PYTHON, "-m", "mlp.exercises.submit", *rest]),
}
# test markers left out by default (pyproject.toml's addopts) and what selecting them with -m needs
MARKERS = {"browser": ([], ["chromium"]), "hub": (["hub"], ["npm", "postgresql"]), "site": (["site"], ["npm"]), "nbgrader": (["nbgrader"], []), "grading": ([], [])}


def selected_markers(rest: list[str]) -> list[str]:
    """The MARKERS that a pytest `-m EXPRESSION` among `rest` selects (named, and not after 'not')."""
    expressions = [rest[i + 1] for i, arg in enumerate(rest[:-1]) if arg == "-m"]
    expressions += [arg[2:].lstrip("=") for arg in rest if arg.startswith("-m") and len(arg) > 2]
    return [m for m in MARKERS if any(re.search(rf"(?<!not )\b{m}\b", " ".join(e.split())) for e in expressions)]


def install_settings() -> None:
    """Copy tools/jupyter/ (etc/, share/) into .venv, where its Jupyter, JupyterLab and kernels read it."""
    for source in JUPYTER_SETTINGS.rglob("*"):
        target = VENV / source.relative_to(JUPYTER_SETTINGS)
        if source.is_file() and source.name != "README.md" and (not target.exists() or target.read_bytes() != source.read_bytes()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def install_editable(project: Path, extras: list[str], *pip_args: str, **run) -> subprocess.CompletedProcess:
    """pip install -e project[extras] into .venv (editable: edits to mlp/ count at once), without the banner."""
    env = dict(run.pop("env", os.environ))
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), EDITABLE_WARNING]))
    target = f"{project}[{','.join(extras)}]" if extras else str(project)
    command = [PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pip_args, "-e", target]
    return subprocess.run(command, env=env, **run)


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
    install_editable(ROOT, extras, check=True)
    STAMP.write_text(json.dumps({"pyproject": wanted, "extras": extras}))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    extras, setup, build = COMMANDS[command]
    if command == "test":
        for marker in selected_markers(rest):
            extras, setup = extras + MARKERS[marker][0], setup + MARKERS[marker][1]
    if setup:  # visibly: it prints what it finds and what it installs; the tests say what is missing
        subprocess.run([sys.executable, str(ROOT / "tools" / "system_deps.py"), *dict.fromkeys(setup)], cwd=ROOT)
    ensure_venv(extras)
    install_settings()
    # one BLAS thread per kernel: the course's matrices are small, and threads waiting for each other made
    # products up to 30 times slower on a busy machine (set OPENBLAS_NUM_THREADS yourself to choose)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    return subprocess.run(build(rest), cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
