"""tools/present.py (python3 course.py present NN): the slide copy of a solution and its JupyterLab settings.
In a browser: tests/browser/test_presentation.py."""
from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from tools import present

ROOT = Path(__file__).resolve().parent.parent

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("source, kind", [
    ("# Title\n\ntext", "slide"), ("## 2. Section", "slide"), ("### A part", "subslide"), ("#### small", None),
    ("text\n\n## a heading later", None), ("#hashtag", None), ("  ## indented heading", "slide"),
])
def test_slide_types_follow_the_headings(source, kind):
    assert present.slide_type(nbformat.v4.new_markdown_cell(source)) == kind


def test_code_never_starts_a_slide():
    assert present.slide_type(nbformat.v4.new_code_cell("## not a heading")) is None


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_each_solution_becomes_slides_and_stays_unchanged(solution, tmp_path):
    before = solution.read_bytes()
    slides = nbformat.read(present.make_slides(solution, tmp_path / solution.name), as_version=4)
    original = nbformat.read(solution, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in slides.cells]
    assert kinds[0] == "slide", "the title cell starts the first slide"
    assert kinds.count("slide") >= 3, f"only {kinds.count('slide')} sections became slides"
    assert "-" not in kinds, "jupyterlab-slideshow hides a cell of type '-': cells under a heading carry none"
    assert [c.source for c in slides.cells] == [c.source for c in original.cells]
    assert [c.get("outputs") for c in slides.cells] == [c.get("outputs") for c in original.cells], "stored figures kept"
    assert solution.read_bytes() == before


def test_stale_slide_metadata_is_replaced(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1 + 1")]
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "skip"}
    nbformat.write(notebook, tmp_path / "a.ipynb")
    cells = nbformat.read(present.make_slides(tmp_path / "a.ipynb", tmp_path / "b.ipynb"), as_version=4).cells
    assert "slideshow" not in cells[1].metadata


@pytest.mark.parametrize("given", ["03", "03_activations", "03_activations.ipynb"])
def test_a_solution_is_found_by_its_number_or_name(given):
    assert present.find_solution(given) == ROOT / "solutions" / "03_activations.ipynb"


def test_an_unknown_solution_names_the_ones_there_are():
    with pytest.raises(SystemExit) as stop:
        present.find_solution("99")
    message = str(stop.value)
    assert "99" in message and "03_activations" in message and "course.py present 03" in message


def test_the_settings_start_deck_mode_with_large_fonts_for_this_run_only(tmp_path):
    config = present.write_settings(tmp_path / "config")
    settings = json.loads((config / "labconfig" / "default_setting_overrides.json").read_text())
    assert settings["jupyterlab-slideshow:plugin"]["active"] is True
    sizes = settings["@deathbeds/jupyterlab-fonts:fonts"]["styles"][":root"]
    assert int(sizes["--jp-content-font-size1"].removesuffix("px")) >= 20
    env = present.environment(config, {"JUPYTER_CONFIG_PATH": "/elsewhere", "HOME": "/home/x"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(config), "/elsewhere"] and env["HOME"] == "/home/x"
    assert present.environment(config, {})["JUPYTER_CONFIG_PATH"] == str(config)
