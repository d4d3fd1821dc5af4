"""Feedback pages rendered where a limit can stop them: nbconvert runs in a child process with its own
memory and CPU limits (PAGE_MEMORY, PAGE_SECONDS) and a wall-clock deadline, so that no submission's
content (a markdown cell of nested brackets costs nbconvert quadratic time) holds the grader.

Children are forked from a clean forkserver that has nbconvert loaded and its templates compiled
(page_preload.py; a page then costs a fork and its rendering, not an interpreter start); where there is
no forkserver (Windows), pages are rendered in the grader's process.

MathJax: MathJax 3's single-file tex-svg.js from tools/npm (the copy the course's website uses; SVG
output needs no font files), copied to FEEDBACK/.mathjax/ with a configuration file of ours, both loaded
by the pages as scripts of their own folder tree (script-src 'self'); the page runs nothing else.
"""
from __future__ import annotations

import multiprocessing
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATHJAX = ROOT / "tools" / "npm" / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
FOLDER = ".mathjax"   # a student's folder never starts with a dot: no page folder can be this one
CONFIG = ("window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], processEscapes: true},\n"
          "                  options: {enableMenu: false}, svg: {fontCache: 'global'}};\n")
PAGE_SECONDS = 10.0  # an honest page renders in under a second (the first, with the forkserver, in 4 s)
PAGE_MEMORY = 1 * 2**30  # beyond what the forked process has mapped already
PAGE_BYTES = 64 * 2**20
SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.S | re.I)


class PageFailed(Exception):
    """The page could not be rendered within its limits; the message says why."""


def install_mathjax(feedback: Path) -> bool:
    """Copy MathJax next to the pages; False (formulas then show as TeX) if tools/npm has none."""
    if not MATHJAX.is_file():
        return False
    target = feedback / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MATHJAX, target / "tex-svg.js")
    (target / "config.js").write_text(CONFIG, encoding="utf-8")
    return True


_WARM: list = []  # the forkserver's exporter, built and run once there (see page_preload.py)


def _exporter():
    if _WARM:
        return _WARM[0]
    from nbconvert import HTMLExporter
    return HTMLExporter(template_name="lab")


def warm() -> None:
    """Build nbconvert's exporter and render one small page with it: its templates are then compiled in this
    process and in every process forked from it (a page then takes 0.1 s, not 1 s)."""
    import nbformat
    exporter = _exporter()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("$x$"), nbformat.v4.new_code_cell("x = 1")]
    exporter.from_notebook_node(notebook)
    _WARM.append(exporter)


def html(notebook, title: str, mathjax: bool) -> str:
    """The page: nbconvert's, with every script of its template removed and ours (MathJax) in its head."""
    from . import reports
    body, _ = _exporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    body = SCRIPT.sub("", body)
    scripts = ('<script src="../.mathjax/config.js"></script>\n<script src="../.mathjax/tex-svg.js"></script>\n'
               if mathjax else "")
    head = reports.POLICY + "\n" + scripts
    return body.replace("<head>", "<head>\n" + head, 1) if "<head>" in body else head + body


def _address_space() -> int:
    """This process's virtual size in bytes (what it has mapped already: libraries, BLAS buffers), 0 if unknown."""
    try:
        import os
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(connection, notebook, title: str, mathjax: bool, memory: int, seconds: float) -> None:
    try:
        import resource
        for name, value in (("RLIMIT_AS", _address_space() + memory), ("RLIMIT_CPU", int(seconds) + 1),
                            ("RLIMIT_CORE", 0)):
            resource.setrlimit(getattr(resource, name), (value, value))
    except (ImportError, ValueError, OSError):
        pass
    try:
        page = html(notebook, title, mathjax)
        connection.send(("ok", page) if len(page) < PAGE_BYTES else ("failed", "the page would be too large"))
    except MemoryError:
        connection.send(("failed", "rendering it needed more memory than a page may have"))
    except RecursionError:
        connection.send(("failed", "it nests too deeply to render"))
    except Exception as error:  # nbconvert refused the content: the page says so, the grading goes on
        connection.send(("failed", f"it could not be rendered ({type(error).__name__})"))


_CONTEXT: list = []


def _context():
    if not _CONTEXT:
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["tools.grading.page_preload"])
        except ValueError:
            context = None
        _CONTEXT.append(context)
    return _CONTEXT[0]


def page(notebook, title: str, mathjax: bool) -> str:
    """The HTML of one feedback page, rendered within the limits; raises PageFailed."""
    context = _context()
    if context is None:
        return html(notebook, title, mathjax)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, notebook, title, mathjax, PAGE_MEMORY, PAGE_SECONDS),
                            daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(PAGE_SECONDS):
            raise PageFailed(f"rendering it took longer than {PAGE_SECONDS:g} s")
        status, text = receive.recv()
    except (EOFError, OSError):
        raise PageFailed("rendering it went over the memory or time a page may take") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if status != "ok":
        raise PageFailed(text)
    return text
