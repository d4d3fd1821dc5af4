"""Fixtures for the hub tests: a real JupyterHub on 127.0.0.1 (tools/localhub.py), a teacher's git
repository of the course in a temporary folder, and a headless Chromium for the student.

What they need is installed by the project's own setup, not here: `python3 course.py test -m hub`
installs the 'hub' extra (jupyterhub, nbgitpuller) and the npm packages (configurable-http-proxy),
and Chromium (tools/system_deps.py). Without jupyterhub or the proxy the tests FAIL with what to run
(a hub test selected with -m hub is meant to run); without a browser they are skipped, and the
summary says so in capitals.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


from tools import localhub, system_deps

TEACHER = ["-c", "user.name=Teacher", "-c", "user.email=teacher@example.invalid"]


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)} failed in {cwd}:\n{done.stdout}{done.stderr}"
    return done.stdout


class CourseRepo:
    """The course as a teacher publishes it: a bare repository `course.git` (students pull from its
    file:// URL; the name ends in .git as on GitHub) and the teacher's clone that pushes to it."""

    def __init__(self, folder: Path) -> None:
        git = self.git
        self.bare, self.work = folder / "course.git", folder / "teacher"
        git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(self.work), cwd=folder)
        git("checkout", "--quiet", "-B", "main", cwd=self.work)
        git("clone", "--quiet", "--bare", str(self.work), str(self.bare), cwd=folder)
        git("remote", "set-url", "origin", str(self.bare), cwd=self.work)
        git("symbolic-ref", "HEAD", "refs/heads/main", cwd=self.bare)
        self.url = self.bare.resolve().as_uri()  # file:///.../course.git

    git = staticmethod(_git)

    def commit_and_push(self, message: str) -> str:
        git = self.git
        git(*TEACHER, "commit", "--quiet", "-am", message, cwd=self.work)
        git("push", "--quiet", "origin", "main", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work).strip()


@pytest.fixture(scope="session")
def course_repo(tmp_path_factory) -> CourseRepo:
    return CourseRepo(tmp_path_factory.mktemp("course-repo"))


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    try:
        hub = localhub.LocalHub(tmp_path_factory.mktemp("jupyterhub")).start()
    except localhub.HubError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable (the tests drive it with tools/headless.py), or skip loudly."""
    path = system_deps.find_chromium()
    if path is None:
        pytest.skip(f"hub tests need a Chromium: none on PATH and MLP_BROWSER unset; {system_deps.CHROMIUM_HINT}")
    return path


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "hub tests need a Chromium" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(f"HUB TESTS SKIPPED ({len(skipped)}): no Chromium; {system_deps.CHROMIUM_HINT}",
                                    red=True, bold=True)
