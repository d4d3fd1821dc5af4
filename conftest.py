"""Notebook validation: solutions/ strictly (every stored output compared), lectures/ laxly (errors only).

nbval's own --nbval/--nbval-lax apply one mode to every notebook; here each notebook folder gets
its mode, so that one `pytest` run checks both.
"""
import sys
from pathlib import Path

from nbval.plugin import IPyNbFile

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
from blas_env import pin_blas  # noqa: E402

pin_blas()  # before any kernel starts: the stored outputs were made with the same BLAS kernels

STRICT = {"solutions": True, "lectures": False}


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".ipynb" or file_path.parent.name not in STRICT:
        return None
    if parent.config.option.nbval or parent.config.option.nbval_lax:
        return None  # nbval's own flags given: nbval collects
    notebook = IPyNbFile.from_parent(parent, path=file_path)
    notebook.compare_outputs = STRICT[file_path.parent.name]
    return notebook
