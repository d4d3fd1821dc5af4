"""Notebook validation: solutions/ strictly (every stored output compared), lectures/ for their stubs.

nbval's own --nbval/--nbval-lax apply one mode to every notebook; here each folder gets its own,
so that one `pytest` run checks both and runs each notebook once:
- solutions: every cell runs and prints what is stored (strict nbval);
- lectures: no cell fails, except the cells tagged raises-exception, and each of those must stop at
  an exercise stub (NotImplementedError "Exercise N.M: write your code here", or the check's
  NotAttempted verdict naming the exercise): nbval alone cannot tell that a tagged cell raised.
"""
import re
from pathlib import Path

from tools.blas_env import pin_blas

ROOT = Path(__file__).resolve().parent
pin_blas()  # before any kernel starts: the stored outputs were made with the same BLAS kernels

try:
    from nbval.plugin import IPyNbCell, IPyNbFile
except ImportError:  # the unit tests run without nbval; the notebooks are then not collected
    IPyNbCell = IPyNbFile = None

NBVAL_OPTIONS = {  # nbval's settings for this course (here, so that pytest runs without nbval too)
    "nbval_current_env": True,
    "nbval_sanitize_with": str(ROOT / "tests" / "sanitize.cfg"),
    "nbval_cell_timeout": 120,
}


def pytest_configure(config):
    if IPyNbFile is None:
        return
    for name, value in NBVAL_OPTIONS.items():
        if getattr(config.option, name, None) in (None, False, 2000):  # nbval's defaults: not set by the user
            setattr(config.option, name, value)

STRICT = {"solutions": True, "lectures": False}
UNSOLVED = {"NotImplementedError", "NotAttempted"}
LABEL = re.compile(r"^(Exercise \d+\.\d+):")


class LectureCell(IPyNbCell or object):
    """A lecture cell: it runs as nbval runs it, and a cell tagged raises-exception must stop at a stub."""

    def runtest(self):
        super().runtest()
        if "raises-exception" not in self.cell.metadata.get("tags", []):
            return
        errors = [o for o in self.test_outputs or [] if o.get("output_type") == "error"]
        if not errors:
            self.raise_cell_error("tagged raises-exception, but it raised nothing: does the exercise's stub still raise?")
        error = errors[0]
        if error["ename"] not in UNSOLVED or not LABEL.match(error["evalue"]):
            self.raise_cell_error(f"raised {error['ename']}: {error['evalue']} instead of an exercise stub's "
                                  "NotImplementedError", "\n".join(error["traceback"]))


class Lecture(IPyNbFile or object):
    compare_outputs = False

    def collect(self):
        for cell in super().collect():
            yield LectureCell.from_parent(self, name=cell.name, cell_num=cell.cell_num, cell=cell.cell,
                                          options=cell.options)


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".ipynb" or file_path.parent.name not in STRICT or IPyNbFile is None:
        return None
    if parent.config.option.nbval or parent.config.option.nbval_lax:
        return None  # nbval's own flags given: nbval collects
    if STRICT[file_path.parent.name]:
        notebook = IPyNbFile.from_parent(parent, path=file_path)
        notebook.compare_outputs = True
        return notebook
    return Lecture.from_parent(parent, path=file_path)
