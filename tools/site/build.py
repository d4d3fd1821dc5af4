"""Build the course website into _build/html: `python3 course.py site` (or .venv/bin/python tools/site/build.py).

    python3 course.py site                       -> _build/html/index.html
    python3 course.py site --out /tmp/site       somewhere else

What goes in (nothing is executed, nothing is fetched):
- every solutions/NN_*.ipynb with its stored outputs, the solution markers' comment lines removed
  (`### BEGIN SOLUTION ...`, `### END SOLUTION`, `<!-- BEGIN SOLUTION -->`, `<!-- END SOLUTION -->`)
  and the hidden tests (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`) dropped with their markers;
  below its title, an "Open in Colab" link to its lecture on GitHub (conf.py's REPOSITORY and BRANCH);
- every lectures/NN_*.ipynb, downloadable from the page "Lectures";
- README.md and, if present, TEACHING.md as pages;
- MathJax 3 from tools/npm (python3 tools/system_deps.py npm, which course.py runs first).
Sphinx, myst-nb and sphinx-book-theme come from the 'site' extra. The sources are staged in
_build/site-src (written anew each time).
"""
from __future__ import annotations

import argparse
import re
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from mlp.exercises import contract

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MATHJAX = ROOT / "tools" / "npm" / "node_modules" / "mathjax" / "es5"
PAGES = {"README.md": "The README: setup, deployment, reference", "TEACHING.md": "Teaching guide"}  # when present
COLAB = "https://colab.research.google.com/github/{repository}/blob/{branch}/lectures/{name}"


def strip_markers(source: str, cell_type: str) -> str:
    """The cell's source as the website shows it: no marker lines, no hidden tests."""
    out, hidden = [], False
    for line in source.splitlines():
        markers = (contract.SOLUTION_BEGIN, contract.SOLUTION_END) if cell_type == "code" else (
            contract.MARKDOWN_BEGIN, contract.MARKDOWN_END)
        if contract.HIDDEN_BEGIN.match(line):
            hidden = True
        elif contract.HIDDEN_END.match(line):
            hidden = False
        elif not hidden and not any(marker.match(line) for marker in markers):
            out.append(line)
    return "\n".join(out)


def colab_url(name: str) -> str:
    """Where Google Colab opens the lecture `name` (e.g. 01_linear_regression.ipynb) from GitHub."""
    settings = runpy.run_path(str(HERE / "conf.py"))
    return COLAB.format(repository=settings["REPOSITORY"], branch=settings["BRANCH"], name=name)


def stage_notebook(source: Path, target: Path) -> None:
    notebook = nbformat.read(source, as_version=4)
    notebook.metadata.pop("widgets", None)  # widget state would make the page load a widget manager
    for cell in notebook.cells:
        if cell.cell_type in ("code", "markdown"):
            cell.source = strip_markers(cell.source, cell.cell_type)
    titled = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown" and re.search(r"^#\s", c.source, re.M)), -1)
    link = nbformat.v4.new_markdown_cell(f"[Open in Colab]({colab_url(source.name)}): this lecture with its exercises, "
                                         "to run in Google Colab without installing anything.")
    link.metadata["tags"] = ["colab-link"]
    notebook.cells.insert(titled + 1, link)
    nbformat.write(notebook, target)


def title(path: Path) -> str:
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and (match := re.search(r"^#\s+(.+)$", cell.source, re.M)):
            return match.group(1).strip()
    return path.stem


def stage(src: Path) -> None:
    if src.exists():
        shutil.rmtree(src)
    (src / "solutions").mkdir(parents=True)
    (src / "lectures").mkdir()
    shutil.copyfile(HERE / "conf.py", src / "conf.py")
    shutil.copytree(HERE / "_templates", src / "_templates")
    shutil.copytree(MATHJAX, src / "_static" / "mathjax")
    solutions = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    lectures = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
    for path in solutions:
        stage_notebook(path, src / "solutions" / path.name)
    pages = [name for name in PAGES if (ROOT / name).is_file()]
    for name in pages:
        shutil.copyfile(ROOT / name, src / name)
    for path in lectures:
        shutil.copyfile(path, src / "lectures" / path.name)
    rows = "\n".join(f"| {title(p)} | {{download}}`{p.name} <lectures/{p.name}>` |" for p in lectures)
    (src / "lectures.md").write_text(f"""# Lectures to download

The student versions: the exercises are stubs to fill in, the outputs are cleared. Open one in
JupyterLab with the course installed (`python3 course.py lab` in a clone of the repository), or
take them all at once with your hub's nbgitpuller link (see the README's deployment section).

| lecture | notebook |
| --- | --- |
{rows}
""")
    toc = "\n".join(["lectures", *[f"solutions/{p.stem}" for p in solutions]])
    extra = "\n".join(f"{PAGES[name]} <{Path(name).stem}>" for name in pages)
    (src / "index.md").write_text(f"""# How neural networks learn

A Jupyter course on fully connected networks, backpropagation and gradient descent, built on a
small numpy engine. These pages show the worked solutions with their outputs as committed; the
lectures (with exercises) are on the page [Lectures to download](lectures.md).

```{{toctree}}
:maxdepth: 1
:caption: Notebooks

{toc}
```

```{{toctree}}
:maxdepth: 1
:caption: About

{extra}
```
""")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "html", help="where the site goes (default _build/html)")
    args = parser.parse_args(argv)
    if not MATHJAX.is_dir():
        print(f"no MathJax at {MATHJAX}: run python3 tools/system_deps.py npm (python3 course.py site does)", file=sys.stderr)
        return 1
    started = time.monotonic()
    out = args.out.resolve()
    src, doctrees = out.parent / "site-src", out.parent / "site-doctrees"
    for old in (out, doctrees):  # a clean build: nothing left from an earlier one
        if old.exists():
            shutil.rmtree(old)
    stage(src)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(doctrees),
               str(src), str(out)]
    done = subprocess.run(command, cwd=ROOT)
    if done.returncode != 0:
        print(f"sphinx-build failed (exit {done.returncode})", file=sys.stderr)
        return done.returncode
    print(f"website built in {time.monotonic() - started:.1f} s: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
