"""Grading: one submission through its sandboxed worker, and many in parallel (one worker per core).

For each step of the rebuilt notebook (see submission.plan) the grader sends the cell to the
worker, or, at a check cell, runs that exercise's pristine `check` here, in the grader's process,
with a seed of its own (contract.grader_seed), through a SandboxTransport. The student's code can
only answer requests; it never sees the check, its expected values or the seed before the inputs
arrive. An answer cell that mlp.exercises.review sends to review never runs: its exercise gets
status "review" and 0 points, with the reasons.

Time is shared fairly: submissions are taken student by student in turn (each student's first
notebook, then each one's second, ...), and each student has a budget of Limits.student_seconds
for all of their notebooks, so a student whose code stalls costs the class at most that.
"""
from __future__ import annotations

import concurrent.futures
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from mlp.exercises import contract
from mlp.exercises.core import Verdict

from .sandbox import Limits, Sandbox
from .submission import Lecture, Refused, Step, Submission, Unreadable, cells_of, clean, plan, read_notebook
from .transport import SandboxTransport, WarmPool, Worker, WorkerLost


@dataclass(frozen=True)
class Mark:
    """One row of grades.csv."""

    student: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str
    grade_id: str = ""


@dataclass
class Graded:
    """What grading one submission gave: its marks, the notebook as read (for its feedback page, or None
    when it could not be read) and the planned steps (the answers sent to review carry their code)."""

    submission: Submission
    marks: list[Mark]
    notebook: dict | None = None
    steps: list[Step] = field(default_factory=list)


class GraderFault(Exception):
    """Something went wrong that is not the submission's doing; the command then exits non-zero."""


def _where(step: Step) -> str:
    what = f"your code for {step.answers}" if step.from_student and step.answers else "a cell of the lecture"
    return f"cell {step.index + 1} ({what})"


def one_line(text: str, most: int = 1000) -> str:
    return " ".join(clean(str(text)).split())[:most]


def review_message(reasons: tuple[str, ...]) -> str:
    return one_line("not run: your teacher reviews this answer, 0 points until then: " + "; ".join(reasons), 2000)


def grade_submission(submission: Submission, lecture: Lecture, sandbox: Sandbox, limits: Limits, slot: int,
                     seed: int = 0, pool: WarmPool | None = None) -> Graded:
    """The marks of one submission; never raises for anything the submission does. `pool`: take the worker
    from it (already started) instead of starting one (the hub service's workers keep one each)."""
    def every(status: str, message: str) -> list[Mark]:
        return [Mark(submission.student, submission.notebook, s.name, 0, s.points, status, message, s.grade_id)
                for s in lecture.exercises]

    try:
        notebook = read_notebook(submission.path)
        cells = cells_of(notebook)
    except Refused as error:
        return Graded(submission, every(contract.REFUSED, str(error)))
    except Unreadable as error:
        return Graded(submission, every(contract.UNREADABLE, str(error)))
    steps = plan(lecture, cells)
    reviewed = {s.answers: s.review for s in steps if s.review}
    graded = Graded(submission, [], notebook, steps)
    marks = graded.marks
    lost: WorkerLost | None = None
    if limits.notebook_seconds <= 0:
        lost = WorkerLost(contract.TIMEOUT, "your notebooks together ran longer than the grader allows one student "
                                            f"({limits.student_seconds:g} s); this one was not run")
    worker = None
    try:
        if not lost:
            try:
                worker = pool.take(lecture.topic, limits) if pool else Worker(sandbox, limits, slot, lecture.topic)
            except WorkerLost as error:  # before any of the submission ran: the grader's fault, or the machine's
                raise GraderFault(f"no kernel could be started ({error.message})") from None
        for step in steps:
            if step.kind == "run":
                if lost:
                    continue
                try:
                    worker.ask({"op": "cell", "source": step.source},
                               limits.answer_seconds if step.from_student else limits.cell_seconds)
                except WorkerLost as error:
                    lost = WorkerLost(error.status, f"{_where(step)}: {error.message}")
            elif step.kind == "check":
                if step.exercise.label in reviewed:
                    verdict = Verdict(step.exercise.label, contract.REVIEW, review_message(reviewed[step.exercise.label]))
                elif lost:
                    verdict = Verdict(step.exercise.label, lost.status, f"not checked: {lost.message}")
                else:
                    verdict = step.exercise.check(SandboxTransport(worker, limits.call_seconds, step.exercise.number),
                                                  contract.grader_seed(seed, submission.student, submission.notebook,
                                                                       step.name))
                    if worker.lost and not lost:
                        lost = WorkerLost(worker.lost.status, f"the check of {step.exercise.label}: {worker.lost.message}")
                marks.append(Mark(submission.student, submission.notebook, step.name,
                                  step.points if verdict.passed else 0, step.points, verdict.status,
                                  one_line(verdict.message), step.grade_id))
            elif step.kind == "manual":
                answered = not contract.is_markdown_stub(step.source)
                marks.append(Mark(submission.student, submission.notebook, step.name, 0, step.points, contract.MANUAL,
                                  "graded by hand" if answered else "graded by hand; no answer written",
                                  step.grade_id))
    finally:
        if worker is not None:
            worker.close()
    return graded


def in_turn(work: list[tuple[Submission, Lecture]]) -> list[tuple[Submission, Lecture]]:
    """Every student's first submission, then every student's second, ...: no student's notebooks all come first."""
    by_student: dict[str, list] = {}
    for pair in work:
        by_student.setdefault(pair[0].student, []).append(pair)
    rounds = max((len(v) for v in by_student.values()), default=0)
    return [pairs[k] for k in range(rounds) for pairs in by_student.values() if k < len(pairs)]


def grade_all(work: list[tuple[Submission, Lecture]], sandbox: Sandbox, limits: Limits, jobs: int | None = None,
              seed: int | None = None, progress: Callable[[Graded], None] | None = None,
              faults: list[str] | None = None) -> dict[Submission, list[Mark]]:
    """Grade every (submission, lecture) pair, `jobs` at a time (default: one per core), students in turn;
    what failed on the grader's side (not the submission's) is added to `faults`. `seed`: reproducible
    inputs; None draws a fresh base seed for this run."""
    faults = [] if faults is None else faults
    base = secrets.randbits(32) if seed is None else seed
    jobs = max(1, jobs or os.cpu_count() or 1)
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    spent: dict[str, float] = {}
    lock = threading.Lock()
    results: dict[Submission, list[Mark]] = {}

    def one(submission: Submission, lecture: Lecture) -> Graded:
        graded = grade_one(submission, lecture)
        if progress:  # here, in the pool: one slow feedback page holds no other student's results
            try:
                progress(graded)
            except Exception as error:  # e.g. a page that could not be written: the others go on
                faults.append(f"{clean(submission.student)}/{submission.notebook}: its feedback page: "
                              f"{type(error).__name__}: {clean(str(error))}")
        return graded

    def grade_one(submission: Submission, lecture: Lecture) -> Graded:
        slot = slots.get()
        started = time.monotonic()
        with lock:
            left = limits.student_seconds - spent.get(submission.student, 0.0)
        try:
            own = replace(limits, notebook_seconds=max(0.0, min(limits.notebook_seconds, left)))
            return grade_submission(submission, lecture, sandbox, own, slot, base)
        except Exception as error:  # a fault of the grader itself: this submission is reported, the others go on
            faults.append(f"{clean(submission.student)}/{submission.notebook}: {type(error).__name__}: {clean(str(error))}")
            return Graded(submission, [Mark(submission.student, submission.notebook, s.name, 0, s.points,
                                            contract.CRASHED, one_line(f"not graded: the grader failed on this "
                                                                       f"notebook ({error})"), s.grade_id)
                                       for s in lecture.exercises])
        finally:
            with lock:
                spent[submission.student] = spent.get(submission.student, 0.0) + time.monotonic() - started
            slots.put(slot)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, submission, lecture): submission for submission, lecture in in_turn(work)}
        for future in concurrent.futures.as_completed(futures):
            graded = future.result()
            results[graded.submission] = graded.marks
    return results
