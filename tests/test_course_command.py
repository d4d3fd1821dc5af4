"""course.py's own logic: JupyterLab as root, which tests -m selects, and the Jupyter settings it
copies into .venv (tools/jupyter/): no news pop-up, no kernel transport warning."""
from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "tools" / "jupyter"
KERNEL_CONFIG = SETTINGS / "etc" / "ipython" / "ipython_kernel_config.py"
TCP_WARNING = "running over TCP without encryption"


@pytest.fixture(scope="module")
def course():
    spec = importlib.util.spec_from_file_location("course_cli", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lab_passes_allow_root_as_root_and_says_so(course, monkeypatch, capsys):
    monkeypatch.setattr(course, "is_root", lambda: True)
    command = course.lab(["--no-browser"])
    assert command.count("--allow-root") == 1 and command[-1] == "--no-browser"
    assert "root" in capsys.readouterr().out
    assert course.lab(["--allow-root"]).count("--allow-root") == 1  # given by the user: not twice


def test_lab_as_a_normal_user_passes_nothing_more(course, monkeypatch, capsys):
    monkeypatch.setattr(course, "is_root", lambda: False)
    assert "--allow-root" not in course.lab([])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("args, markers", [
    ([], []), (["-x"], []), (["-m", "browser"], ["browser"]), (["-m", "hub"], ["hub"]), (["-m", "hub or site"], ["hub", "site"]),
    (["-m", "not hub and not site"], []), (["-msite"], ["site"]), (["-m", "site and not   hub"], ["site"]),
])
def test_test_command_installs_what_the_selected_markers_need(course, args, markers):
    assert course.selected_markers(args) == markers


def test_the_slower_groups_are_left_out_by_default_and_each_is_one_that_course_py_can_select(course):
    tomllib = pytest.importorskip("tomllib")
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    expression = " and ".join(f"not {marker}" for marker in course.MARKERS)
    assert f"-m '{expression}'" in addopts


def test_lab_settings_turn_off_the_news_and_the_update_check():
    overrides = json.loads((SETTINGS / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    server = json.loads((SETTINGS / "etc" / "jupyter" / "jupyter_server_config.d" / "mlp-course.json").read_text())
    assert server["LabApp"]["news_url"] is None


def test_the_kernel_config_drops_the_tcp_warning_and_nothing_else():
    namespace = {"c": None, "__name__": "course_kernel_config"}
    exec(compile(KERNEL_CONFIG.read_text(), str(KERNEL_CONFIG), "exec"), namespace)
    logger, seen = logging.getLogger("IPKernelApp"), []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    try:
        logger.warning("Kernel is running over TCP without encryption. All communication ...")
        logger.warning("some other warning")
    finally:
        logger.removeHandler(handler)
        for added in [f for f in logger.filters if type(f).__module__ == namespace["__name__"]]:
            logger.removeFilter(added)
    assert seen == ["some other warning"]


def test_a_kernel_of_the_course_environment_prints_no_transport_warning(tmp_path):
    if not (Path(sys.prefix) / "etc" / "ipython" / KERNEL_CONFIG.name).is_file():
        pytest.skip(f"not the course's .venv (no {KERNEL_CONFIG.name} in {sys.prefix}/etc/ipython): course.py copies it")
    connection = tmp_path / "kernel.json"
    kernel = subprocess.Popen([sys.executable, "-m", "ipykernel_launcher", "-f", str(connection)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not connection.exists() and kernel.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert connection.exists(), "the kernel did not start"
        time.sleep(0.5)  # the warning comes before the connection file; let stderr flush
    finally:
        kernel.terminate()
        _, stderr = kernel.communicate(timeout=30)
    assert TCP_WARNING not in stderr.decode(errors="replace")


def test_the_install_is_editable_and_prints_no_setuptools_banner(course, tmp_path):
    """course.py's own install command, on a copy of the packaging files, into a scratch prefix: quiet,
    and editable (the prefix points at the copy's mlp/, not a copy of it)."""
    if not Path(course.PYTHON).exists():
        pytest.skip("no .venv yet: course.py makes it")
    project = tmp_path / "project"
    (project / "mlp" / "data").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copyfile(ROOT / name, project / name)
    shutil.copyfile(ROOT / "mlp" / "data" / "README.md", project / "mlp" / "data" / "README.md")
    (project / "mlp" / "__init__.py").write_text("WHERE = 'the copy'\n")
    # --ignore-installed: without it pip uninstalls the course's own mlp-course from .venv (same name)
    done = course.install_editable(project, [], "--no-deps", "--ignore-installed", "--prefix", str(tmp_path / "prefix"),
                                   capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    if done.returncode != 0 and ("No matching distribution" in output or "Could not find a version" in output):
        pytest.skip(f"pip cannot fetch setuptools for the build here: {output[-300:]}")
    assert done.returncode == 0, output[-3000:]
    assert "careful with folders" not in output and "Editable installation" not in output, output
    site = next((tmp_path / "prefix").glob("lib/python*/site-packages"))
    finders = list(site.glob("__editable__*mlp_course*"))
    assert finders, f"not an editable install: {sorted(p.name for p in site.iterdir())}"
    assert str(project / "mlp") in "".join(p.read_text() for p in finders if p.suffix == ".py")


def test_the_banner_filter_names_only_that_warning(course):
    action, message = course.EDITABLE_WARNING.split(":", 1)
    assert action == "ignore" and message == "Editable installation"
