"""Present a solution in class: `python3 course.py present 03` (or 03_activations, or a notebook's path).

JupyterLab opens a slide copy of the solution in jupyterlab-slideshow's deck mode (the 'lab' extra):
- each section is a slide: a markdown cell that starts with a heading `#` or `##` begins one, `###`
  begins a sub-slide below it; everything else stacks under its heading. The slide types are set here,
  from the headings, each time: the solutions carry no slide metadata to keep up to date;
- larger fonts, for the back of the room;
- the figures are the stored ones; an explorer is live once its cell runs (Shift+Enter runs the cell
  and moves on; Ctrl+Shift+C, "Run All Cells" runs them all at the start).
Keys in deck mode: → and ← next and previous slide, ↓ and ↑ sub-slides, Space next. Leave deck mode with
the deck button at the bottom right, or Ctrl+Shift+C, "Stop Deck".

Why jupyterlab-slideshow: in its deck mode ipywidgets 8 stay live widgets; jupyterlab-rise 0.43 shows
them as the text `IntSlider(...)`, and nbconvert's static slides have no kernel at all.

The copy is written anew to _build/present/<name>.ipynb (the solution is never changed; _build/ is not
committed). Arguments after the notebook go to JupyterLab (e.g. --no-browser, --port 8890).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
OUT = ROOT / "_build" / "present"
HEADING = re.compile(r"^\s*(#{1,6})\s+\S")
# JupyterLab's defaults while presenting (labconfig/default_setting_overrides.json in a config folder of
# this run only: `python3 course.py lab` is not affected, and a lecturer's own settings still win)
SETTINGS = {
    "jupyterlab-slideshow:plugin": {"active": True},
    # through jupyterlab-fonts (installed with jupyterlab-slideshow): JupyterLab's own font-size overrides
    # (apputils-extension:themes) read only a user's settings, not defaults
    "@deathbeds/jupyterlab-fonts:fonts": {
        "styles": {":root": {"--jp-content-font-size1": "22px", "--jp-code-font-size": "20px", "--jp-ui-font-size1": "16px"}},
    },
}


def find_solution(which: str) -> Path:
    """solutions/NN_topic.ipynb for '03', '03_activations', '03_activations.ipynb' or a path to a notebook."""
    path = Path(which)
    if path.suffix == ".ipynb" and path.is_file():
        return path.resolve()
    matches = sorted(SOLUTIONS.glob(f"{which.removesuffix('.ipynb')}*.ipynb"))
    if len(matches) != 1:
        names = ", ".join(p.stem for p in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")))
        raise SystemExit(f"present: {'no' if not matches else 'more than one'} solution matches {which!r}; "
                         f"name one of: {names} (e.g. python3 course.py present 03)")
    return matches[0]


def slide_type(cell) -> str | None:
    """'slide' for a section heading (# or ##), 'subslide' for ###, None (stack beneath) for the rest."""
    match = HEADING.match(cell.source) if cell.cell_type == "markdown" else None
    if match is None or len(match.group(1)) > 3:
        return None
    return "slide" if len(match.group(1)) <= 2 else "subslide"


def make_slides(source: Path, target: Path) -> Path:
    """Write `source` to `target` with the slideshow.slide_type of every cell set from the headings (and
    none on the cells that stack beneath: jupyterlab-slideshow hides a cell whose type is nbconvert's "-")."""
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        kind = slide_type(cell)
        cell.metadata.pop("slideshow", None)
        if kind is not None:
            cell.metadata["slideshow"] = {"slide_type": kind}
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def write_settings(config_dir: Path) -> Path:
    """The presentation's JupyterLab defaults in `config_dir` (a folder for JUPYTER_CONFIG_PATH)."""
    path = config_dir / "labconfig" / "default_setting_overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(SETTINGS, indent=2))
    return config_dir


def environment(config_dir: Path, base: dict | None = None) -> dict:
    """`base` (os.environ) with the presentation's config folder first in JUPYTER_CONFIG_PATH."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(config_dir), env.get("JUPYTER_CONFIG_PATH")]))
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    solution = find_solution(argv[0])
    slides = make_slides(solution, OUT / solution.name)
    config = write_settings(OUT / "jupyter-config")
    command = [sys.executable, "-m", "jupyter", "lab", str(slides.relative_to(ROOT)), *argv[1:]]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in argv:
        command.append("--allow-root")  # as root (in a container): as python3 course.py lab does
    print(f"Presenting {solution.name} from {slides.relative_to(ROOT)}: → next slide, Shift+Enter runs a cell "
          "(explorers come alive), Ctrl+Shift+C then 'Run All Cells' runs them all.", flush=True)
    return subprocess.run(command, cwd=ROOT, env=environment(config)).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
