"""A worker process: claims submissions from the database and grades them with the course's grader.

    python -m tools.hub_service work --config grader.toml [--name NAME] [--slot K]

Any number of workers may run, on this machine or others: they share only the database (the notebook's
bytes are in it; the feedback page goes back into it). Each grades one submission at a time in the
grader's sandbox (tools.grading: the student's code in a bubblewrap worker, the checks here), renews its
lease while it does, and stores the marks only if the submission is still its own. A worker restarted
under the same NAME puts back at once what it held; one that vanished loses its lease after
store.LEASE_SECONDS and another worker takes the submission over.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

from . import store
from .db import engine_for, wait_for_schema
from .settings import Settings

ROOT = Path(__file__).resolve().parents[2]
IDLE_SECONDS = 0.5   # between looks at an empty queue


class Grader:
    """The grading side of one worker: the sandbox, the lectures (cached), a feedback writer."""

    def __init__(self, settings: Settings, slot: int, sandboxed: bool = True) -> None:
        from tools.grading import reports
        from tools.grading.sandbox import Limits, make_sandbox
        hide = [settings.storage]
        if settings.database.startswith("sqlite:///"):
            hide.append(Path(settings.database[len("sqlite:///"):]).parent)
        self.sandbox = make_sandbox(ROOT, [p for p in hide if p.exists()], require=sandboxed)
        from tools.grading.transport import WarmPool
        self.limits, self.slot = Limits(), slot
        self.pool = WarmPool(self.sandbox, self.limits, slot)   # the next kernel starts while one is graded
        self.lectures: dict = {}
        self.pages = tempfile.TemporaryDirectory(prefix="hub-grader-pages-")
        self.writer = reports.FeedbackWriter(Path(self.pages.name))

    def lecture(self, name: str):
        if name not in self.lectures:
            from tools.grading.cli import pristine_lecture
            self.lectures[name] = pristine_lecture(name)
        return self.lectures[name]

    def grade(self, row) -> store.Result:
        """The marks of one submission (its row, with content); raises GraderFault. The page comes later."""
        from tools.grading.grader import grade_submission
        from tools.grading.submission import Submission
        with tempfile.TemporaryDirectory(prefix="hub-grader-") as folder:
            path = Path(folder) / f"{row.notebook}.ipynb"
            path.write_bytes(row.content)
            graded = grade_submission(Submission(row.student, row.notebook, path), self.lecture(row.notebook),
                                      self.sandbox, self.limits, self.slot, secrets.randbits(32), self.pool)
        return store.Result(graded.marks)

    def page(self, row) -> str:
        """The feedback page of a graded submission (its row, with content and marks): the grader's page,
        from the notebook as read and planned again (plan is deterministic) and the marks stored."""
        from tools.grading.grader import Graded, Mark
        from tools.grading.submission import Refused, Submission, Unreadable, cells_of, plan, read_notebook
        lecture = self.lecture(row.notebook)
        marks = [Mark(row.student, row.notebook, m.exercise, m.points, m.max_points, m.status, m.message, m.grade_id)
                 for m in row.marks]
        with tempfile.TemporaryDirectory(prefix="hub-grader-") as folder:
            path = Path(folder) / f"{row.notebook}.ipynb"
            path.write_bytes(row.content)
            submission = Submission(row.student, row.notebook, path)
            try:
                notebook = read_notebook(path)
                graded = Graded(submission, marks, notebook, plan(lecture, cells_of(notebook)))
            except (Refused, Unreadable):
                graded = Graded(submission, marks)
        written = self.writer.write(graded, lecture)
        try:
            return written.read_text(encoding="utf-8")
        finally:
            written.unlink()

    def given_up(self, row) -> store.Result:
        """Marks for a submission whose grading stopped its worker MAX_ATTEMPTS times."""
        from mlp.exercises import contract
        from tools.grading.grader import Mark
        message = (f"not graded: grading this notebook stopped the grader {store.MAX_ATTEMPTS} times; "
                   "your teacher will look at it")
        marks = [Mark(row.student, row.notebook, s.name, 0, s.points, contract.CRASHED, message, s.grade_id)
                 for s in self.lecture(row.notebook).exercises]
        return store.Result(marks, error=message)


class Heartbeat:
    """Renews the worker's lease on what it grades, every LEASE_SECONDS / 3, in a thread."""

    def __init__(self, engine, name: str) -> None:
        self.engine, self.name, self.current = engine, name, None
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="heartbeat").start()

    def _run(self) -> None:
        while not self.stop.wait(store.LEASE_SECONDS / 3):
            try:
                store.renew(self.engine, self.name, self.current)
            except Exception as error:  # the database is away for a moment: the next beat tries again
                print(f"worker {self.name}: heartbeat failed ({type(error).__name__})", flush=True)


def run(settings: Settings, name: str, slot: int = 0, sandboxed: bool = True, stop: threading.Event | None = None) -> None:
    """Grade submissions until `stop` is set (or SIGTERM/SIGINT)."""
    stop = stop or threading.Event()
    engine = engine_for(settings.database)
    wait_for_schema(engine)
    grader = Grader(settings, slot, sandboxed)
    released = store.register(engine, name, socket.gethostname(), os.getpid())
    if released:
        print(f"worker {name}: put {released} submission(s) it held before back in the queue", flush=True)
    heartbeat = Heartbeat(engine, name)
    print(f"worker {name}: ready ({grader.sandbox.kind} sandbox, slot {slot})", flush=True)
    try:
        while not stop.is_set():
            try:
                claimed = store.claim(engine, name)
            except Exception as error:  # the database is away: wait, do not die
                print(f"worker {name}: cannot reach the database ({type(error).__name__}: {error})", flush=True)
                stop.wait(5)
                continue
            if claimed is None:
                if not render_a_page(engine, grader, name, heartbeat):
                    stop.wait(IDLE_SECONDS)
                continue
            heartbeat.current = claimed
            row = store.load(engine, claimed, content=True)
            started = time.monotonic()
            try:
                result = grader.given_up(row) if row.attempts > store.MAX_ATTEMPTS else grader.grade(row)
            except Exception as error:  # the grader's own fault (no kernel could start...): another try later
                store.give_back(engine, claimed, name, f"{type(error).__name__}: {error}")
                print(f"worker {name}: gave submission {claimed} back ({type(error).__name__}: {error})", flush=True)
                stop.wait(2)
            else:
                stored = store.finish(engine, claimed, name, result)
                print(f"worker {name}: submission {claimed} ({row.student}/{row.notebook}) graded in "
                      f"{time.monotonic() - started:.1f} s{'' if stored else ', but another worker had taken it over'}",
                      flush=True)
            finally:
                heartbeat.current = None
    finally:
        heartbeat.stop.set()
        grader.pool.close()


def render_a_page(engine, grader: Grader, name: str, heartbeat: Heartbeat) -> bool:
    """Render one feedback page that is wanted (none of the queue waits); False if there was none."""
    try:
        claimed = store.claim_page(engine, name)
    except Exception:
        return False
    if claimed is None:
        return False
    heartbeat.current = claimed
    row = store.load(engine, claimed, content=True)
    try:
        page = grader.page(row)
    except Exception as error:  # the marks stand; the page says it could not be made
        from html import escape
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(row.notebook)}</title></head><body>"
                f"<p>The feedback page of this submission could not be made ({escape(type(error).__name__)}); "
                "its marks are on your submissions page.</p></body></html>")
    finally:
        heartbeat.current = None
    store.store_page(engine, claimed, name, page)
    return True


def main(settings: Settings, name: str | None, slot: int, sandboxed: bool) -> int:
    stop = threading.Event()

    def ask_to_stop(signum, _frame) -> None:
        if stop.is_set():   # asked twice: go now (what is held goes back when this name starts again)
            raise SystemExit(128 + signum)
        stop.set()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    run(settings, name or f"{socket.gethostname()}-{slot}", slot, sandboxed, stop)
    return 0
