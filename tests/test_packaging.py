"""Packaging: pyproject.toml and environment.yml name the same packages and versions (the broken
ipywidgets for VS Code left out of both, with the reason), CI runs the README's test command first,
the wine data ship with the package, and a teacher's folders stay out of git."""
import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*((?:(?:>=|!=)\s*[0-9][0-9.]*\s*,?\s*)*)$")
BROKEN_IN_VS_CODE = ("ipywidgets", "8.1.9", "vscode-jupyter#17504")  # renders nothing in VS Code's Jupyter extension


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def parse(requirement):
    """'ipywidgets>=8.0,!=8.1.9' -> ('ipywidgets', {'>=8.0', '!=8.1.9'}); names normalised as pip does
    (lower case, '_' and '.' as '-')."""
    match = REQUIREMENT.match(requirement)
    assert match, f"cannot read the requirement {requirement!r}: write it as name>=version (and !=version to exclude one)"
    specifiers = {re.sub(r"\s+", "", s) for s in match.group(2).split(",") if s.strip()}
    return re.sub(r"[._]+", "-", match.group(1).lower()), specifiers


def conda_packages(environment):
    """{name: specifiers} of environment.yml's packages (conda's and those pip installs from PyPI), without
    python, pip and the course itself."""
    entries = [e for e in environment["dependencies"] if isinstance(e, str) and not re.match(r"^(python|pip)\b(?![-.\w])", e)]
    entries += [e for section in environment["dependencies"] if isinstance(section, dict) for e in section.get("pip", [])
                if e != "-e ."]
    return dict(parse(entry) for entry in entries)


def test_environment_lists_the_same_packages_and_lower_bounds_as_pyproject(pyproject, environment):
    wanted = dict(parse(r) for r in pyproject["project"]["dependencies"])
    for extra in ("lab", "test"):
        wanted.update(parse(r) for r in pyproject["project"]["optional-dependencies"][extra])
    assert {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "pytest", "nbval", "hypothesis", "pyyaml"} <= set(wanted)
    assert all(any(s.startswith(">=") for s in spec) for spec in wanted.values()), \
        "every dependency in pyproject.toml has a lower bound"
    assert conda_packages(environment) == wanted


@pytest.mark.parametrize("which", ["pyproject.toml", "environment.yml"])
def test_the_ipywidgets_that_vs_code_cannot_show_is_left_out_with_its_reason(pyproject, environment, which):
    name, broken, reason = BROKEN_IN_VS_CODE
    if which == "pyproject.toml":
        requirements = pyproject["project"]["dependencies"]
    else:
        requirements = [e for e in environment["dependencies"] if isinstance(e, str)]
    specs = [parse(r)[1] for r in requirements if re.match(rf"{name}\b(?![-.\w])", r)]
    assert specs and f"!={broken}" in specs[0], f"{which} does not leave out {name} {broken}"
    lines = (ROOT / which).read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if f"!={broken}" in line)
    assert reason in " ".join(lines[max(0, at - 2):at + 1]), f"{which}: the reason ({reason}) is not beside the exclusion"


def test_the_readme_says_which_ipywidgets_work_in_vs_code():
    readme = (ROOT / "README.md").read_text()
    name, broken, reason = BROKEN_IN_VS_CODE
    vs_code = next(p for p in readme.split("\n- ") if p.startswith("**VS Code"))
    assert broken in vs_code and reason in vs_code and "8.1.8" in vs_code


def test_environment_pins_a_python_that_pyproject_allows(pyproject, environment):
    pins = [e for e in environment["dependencies"] if isinstance(e, str) and re.match(r"^python\s*[=<>]", e)]
    assert len(pins) == 1, "environment.yml names python with a version, once"
    version = tuple(int(part) for part in re.findall(r"\d+", pins[0])[:2])
    minimum = tuple(int(part) for part in re.findall(r"\d+", pyproject["project"]["requires-python"])[:2])
    assert pyproject["project"]["requires-python"].startswith(">=")
    assert version >= minimum


def test_environment_installs_the_course_itself_with_pip(environment):
    assert "pip" in environment["dependencies"]
    pip_sections = [e["pip"] for e in environment["dependencies"] if isinstance(e, dict) and "pip" in e]
    assert len(pip_sections) == 1 and pip_sections[0][0] == "-e ."
    assert "conda-forge" in environment["channels"]


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in quick_start.splitlines() if "course.py test" in line]
    assert commands == ["python3 course.py test"]
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    runs = [line for line in lines if "course.py" in line]
    assert runs[0] == commands[0], f".ci/run first runs {runs[0]!r}, not the README's {commands[0]!r}"
    later = " ".join(runs[1:])
    assert "-m" in later and "hub" in later and "site" in later, ".ci/run also runs the hub and site tests"
    assert ci.startswith("#!")


def test_the_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick_start.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["python3 course.py lab", "python3 course.py test"]


def test_the_wine_data_are_declared_as_package_data(pyproject):
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["mlp", "mlp.*"]
    patterns = pyproject["tool"]["setuptools"]["package-data"]["mlp"]
    for shipped in ("data/winequality-red.csv", "data/README.md"):
        assert (ROOT / "mlp" / shipped).is_file()
        assert any(fnmatch.fnmatch(shipped, pattern) for pattern in patterns), f"{shipped} is not package data"


@pytest.mark.parametrize("path", [
    "submissions/alice/01_linear_regression.ipynb", "results/grades.csv", "results/feedback/alice/01_linear_regression.html",
    "source/ps01/01_linear_regression.ipynb", "release/ps01/x.ipynb", "submitted/alice/ps01/x.ipynb",
    "autograded/alice/ps01/x.ipynb", "feedback/alice/ps01/x.html", "gradebook.db", "lectures/edited-copies/x.ipynb",
    "_build/html/index.html", "test-artifacts/x.png",
])
def test_what_a_teachers_commands_create_is_not_committed(path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT)
    assert ignored.returncode == 0, f"{path} is not in .gitignore: a class's work could be committed by accident"


@pytest.mark.parametrize("path", ["lectures/01_linear_regression.ipynb", "solutions/01_linear_regression.ipynb",
                                  "mlp/data/README.md", "tools/grading/cli.py"])
def test_the_course_itself_is_not_ignored(path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT).returncode == 1


def test_the_data_readme_cites_the_source_and_licence():
    text = (ROOT / "mlp" / "data" / "README.md").read_text()
    assert "Cortez" in text and "2009" in text
    assert "CC BY 4.0" in text
