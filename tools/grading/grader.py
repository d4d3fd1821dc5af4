"""Grading: one submission through its sandboxed worker, and many in parallel (one worker per core).

For each step of the rebuilt notebook (see submission.plan) the grader sends the cell to the
worker, or, at a check cell, runs that exercise's pristine `check` here, in the grader's process,
with a seed of its own, through a SandboxTransport. The student's code can only answer requests;
it never sees the check, its expected values or the seed before the inputs arrive.
"""
from __future__ import annotations

import concurrent.futures
import os
import queue
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from mlp.exercises.core import Verdict

from .sandbox import Limits, Sandbox
from .submission import Lecture, Submission, Unreadable, plan, read_cells
from .transport import SandboxTransport, Worker, WorkerLost


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


class GraderFault(Exception):
    """Something went wrong that is not the submission's doing; the command then exits non-zero."""


def _seed(base: int | None, *parts: str) -> int:
    """The inputs' seed for one check: fresh every run, or reproducible from --seed; never the notebook's own."""
    seed = secrets.randbits(32) if base is None else zlib.crc32(":".join([str(base), *parts]).encode())
    notebook_default = zlib.crc32(f"Exercise {parts[-1]}".encode())
    return seed if seed != notebook_default else seed ^ 0x5EED


def _where(step, lecture: Lecture) -> str:
    what = f"your code for {step.answers}" if step.from_student and step.answers else "a cell of the lecture"
    return f"cell {step.index + 1} ({what})"


def grade_submission(submission: Submission, lecture: Lecture, sandbox: Sandbox, limits: Limits, slot: int,
                     seed: int | None = None) -> list[Mark]:
    """The marks of one submission; never raises for anything the submission does."""
    exercises = lecture.exercises

    def rows(status_of: Callable) -> list[Mark]:
        return [status_of(step) for step in exercises]

    try:
        cells = read_cells(submission.path)
    except Unreadable as error:
        return rows(lambda s: Mark(submission.student, submission.notebook, s.name, 0, s.points, "unreadable",
                                   str(error), s.grade_id))
    steps = plan(lecture, cells)
    marks: list[Mark] = []
    lost: WorkerLost | None = None
    worker = None
    try:
        worker = Worker(sandbox, limits, slot, lecture.topic)
    except WorkerLost as error:  # before any of the submission ran: the grader's fault, or the machine's
        raise GraderFault(f"no kernel could be started ({error.message})") from None
    try:
        for step in steps:
            if step.kind == "run":
                if lost:
                    continue
                try:
                    worker.ask({"op": "cell", "source": step.source}, limits.cell_seconds)
                except WorkerLost as error:
                    lost = WorkerLost(error.status, f"{_where(step, lecture)}: {error.message}")
            elif step.kind == "check":
                if lost:
                    verdict = Verdict(step.exercise.label, lost.status, f"not checked: {lost.message}")
                else:
                    verdict = step.exercise.check(SandboxTransport(worker, limits.cell_seconds),
                                                  _seed(seed, submission.student, submission.notebook, step.name))
                    if worker.lost and not lost:
                        lost = WorkerLost(worker.lost.status, f"the check of {step.exercise.label}: {worker.lost.message}")
                marks.append(Mark(submission.student, submission.notebook, step.name,
                                  step.points if verdict.passed else 0, step.points, verdict.status,
                                  _one_line(verdict.message), step.grade_id))
            elif step.kind == "manual":
                answered = step.source.strip() and "*Your answer here.*" not in step.source
                marks.append(Mark(submission.student, submission.notebook, step.name, 0, step.points, "manual",
                                  "graded by hand" if answered else "graded by hand; no answer written",
                                  step.grade_id))
    finally:
        if worker is not None:
            worker.close()
    return marks


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:1000]


def grade_all(work: list[tuple[Submission, Lecture]], sandbox: Sandbox, limits: Limits, jobs: int | None = None,
              seed: int | None = None, progress: Callable[[Submission, list[Mark]], None] | None = None,
              faults: list[str] | None = None) -> dict[Submission, list[Mark]]:
    """Grade every (submission, lecture) pair, `jobs` at a time (default: one per core); what failed on
    the grader's side (not the submission's) is added to `faults`."""
    faults = [] if faults is None else faults
    jobs = max(1, jobs or os.cpu_count() or 1)
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    results: dict[Submission, list[Mark]] = {}

    def one(submission: Submission, lecture: Lecture) -> list[Mark]:
        slot = slots.get()
        try:
            return grade_submission(submission, lecture, sandbox, limits, slot, seed)
        except Exception as error:  # a fault of the grader itself: this submission is reported, the others go on
            faults.append(f"{submission.student}/{submission.notebook}: {type(error).__name__}: {error}")
            return [Mark(submission.student, submission.notebook, s.name, 0, s.points, "crashed",
                         f"not graded: the grader failed on this notebook ({error})", s.grade_id)
                    for s in lecture.exercises]
        finally:
            slots.put(slot)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, submission, lecture): submission for submission, lecture in work}
        for future in concurrent.futures.as_completed(futures):
            submission = futures[future]
            results[submission] = future.result()
            if progress:
                progress(submission, results[submission])
    return results
