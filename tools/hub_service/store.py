"""What happens to a submission, in the database: accepted under the notebook's rules, queued, claimed by a
worker, graded (or failed), and counted in the gradebook.

The queue is the `submissions` table. A worker claims the oldest submission that is queued (those waiting
for a first verdict before those put back by `regrade`), or whose
worker's lease ran out (the worker died: killed, its machine gone, the service restarted), with ONE
statement, `UPDATE ... WHERE id = (SELECT id ... LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING id`:
PostgreSQL skips rows another worker holds; SQLite runs the statement as one write transaction. Each claim
counts an attempt; a submission claimed more than MAX_ATTEMPTS times (its grading keeps killing its worker)
is marked failed instead of being tried forever, so no submission can stop the queue.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from .db import DONE, FAILED, GRADING, QUEUED, Mark, Submission, Worker, utcnow
from .settings import Settings

MAX_ATTEMPTS = 3
REGRADED = Submission.finished_at.is_not(None)   # a queued submission put back by regrade (no first verdict is)
QUEUE_ORDER = (REGRADED, Submission.id)          # first verdicts, then regrades; oldest first
LEASE_SECONDS = 30.0      # a worker renews its lease every LEASE_SECONDS / 3 while it grades


class Refused(Exception):
    """The submission is not accepted; `status` is the HTTP status, the message says why and what to do."""

    def __init__(self, status: int, message: str, wait_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.status, self.message, self.wait_seconds = status, message, wait_seconds


def aware(when: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as an aware one."""
    return when.replace(tzinfo=dt.timezone.utc)


def folder_of(student: str) -> str:
    """One path component for a student's folder, whatever the hub's user name holds."""
    from tools.grading.reports import folder_name
    return folder_name(student)


def _lock(session: Session, student: str, notebook: str) -> None:
    """PostgreSQL: one submission of a student's notebook accepted at a time (the rate limit holds across
    service processes). SQLite has one writer at a time anyway."""
    if session.bind.dialect.name == "postgresql":
        key = zlib.crc32(f"{student}\0{notebook}".encode()) - 2**31
        session.execute(select(func.pg_advisory_xact_lock(key)))


def accept(engine: Engine, settings: Settings, student: str, notebook: str, content: bytes,
           now: dt.datetime | None = None) -> Submission:
    """Store a student's notebook (on disk, then in the database, in one transaction) and queue it.
    Raises Refused when a rule says no (the rate limit: with the seconds to wait)."""
    from tools.grading.submission import MAX_NOTEBOOK_BYTES
    if len(content) > MAX_NOTEBOOK_BYTES:
        raise Refused(413, f"the notebook is {len(content) / 2**20:.0f} MB, more than a notebook of this course can be "
                           f"({MAX_NOTEBOOK_BYTES // 2**20} MB): clear its outputs (Edit > Clear Outputs of All Cells), "
                           "save it and submit again")
    now = now or utcnow()
    rules = settings.rules(notebook)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _lock(session, student, notebook)
        if rules.rate_minutes:
            last = session.scalar(select(func.max(Submission.submitted_at)).where(
                Submission.student == student, Submission.notebook == notebook, Submission.state != FAILED))
            if last is not None:
                wait = (last + dt.timedelta(minutes=rules.rate_minutes) - now).total_seconds()
                if wait > 0:
                    raise Refused(429, f"you may submit {notebook} once every {rules.rate_minutes:g} minutes: "
                                       f"submit again in {wait_text(wait)}", wait)
        digest = hashlib.sha256(content).hexdigest()
        relative = Path("submissions") / folder_of(student) / notebook / f"{now:%Y%m%dT%H%M%S%f}-{digest[:12]}.ipynb"
        write_durably(settings.storage / relative, content)
        row = Submission(student=student, notebook=notebook, content=content, sha256=digest, path=str(relative),
                         submitted_at=now, late=rules.is_late(aware(now)), state=QUEUED, attempts=0, marks=[])
        session.add(row)
    return row


def write_durably(path: Path, content: bytes) -> None:
    """The file and its folder entry on disk (fsync) before the database hears of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def wait_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


# --- the queue ---------------------------------------------------------------------------------------

def claim(engine: Engine, worker: str, lease_seconds: float = LEASE_SECONDS) -> int | None:
    """The id of the submission this worker now grades (its attempts counted), or None if there is none."""
    now = utcnow()
    claimable = (Submission.state == QUEUED) | ((Submission.state == GRADING) & (Submission.lease_until < now))
    return _take_first(engine, claimable, state=GRADING, worker=worker,
                       lease_until=now + dt.timedelta(seconds=lease_seconds), started_at=now,
                       attempts=Submission.attempts + 1)


def claim_page(engine: Engine, worker: str, lease_seconds: float = LEASE_SECONDS) -> int | None:
    """A graded submission whose feedback page is still to be rendered (workers render pages when no
    submission waits: the verdict comes first), or None. Its lease keeps other workers off it."""
    now = utcnow()
    wanted = ((Submission.state == DONE) & Submission.feedback.is_(None)
              & (Submission.lease_until.is_(None) | (Submission.lease_until < now)))
    return _take_first(engine, wanted, worker=worker, lease_until=now + dt.timedelta(seconds=lease_seconds))


def _take_first(engine: Engine, condition, **values) -> int | None:
    """Set `values` on the first submission meeting `condition` in the queue's order, in one statement, and return
    its id (or None): PostgreSQL skips rows other workers hold (FOR UPDATE SKIP LOCKED); SQLite's write
    transaction is one at a time."""
    pick = select(Submission.id).where(condition).order_by(*QUEUE_ORDER).limit(1)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        return connection.execute(update(Submission).where(Submission.id == pick.scalar_subquery())
                                  .values(**values).returning(Submission.id)).scalar()


def store_page(engine: Engine, submission: int, worker: str, page: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(Submission).where(Submission.id == submission, Submission.worker == worker,
                                                    Submission.state == DONE)
                           .values(feedback=page, lease_until=None))


def renew(engine: Engine, worker: str, submission: int | None, lease_seconds: float = LEASE_SECONDS) -> None:
    """The worker is alive: its lease on `submission` is extended, and it is seen."""
    now = utcnow()
    with engine.begin() as connection:
        if submission is not None:
            connection.execute(update(Submission).where(Submission.id == submission, Submission.worker == worker,
                                                        Submission.state.in_((GRADING, DONE)))
                               .values(lease_until=now + dt.timedelta(seconds=lease_seconds)))
        connection.execute(update(Worker).where(Worker.name == worker).values(seen_at=now))


def register(engine: Engine, worker: str, host: str, pid: int) -> int:
    """A worker (re)starts under its name: what it held before it stopped goes back to the queue at once."""
    now = utcnow()
    with Session(engine) as session, session.begin():
        released = session.execute(update(Submission).where(Submission.state == GRADING, Submission.worker == worker)
                                   .values(state=QUEUED, worker=None, lease_until=None)).rowcount
        row = session.get(Worker, worker)
        if row is None:
            session.add(Worker(name=worker, host=host, pid=pid, started_at=now, seen_at=now, graded=0))
        else:
            row.host, row.pid, row.started_at, row.seen_at = host, pid, now, now
    return released


@dataclass(frozen=True)
class Result:
    """What grading a submission gave, to be stored."""

    marks: list                  # tools.grading.grader.Mark
    feedback: str | None = None  # the feedback page (None: a worker renders it when the queue is empty)
    error: str | None = None


def finish(engine: Engine, submission: int, worker: str, result: Result) -> bool:
    """Store the marks, if the submission is still this worker's (else another worker took it over: False)."""
    points = sum(m.points for m in result.marks)
    most = sum(m.max_points for m in result.marks)
    with Session(engine) as session, session.begin():
        done = session.execute(update(Submission).where(Submission.id == submission, Submission.worker == worker,
                                                        Submission.state == GRADING)
                               .values(state=FAILED if result.error else DONE, finished_at=utcnow(), lease_until=None,
                                       points=points, max_points=most, feedback=result.feedback, error=result.error)
                               ).rowcount
        if not done:
            return False
        session.add_all(Mark(submission_id=submission, exercise=m.exercise, grade_id=m.grade_id, points=m.points,
                             max_points=m.max_points, status=m.status, message=m.message) for m in result.marks)
        session.execute(update(Worker).where(Worker.name == worker).values(graded=Worker.graded + 1, seen_at=utcnow()))
    return True


def give_back(engine: Engine, submission: int, worker: str, error: str) -> None:
    """The grader failed on its own side (not the submission's doing): back to the queue for another try."""
    with engine.begin() as connection:
        connection.execute(update(Submission).where(Submission.id == submission, Submission.worker == worker,
                                                    Submission.state == GRADING)
                           .values(state=QUEUED, worker=None, lease_until=None, error=error[:2000]))


def load(engine: Engine, submission: int, content: bool = False, feedback: bool = False) -> Submission | None:
    options = [selectinload(Submission.marks)]
    from sqlalchemy.orm import undefer
    options += [undefer(Submission.content)] if content else []
    options += [undefer(Submission.feedback)] if feedback else []
    with Session(engine, expire_on_commit=False) as session:
        return session.scalar(select(Submission).where(Submission.id == submission).options(*options))


def ahead_of(engine: Engine, submission: Submission) -> int:
    """How many submissions are graded before this one (those being graded included)."""
    earlier = Submission.id < submission.id
    before = (~REGRADED & earlier) if submission.finished_at is None else (~REGRADED | earlier)
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Submission).where(
            ((Submission.state == QUEUED) & before) | (Submission.state == GRADING))) or 0


def regrade(engine: Engine, notebook: str | None = None, student: str | None = None) -> int:
    """Put graded and failed submissions (of `notebook`, of `student`) back in the queue, behind those waiting
    for a first verdict: their marks and feedback pages are made again by the workers' checks (after a fix of
    the course: restart the service first, so that they load it). The notebooks stay as submitted."""
    condition = Submission.state.in_((DONE, FAILED))
    if notebook:
        condition &= Submission.notebook == notebook
    if student:
        condition &= Submission.student == student
    with Session(engine) as session, session.begin():
        session.execute(delete(Mark).where(Mark.submission_id.in_(select(Submission.id).where(condition))))
        return session.execute(update(Submission).where(condition).values(
            state=QUEUED, worker=None, lease_until=None, attempts=0, points=None, max_points=None, feedback=None,
            error=None)).rowcount


def of_student(engine: Engine, student: str, notebook: str | None = None) -> list[Submission]:
    """A student's submissions, newest first."""
    query = select(Submission).where(Submission.student == student).options(selectinload(Submission.marks))
    if notebook:
        query = query.where(Submission.notebook == notebook)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query.order_by(Submission.id.desc())))


# --- the gradebook -----------------------------------------------------------------------------------

@dataclass
class Cell:
    """One student's notebook in the gradebook: the submission that counts and all of them."""

    counted: Submission | None
    submissions: list[Submission]

    @property
    def pending(self) -> int:
        return sum(s.state in (QUEUED, GRADING) for s in self.submissions)


def counted(submissions: list[Submission], counts: str) -> Submission | None:
    """The submission that is the mark: the latest graded one, or the best (of equal points the latest)."""
    graded = [s for s in submissions if s.state == DONE]
    if not graded:
        return None
    if counts == "latest":
        return max(graded, key=lambda s: s.id)
    return max(graded, key=lambda s: (s.points or 0.0, s.id))


def gradebook(engine: Engine, settings: Settings) -> tuple[list[str], list[str], dict[tuple[str, str], Cell]]:
    """(students, notebooks, {(student, notebook): Cell}) over every submission."""
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.scalars(select(Submission).options(selectinload(Submission.marks)).order_by(Submission.id)))
    grouped: dict[tuple[str, str], list[Submission]] = {}
    for row in rows:
        grouped.setdefault((row.student, row.notebook), []).append(row)
    cells = {key: Cell(counted(subs, settings.rules(key[1]).counts), subs) for key, subs in grouped.items()}
    students = sorted({s for s, _ in grouped} | set(settings.students))
    notebooks = sorted({n for _, n in grouped})
    return students, notebooks, cells


def workers(engine: Engine) -> list[Worker]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(Worker).order_by(Worker.name)))
