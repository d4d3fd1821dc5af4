"""How a verdict looks in a notebook: one marked message, and the student's own frames if their code raised.

IPython shows `ExerciseError._render_traceback_()` instead of a traceback (JupyterLab, Notebook 7,
VS Code and nbval all go through it). `install()` also makes an unsolved stub used by any other
cell say which exercise it needs, in one line instead of a traceback.
"""
from __future__ import annotations

from .contract import CRASHED, NOT_ATTEMPTED, TIMEOUT, stub_label

RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def render_verdict(verdict) -> list[str]:
    """The lines shown under a check cell whose exercise is not right yet."""
    head = {NOT_ATTEMPTED: "is not solved yet", TIMEOUT: "took too long", CRASHED: "stopped the kernel"}
    if verdict.headline:  # one line says it all
        return [f"{RED}{BOLD}✘ {verdict.headline}{RESET}"]
    lines = [f"{RED}{BOLD}✘ {verdict.label} {head.get(verdict.status, 'is not right yet')}{RESET}", verdict.message]
    if verdict.details:
        lines += ["", "Where your code raised it:", verdict.details]
    return lines


def _unsolved_stub(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for NotImplementedError: a stub gets one line, anything else the usual traceback."""
    label = stub_label(value)
    if hasattr(value, "_render_traceback_"):  # a check cell's verdict on an unsolved exercise
        stb = value._render_traceback_()
    elif label is None:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    else:
        stb = [f"{RED}{BOLD}✘ This cell needs {label}, which is not solved yet.{RESET}",
               f"Write your code where {label} says raise NotImplementedError(...), run that cell, then this one."]
    shell._showtraceback(etype, value, stb)


def install() -> None:
    """Register the stub handler with the running IPython (a no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "_showtraceback") and NotImplementedError not in shell.custom_exceptions:
        shell.set_custom_exc((NotImplementedError,), _unsolved_stub)
