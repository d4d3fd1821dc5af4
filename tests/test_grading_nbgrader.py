"""nbgrader grades the course as it is (the metadata `course.py lectures` writes), and gives the same
scores as `course.py grade` on the same honest submissions (right, empty, partial), exercise by exercise.

Left out of `python3 course.py test` (marker nbgrader, about 30 s): `python3 course.py test -m nbgrader`
installs the nbgrader extra and runs it (.ci/run does); without nbgrader installed it is skipped.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
import grading_corpus as corpus  # (tests/ is on the path under pytest)

pytestmark = [pytest.mark.nbgrader,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the grader's sandbox needs Linux")]


@pytest.fixture(scope="module")
def nbgrader():
    """nbgrader itself; looked for only when these tests run (python3 course.py test leaves them out unreported)."""
    return pytest.importorskip("nbgrader", reason='the nbgrader extra is not installed (pip install -e ".[nbgrader]")')


@pytest.fixture(scope="module")
def course(tmp_path_factory, nbgrader):
    folder = tmp_path_factory.mktemp("nbgrader")
    corpus.nbgrader_course(folder, {student: make() for student, make in corpus.HONEST.items()})
    return folder


def test_nbgrader_generates_every_notebook_of_the_course(nbgrader, tmp_path):
    corpus.nbgrader_course(tmp_path, {}, sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")))
    released = sorted(p.name for p in (tmp_path / "release" / corpus.ASSIGNMENT).glob("*.ipynb"))
    assert released == sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    text = (tmp_path / "release" / corpus.ASSIGNMENT / f"{corpus.NAME}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "np.hstack([X, np.ones" not in text


def test_nbgrader_and_course_grade_give_the_same_scores(course, tmp_path):
    autograde = corpus.nbgrader_autograde(course)
    assert autograde.returncode == 0, autograde.stderr[-2000:]
    theirs = corpus.nbgrader_scores(course)
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(course), "--out", str(tmp_path),
                          "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    grade_ids = {n: f"ex{n.replace('.', '_')}_check" for n in corpus.EXERCISES}
    ours = {(r["student"], grade_ids.get(r["exercise"], r["exercise"])): float(r["points"]) for r in rows}
    assert ours == theirs
    totals = {s: sum(v for (who, _), v in ours.items() if who == s) for s in corpus.HONEST}
    assert totals == {"right": 5, "empty": 0, "partial": 2}
