"""The service's queue and workers against SQLite and PostgreSQL (Debian's server, started here in a temporary
folder as the hub's proxy is): two worker processes as if on two machines (they share only the database),
a worker killed mid-grading and started again, a submission that keeps killing its worker, and many workers
claiming at once.

Run with `python3 course.py test -m hub` (PostgreSQL: `python3 tools/system_deps.py postgresql` installs it).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("sqlalchemy", reason="the hub service needs the hub extra (SQLAlchemy, alembic): "
                    "python3 course.py test -m hub installs it")
from sqlalchemy import update  # noqa: E402

from tools.hub_service import db, settings, store  # noqa: E402
from tools.hub_service.localpg import HINT, LocalPostgres, binaries  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
import grading_corpus as corpus  # tests/ is on the path (pytest's rootdir conftest)

pytestmark = pytest.mark.hub
NB = corpus.NAME
DONE_SECONDS = 300
# a right design_matrix that takes a few seconds at each call (a loop, no import: nothing for review)
SLOW = corpus.RIGHT["design_matrix"].replace("def design_matrix(X):\n",
                                             "def design_matrix(X):\n    for _ in range(8_000_000):\n        pass\n", 1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'grader.sqlite'}"
        return
    if binaries() is None:
        pytest.fail(f"the PostgreSQL tests need Debian's PostgreSQL server: {HINT}", pytrace=False)
    with LocalPostgres() as server:
        yield server.url


def machine(folder: Path, url: str) -> settings.Settings:
    """A configuration as one machine has it: the shared database, a storage folder of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grader.toml").write_text(f'[service]\ndatabase = "{url}"\nstorage = "data"\n[rules]\nrate_minutes = 0\n')
    return settings.load(folder / "grader.toml")


class Workers:
    """`python -m tools.hub_service work` processes, each in its own session (stopped by process group id)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.running = folder, {}

    def start(self, name: str, config: Path, slot: int) -> None:
        log = open(self.folder / f"{name}.log", "a")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "tools.hub_service", "work", "--config", str(config), "--name", name, "--slot",
             str(slot)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(30)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in self.folder.glob("*.log"))


@pytest.fixture
def workers(tmp_path):
    running = Workers(tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def wait_until(condition, what: str, workers: Workers, seconds: float = DONE_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s:\n{workers.logs()}"
        time.sleep(0.3)


def submit(engine, conf, student: str, answers: dict | None, raw: bytes | None = None) -> int:
    content = raw if raw is not None else nbformat.writes(corpus.submission(answers)).encode()
    return store.accept(engine, conf, student, NB, content).id


def test_two_workers_on_two_machines_share_only_the_database(database, tmp_path, workers):
    a, b = machine(tmp_path / "machine-a", database), machine(tmp_path / "machine-b", database)
    engine = db.engine_for(database)
    db.migrate(engine)
    workers.start("machine-a", a.source, 0)
    workers.start("machine-b", b.source, 1)
    wait_until(lambda: {"machine-a", "machine-b"} <= {w.name for w in store.workers(engine)}, "both workers ready",
               workers, 120)
    wrong = {**corpus.RIGHT, "cost": corpus.WRONG_COST}
    # the service (here: machine a's storage) takes the submissions; the workers read them from the database
    expected = {submit(engine, a, f"s{i}", corpus.RIGHT if i % 2 else wrong): 5 if i % 2 else 4 for i in range(6)}
    hostile = submit(engine, a, "mallory", {**corpus.RIGHT, corpus.SECOND: corpus.STUBBORN_LOOP})
    garbage = submit(engine, a, "mallory", None, raw=b"\xff\xfe not json")
    ids = [*expected, hostile, garbage]
    wait_until(lambda: all(store.load(engine, i).state == db.DONE for i in ids), "every submission graded", workers)
    for number, points in expected.items():
        row = store.load(engine, number)
        assert (row.points, row.max_points, row.attempts) == (points, 7, 1), (number, row.points, row.attempts)
    assert store.load(engine, hostile).points == 1 and {m.status for m in store.load(engine, garbage).marks} == {"unreadable"}
    graded = {w.name: w.graded for w in store.workers(engine)}
    assert graded["machine-a"] > 0 and graded["machine-b"] > 0, f"both machines graded: {graded}"
    assert sum(graded.values()) == len(ids)
    assert not (tmp_path / "machine-b" / "data").exists(), "machine b needed nothing but the database"


def test_a_worker_killed_mid_grading_resumes_when_restarted(database, tmp_path, workers):
    conf = machine(tmp_path / "service", database)
    engine = db.engine_for(database)
    db.migrate(engine)
    workers.start("restarted", conf.source, 0)
    number = submit(engine, conf, "alice", {**corpus.RIGHT, "design_matrix": SLOW})
    wait_until(lambda: store.load(engine, number).worker == "restarted", "the worker took the submission", workers, 120)
    time.sleep(1.0)
    workers.kill("restarted")   # as a machine or the service going down mid-grading
    assert store.load(engine, number).state == db.GRADING
    workers.start("restarted", conf.source, 0)
    wait_until(lambda: store.load(engine, number).state == db.DONE, "graded after the restart", workers)
    row = store.load(engine, number)
    assert (row.points, row.attempts) == (5, 2), (row.points, row.attempts, [(m.exercise, m.status) for m in row.marks])
    assert "put 1 submission(s) it held before back in the queue" in workers.logs()


def test_a_submission_that_keeps_killing_its_worker_is_given_up(database, tmp_path, workers):
    conf = machine(tmp_path / "service", database)
    engine = db.engine_for(database)
    db.migrate(engine)
    number = submit(engine, conf, "yves", corpus.RIGHT)   # a name of this test alone (the database is shared)
    with engine.begin() as connection:   # as if three workers had died on it
        connection.execute(update(db.Submission).where(db.Submission.id == number).values(attempts=store.MAX_ATTEMPTS))
    after = submit(engine, conf, "alice", corpus.RIGHT)
    workers.start("w", conf.source, 0)
    wait_until(lambda: store.load(engine, after).state == db.DONE, "the next submission graded", workers)
    row = store.load(engine, number)
    assert row.state == db.FAILED and row.points == 0 and {m.status for m in row.marks} == {"crashed"}
    assert "stopped the grader 3 times" in row.marks[0].message and store.load(engine, after).points == 5
    # the teacher has it graded again (as after fixing what stopped the grader): the command line, then a worker
    regrade = subprocess.run([sys.executable, "-m", "tools.hub_service", "regrade", "--config", str(conf.source),
                              "--student", "yves"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert regrade.returncode == 0 and "1 submission(s) back in the queue" in regrade.stdout, regrade.stderr
    wait_until(lambda: store.load(engine, number).state == db.DONE, "the regraded submission graded", workers)
    row = store.load(engine, number)
    assert (row.points, row.attempts, len(row.marks)) == (5, 1, 7), (row.points, row.attempts, len(row.marks))


def test_many_workers_claim_each_submission_once(database, tmp_path):
    conf = machine(tmp_path / "service", database)
    engine = db.engine_for(database)
    db.migrate(engine)
    ids = {store.accept(engine, conf, f"s{i}", NB, b"{}").id for i in range(40)}
    claimed, lock = [], threading.Lock()

    def worker(name: str) -> None:
        while (got := store.claim(engine, name)) is not None:
            with lock:
                claimed.append(got)
            if got not in ids:
                break

    threads = [threading.Thread(target=worker, args=(f"t{k}",)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    mine = [c for c in claimed if c in ids]
    assert sorted(mine) == sorted(ids), "every submission claimed exactly once"
