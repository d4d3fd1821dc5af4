"""The course website, built as `python3 course.py site` builds it, served on 127.0.0.1 and opened in Chromium.

- Every solution has a page; no page of a notebook shows a solution marker or a hidden test.
- Every lecture is downloadable from the page "Lectures to download", byte for byte.
- README.md and TEACHING.md (when there is one) are pages.
- In Chromium, the page of notebook 01 renders its formulas with the local MathJax (no TeX source
  left, no MathJax error), shows every stored figure, and no request leaves 127.0.0.1.

Run with `python3 course.py test -m site` (left out of the plain `python3 course.py test`).
"""
from __future__ import annotations

import functools
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
FIRST = "01_linear_regression"
MARKERS = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")
TEX_LEFT = re.compile(r"\\(frac|theta|nabla|mathbb|mathcal|sum|hat|top|begin\{)|\$\$?[^$\s][^$]*\$")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "site" / "build.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    print(f"site built in {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, f"the site build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def served(site):
    """The site over HTTP on a free 127.0.0.1 port (a thread of this process, stopped after the module)."""
    handler = functools.partial(type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}),
                                directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_every_solution_has_a_page_without_markers_or_hidden_tests(site):
    assert SOLUTIONS, "no solutions to publish"
    for path in SOLUTIONS:
        page = site / "solutions" / f"{path.stem}.html"
        assert page.is_file(), f"no page for {path.name}"
        text = page.read_text()
        assert not MARKERS.search(text), f"{page.name} shows a marker line: {MARKERS.search(text).group(0)!r}"
        assert "<title>" in text and "documentation" not in text.split("<title>", 1)[1].split("</title>", 1)[0]


def test_the_lectures_are_downloadable_from_their_page(site, served):
    html = (site / "lectures.html").read_text()
    links = {urllib.parse.unquote(h).rsplit("/", 1)[-1]: h for h in re.findall(r'href="([^"]+\.ipynb)"', html)}
    assert sorted(links) == [p.name for p in LECTURES], f"the lectures page links {sorted(links)}"
    for path in LECTURES:
        with urllib.request.urlopen(urllib.parse.urljoin(f"{served}/lectures.html", links[path.name]), timeout=30) as response:
            assert response.read() == path.read_bytes(), f"the download of {path.name} differs from lectures/{path.name}"


def test_readme_and_teaching_guide_are_pages(site):
    readme = (site / "README.html").read_text()
    assert "Quick start" in readme and "course.py" in readme
    if (ROOT / "TEACHING.md").is_file():
        assert (site / "TEACHING.html").is_file(), "TEACHING.md has no page"
    index = (site / "index.html").read_text()
    assert 'href="README.html"' in index and 'href="lectures.html"' in index


def test_a_solution_page_renders_formulas_and_figures_with_nothing_from_outside(site, served):
    sys.path.insert(0, str(ROOT / "tools"))
    from headless import with_chromium
    from system_deps import CHROMIUM_HINT, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip(f"the site test needs a Chromium: none on PATH and MLP_BROWSER unset; {CHROMIUM_HINT}")
    stored = nbformat.read(ROOT / "solutions" / f"{FIRST}.ipynb", as_version=4)
    figures = sum(1 for c in stored.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {}))
    outside, failed = [], []

    def look(browser) -> dict:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})

        def route(route):
            url = route.request.url
            if url.startswith(served) or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(f"{served}/solutions/{FIRST}.html", wait_until="networkidle")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")
        seen = {
            "formulas": page.locator("article mjx-container").count(),
            "errors": page.locator("article mjx-merror").count(),
            "text": page.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
                a.querySelectorAll('pre, code, mjx-container, .cell_output').forEach(e => e.remove()); return a.innerText; }"""),
            "images": page.evaluate("""() => Array.from(document.querySelectorAll('article .cell_output img'))
                .map(img => ({src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0}))"""),
        }
        page.screenshot(path=str(site.parent / "solution-01.png"), full_page=False)
        return seen

    # Playwright in a thread of its own (tools/headless.py): this test may share a process with the browser tests
    seen = with_chromium(look, chromium)
    formulas, errors, text, images = seen["formulas"], seen["errors"], seen["text"], seen["images"]
    assert not outside, f"the page asked servers other than 127.0.0.1: {outside}"
    assert not [u for u in failed if not u in outside], f"requests failed: {failed}"
    assert formulas >= 10, f"only {formulas} formulas rendered by MathJax"
    assert errors == 0, f"{errors} formulas failed to render"
    assert not TEX_LEFT.search(text), f"TeX source left unrendered: {TEX_LEFT.search(text).group(0)!r}"
    assert len(images) == figures and all(i["ok"] for i in images), f"figures: {images} (the notebook stores {figures})"
