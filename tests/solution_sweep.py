"""Helpers for the tests that run a notebook's own solutions through its checks: the answers read from
the solution notebook, a run over many seeds and several students at once, and a record of which of
mlp's objects a check's scenarios call while the student's code runs (so that no scenario calls the
code an exercise declares as its `answer`)."""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np

import mlp
from mlp.exercises import watch
from mlp.exercises.contract import is_answer_cell
from mlp.exercises.core import InProcess

ROOT = Path(__file__).resolve().parents[1]


def solution_answers(notebook: str, **bound) -> dict[str, object]:
    """The objects the answer cells of solutions/<notebook>.ipynb define, run with numpy, mlp and `bound`
    (the names the notebook binds for the student, such as Node)."""
    namespace = {"np": np, "mlp": mlp, **bound}
    for cell in nbformat.read(ROOT / "solutions" / f"{notebook}.ipynb", as_version=4).cells:
        if is_answer_cell(cell.cell_type, cell.source, cell.metadata.get("nbgrader", {})):
            exec(compile(cell.source, f"<{notebook} answer>", "exec"), namespace)
    return namespace


def failures(checks, answers: dict, seeds) -> list[tuple[str, int, str]]:
    """(exercise, seed, message) for every seed at which a check refuses the given answers."""
    found = []
    for seed in seeds:
        for check in checks:
            verdict = check.check(InProcess({name: answers[name] for name in check.targets}), seed)
            if not verdict.passed:
                found.append((check.number, seed, verdict.message))
    return found


def verdicts_at_once(jobs, workers: int = 4) -> list:
    """[(check, objects, seed), ...] judged by `workers` threads at once: several students in one process."""
    def judge(job):
        check, objects, seed = job
        verdict = check.check(InProcess(objects), seed)
        return verdict.status, verdict.message

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(judge, jobs))


class Watching(InProcess):
    """The notebook's transport, recording in `seen` the qualified name of every function of the dotted
    `names` (watch.codes) called while the student's code (or a scenario beside it) runs: what the
    toolkit's watcher would object to."""

    def __init__(self, objects: dict, names: tuple[str, ...]) -> None:
        super().__init__(objects)
        self.codes, self.seen = set(watch.codes(names)), set()

    def answer(self, request: dict) -> dict:
        def profile(frame, event, arg):
            if event == "call" and frame.f_code in self.codes:
                self.seen.add(frame.f_code.co_qualname)

        sys.setprofile(profile)
        try:
            return super().answer(request)
        finally:
            sys.setprofile(None)
