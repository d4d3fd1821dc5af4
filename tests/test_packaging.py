"""Packaging: pyproject.toml and environment.yml name the same packages, CI runs the README's test
command first, and the wine data ship with the package."""
import fnmatch
import re
from pathlib import Path

import pytest
import yaml

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:>=\s*([0-9][0-9.]*))?\s*$")


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def parse(requirement):
    """'numpy>=1.24' -> ('numpy', '1.24'); names normalised as pip does (lower case, '_' and '.' as '-')."""
    match = REQUIREMENT.match(requirement)
    assert match, f"cannot read the requirement {requirement!r}: write it as name>=version"
    return re.sub(r"[._]+", "-", match.group(1).lower()), match.group(2)


def conda_packages(environment):
    """{name: lower bound} of environment.yml's conda packages, without python and pip themselves."""
    packages = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, str) and not re.match(r"^(python|pip)\b(?![-.\w])", entry):
            name, bound = parse(entry)
            packages[name] = bound
    return packages


def test_environment_lists_the_same_packages_and_lower_bounds_as_pyproject(pyproject, environment):
    wanted = dict(parse(r) for r in pyproject["project"]["dependencies"])
    for extra in ("lab", "test"):
        wanted.update(parse(r) for r in pyproject["project"]["optional-dependencies"][extra])
    assert {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "pytest", "nbval", "hypothesis", "pyyaml"} <= set(wanted)
    assert all(bound for bound in wanted.values()), "every dependency in pyproject.toml has a lower bound"
    assert conda_packages(environment) == wanted


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
    assert pip_sections == [["-e ."]]
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


def test_the_data_readme_cites_the_source_and_licence():
    text = (ROOT / "mlp" / "data" / "README.md").read_text()
    assert "Cortez" in text and "2009" in text
    assert "CC BY 4.0" in text
