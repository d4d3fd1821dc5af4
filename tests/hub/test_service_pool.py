"""The warm pool of the hub service's workers (tools.grading.transport.WarmPool): the next submission's sandboxed
kernel is started while one is graded; it is clean, its clock starts when it is taken, and one that died while
waiting is replaced. Grading through the pool gives the marks grading without it gives."""
from __future__ import annotations

import secrets
import time
from pathlib import Path

import nbformat
import pytest

import grading_corpus as corpus  # tests/ is on the path (pytest's rootdir conftest)
from tools.grading.cli import pristine_lecture
from tools.grading.grader import grade_submission
from tools.grading.sandbox import Limits, make_sandbox
from tools.grading.submission import Submission
from tools.grading.transport import WarmPool

pytestmark = pytest.mark.hub
ROOT = Path(__file__).resolve().parents[2]
TOPIC = "linear_regression"


@pytest.fixture
def pool():
    warm = WarmPool(make_sandbox(ROOT, []), Limits(), slot=0)
    try:
        yield warm
    finally:
        warm.close()


def ran(worker, source: str) -> str | None:
    return worker.ask({"op": "cell", "source": source}, 10)["ran"]["error"]


def test_a_taken_worker_is_started_clean_and_its_clock_starts_then(pool):
    first = pool.take(TOPIC, Limits())
    assert ran(first, "secret = 42") is None
    waiting = pool.ready[TOPIC].result(timeout=120)
    assert waiting.process.poll() is None and waiting.process.pid != first.process.pid
    time.sleep(2.0)
    first.close()
    second = pool.take(TOPIC, Limits(notebook_seconds=50.0))
    assert second is waiting, "the worker started ahead is the one taken"
    assert 49.0 < second.remaining() <= 50.0, "its clock starts when it is taken, with the limits given then"
    assert ran(second, "secret") == "NameError: name 'secret' is not defined", "nothing of the first submission"
    second.close()


def test_a_worker_that_died_while_waiting_is_replaced(pool):
    pool.take(TOPIC, Limits()).close()
    waiting = pool.ready[TOPIC].result(timeout=120)
    waiting.kill_process()
    waiting.process.wait(10)
    fresh = pool.take(TOPIC, Limits())
    assert fresh is not waiting and fresh.process.poll() is None and ran(fresh, "x = 1") is None
    fresh.close()


def test_grading_through_the_pool_gives_the_same_marks(pool, tmp_path):
    lecture, sandbox = pristine_lecture(corpus.NAME), make_sandbox(ROOT, [])
    path = tmp_path / f"{corpus.NAME}.ipynb"
    marks = {}
    for name, answers in (("right", corpus.RIGHT), ("wrong", {**corpus.RIGHT, "cost": corpus.WRONG_COST})):
        path.write_text(nbformat.writes(corpus.submission(answers)))
        seed = secrets.randbits(32)
        for via in (None, pool, pool):
            graded = grade_submission(Submission("s", corpus.NAME, path), lecture, sandbox, Limits(), 0, seed, via)
            marks.setdefault(name, []).append([(m.exercise, m.status, m.points) for m in graded.marks])
    for name, runs in marks.items():
        assert runs[0] == runs[1] == runs[2], name
    assert sum(p for _, _, p in marks["right"][0]) == 5 and sum(p for _, _, p in marks["wrong"][0]) == 4
