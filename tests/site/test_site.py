"""The course website, built as `python3 course.py site` builds it, served on 127.0.0.1 and opened in Chromium.

- Every solution has a page; no page of a notebook shows a solution marker or a hidden test.
- Every lecture is downloadable from the page "Lectures to download", byte for byte.
- README.md and TEACHING.md (when there is one) are pages.
- In Chromium, the page of notebook 01 renders its formulas with the local MathJax (no TeX source
  left, no MathJax error), shows every stored figure, and no request leaves 127.0.0.1.
- Accessibility (WCAG 2.1 AA): axe-core (npm, tools/npm) finds no violation of the WCAG 2.0/2.1 A and
  AA rules on any page; every image has alt text that says what it shows (myst-nb takes it from a
  figure cell's metadata `mystnb: image: alt:`), not a file name; a keyboard user tabbing through
  the page of notebook 03 never stops on a formula.
- Every solution's page links its lecture in Google Colab (the repository and branch of conf.py).

Run with `python3 course.py test -m site` (left out of the plain `python3 course.py test`).
"""
from __future__ import annotations

import functools
import re
import runpy
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

from mlp.exercises import contract

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
FIRST = "01_linear_regression"
MARKERS = contract.ANY_MARKER
AXE = ROOT / "tools" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # axe's tags for the rules of WCAG 2.0 and 2.1, levels A and AA
NOT_A_DESCRIPTION = re.compile(r"(^|/)[\w.-]*\.(png|jpe?g|svg|gif|webp)$|^[0-9a-f]{16,}$|^(image|figure|plot|output)\s*\d*$", re.I)
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
    from tools.headless import with_chromium
    from tools.system_deps import CHROMIUM_HINT, find_chromium

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


def _pages(site: Path) -> list[str]:
    """Every HTML page of the site, relative to its root (not the theme's static files)."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if not {"_static", "_sources"} & set(p.parts))


def _chromium() -> str:
    from tools.system_deps import CHROMIUM_HINT, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip(f"the site test needs a Chromium: none on PATH and MLP_BROWSER unset; {CHROMIUM_HINT}")
    return chromium


def _local_only(page, served: str) -> None:
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith((served, "data:", "blob:"))
               else route.abort())


def _open(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise ? MathJax.startup.promise : null")


def test_every_page_passes_axe_on_the_wcag_2_1_a_and_aa_rules(site, served):
    from tools.headless import with_chromium

    chromium = _chromium()
    assert AXE.is_file(), f"no axe-core at {AXE}: run python3 tools/system_deps.py npm (python3 course.py test -m site does)"
    pages, axe = _pages(site), AXE.read_text()
    assert len(pages) >= len(SOLUTIONS) + 3

    def scan(browser) -> dict:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        _local_only(page, served)
        found = {}
        for name in pages:
            _open(page, f"{served}/{name}")
            page.add_script_tag(content=axe)
            found[name] = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r =>
                r.violations.map(v => `${v.id} (${v.impact}, ${v.nodes.length}x: ${v.help}) at ${v.nodes[0].target.join(' ')}`))""",
                                        WCAG_AA)
        return found

    found = with_chromium(scan, chromium)
    failing = {name: violations for name, violations in found.items() if violations}
    assert not failing, "axe-core finds WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"{name}: {v}" for name, violations in failing.items() for v in violations)


def test_every_image_has_alt_text_that_says_what_it_shows(site):
    missing = []
    for name in _pages(site):
        for tag in re.findall(r"<img\b[^>]*>", (site / name).read_text()):
            alt = re.search(r'\balt="([^"]*)"', tag)
            text = alt.group(1).strip() if alt else None
            if text is None or len(text.split()) < 3 or NOT_A_DESCRIPTION.search(text):
                src = re.search(r'\bsrc="([^"]*)"', tag)
                missing.append(f"{name}: {src.group(1).rsplit('/', 1)[-1][:16] if src else '?'}… alt={text!r}")
    assert not missing, (f"{len(missing)} images without alt text that says what they show (give the figure cell the "
                         "metadata mystnb: image: alt: \"what the figure shows\"):\n" + "\n".join(missing))


def test_the_alt_text_check_rejects_file_names_and_hashes():
    for bad in ["../_images/a4942dd30094747a3671f731cc7745a2acf78893459b4392a7f3b538a62e9816.png", "figure 3",
                "a4942dd30094747a3671f731cc7745a2", "plot.png"]:
        assert NOT_A_DESCRIPTION.search(bad) or len(bad.split()) < 3, bad
    assert not NOT_A_DESCRIPTION.search("Quality against alcohol for 1,599 red wines, with the least-squares line")


def test_a_keyboard_user_tabs_through_notebook_03_without_stopping_on_formulas(site, served):
    from tools.headless import with_chromium

    chromium = _chromium()
    name = next(p.stem for p in SOLUTIONS if p.stem.startswith("03_"))

    def tab_through(browser) -> dict:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        _local_only(page, served)
        _open(page, f"{served}/solutions/{name}.html")
        formulas = page.locator("article mjx-container").count()
        stops = []
        for _ in range(80):  # past the navigation into the notebook's cells
            page.keyboard.press("Tab")
            stops.append(page.evaluate("""() => { const e = document.activeElement;
                return e.closest('mjx-container') ? 'formula' : e.closest('article') ? 'content' : 'navigation'; }"""))
        focusable = page.evaluate("() => document.querySelectorAll('mjx-container[tabindex]:not([tabindex^=\"-\"])').length")
        return {"formulas": formulas, "stops": stops, "focusable": focusable}

    seen = with_chromium(tab_through, chromium)
    assert seen["formulas"] >= 20, f"only {seen['formulas']} formulas on the page of {name}: is MathJax running?"
    assert seen["focusable"] == 0, f"{seen['focusable']} formulas are Tab stops (conf.py: mathjax3_config inTabOrder)"
    assert "formula" not in seen["stops"], f"Tab stopped on a formula: {seen['stops']}"
    assert "content" in seen["stops"], f"80 presses of Tab never reached the page's content: {seen['stops']}"


def test_each_solution_page_links_its_lecture_in_colab(site):
    settings = runpy.run_path(str(ROOT / "tools" / "site" / "conf.py"))
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", settings["REPOSITORY"]), f"conf.py REPOSITORY {settings['REPOSITORY']!r}: owner/name"
    for path in SOLUTIONS:
        html = (site / "solutions" / f"{path.stem}.html").read_text()
        links = re.findall(r'<a [^>]*href="(https://colab\.research\.google\.com/[^"]+)"[^>]*>Open in Colab</a>', html)
        expected = (f"https://colab.research.google.com/github/{settings['REPOSITORY']}/blob/{settings['BRANCH']}"
                    f"/lectures/{path.name}")
        assert links == [expected], f"{path.stem}: Colab links {links}, expected [{expected}]"
        assert (ROOT / "lectures" / path.name).is_file(), f"the Colab link of {path.stem} opens lectures/{path.name}, which does not exist"
