"""A student on a real JupyterHub follows the README's nbgitpuller link, and the teacher updates the course.

1. The student opens the README's link (its HUB and REPO_URL filled in: the hub on 127.0.0.1, the
   teacher's repository `course.git` as a file:// URL), logs in, the server spawns, nbgitpuller
   clones the course (shallow, as by default) into the folder the link names, and JupyterLab opens
   lectures/01_linear_regression.ipynb, with no news pop-up. Run All runs every code cell; the only
   errors are the exercise stubs' NotImplementedError, in cells tagged `raises-exception`.
2. The student edits the notebook and saves it. The teacher commits a change to another lecture and
   pushes. The student opens the same link again: the teacher's change arrives, the edit is kept.

Run with `python3 course.py test -m hub` (left out of the plain `python3 course.py test`).
"""
from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from tools.headless import with_chromium

pytestmark = pytest.mark.hub

ROOT = Path(__file__).resolve().parents[2]
LECTURE = "01_linear_regression.ipynb"
RAISES = "raises-exception"
STUDENT = "student"
STEP_SECONDS = {"login and spawn": 180, "notebook": 90, "run all": 180, "save": 30}

CELL_STATES = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')).map(cell => ({
    prompt: ((cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '').trim(),
    errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
                 .map(output => output.textContent.trim()),
}))"""
ALL_RAN = """(code) => {
    const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
    return code.every(i => cells[i] && /^\\[\\d+\\]:$/.test(((cells[i].querySelector('.jp-InputArea-prompt') || {}).textContent || '').trim()));
}"""


def readme_link() -> str:
    """The nbgitpuller link the README gives teachers (with its placeholders HUB and REPO_URL)."""
    readme = (ROOT / "README.md").read_text()
    links = [line.strip() for line in readme.splitlines() if "/hub/user-redirect/git-pull?" in line]
    assert links, "README.md gives no nbgitpuller link (a line with /hub/user-redirect/git-pull?)"
    return links[0]


def link_for(hub_base: str, repo_url: str) -> tuple[str, dict]:
    template = readme_link()
    assert template.startswith("https://HUB/hub/user-redirect/git-pull?") and "REPO_URL" in template, template
    link = template.replace("https://HUB", hub_base, 1).replace("REPO_URL", urllib.parse.quote(repo_url, safe=""))
    return link, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))


def test_the_readme_link_names_its_folder_branch_and_lecture():
    """nbgitpuller names the clone after the URL's last part ('course.git' for a GitHub URL ending
    in .git) unless `targetpath` says; urlpath must open the lecture inside that folder."""
    _, query = link_for("http://127.0.0.1:1", "https://example.invalid/teacher/course.git")
    assert query.get("branch") == "main"
    assert query.get("targetpath") and not query["targetpath"].endswith(".git")
    assert query.get("urlpath") == f"lab/tree/{query['targetpath']}/lectures/{LECTURE}"
    assert "depth" not in query or int(query["depth"]) >= 0


def _seconds(step: str) -> int:
    return STEP_SECONDS[step] * 1000


def open_link(page, link: str, folder: str, log: dict, password: str = "") -> None:
    started = time.monotonic()
    page.goto(link)
    first = bool(password)
    if first:
        page.locator("#username_input").fill(STUDENT)
        page.locator("#password_input").fill(password)
        page.locator("#login_submit").click()
    page.wait_for_url(re.compile(rf"/user/{STUDENT}/lab/tree/{re.escape(folder)}/lectures/{re.escape(LECTURE)}"),
                      timeout=_seconds("login and spawn"))
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=_seconds("notebook"))
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"Python 3 \(ipykernel\)\s*\|\s*Idle")).wait_for(
        timeout=_seconds("notebook"))
    log["login to kernel idle" if first else "link again to kernel idle"] = round(time.monotonic() - started, 1)


def test_student_follows_the_link_runs_lecture_01_and_keeps_an_edit_when_the_teacher_pushes(hub, course_repo, chromium):
    # Playwright in a thread of its own (tools/headless.py): this test may share a process with the browser tests
    with_chromium(lambda browser: student_and_teacher(hub, course_repo, browser), chromium)


def student_and_teacher(hub, course_repo, browser) -> None:
    link, query = link_for(hub.base, course_repo.url)
    folder = query["targetpath"]
    home = hub.homes / STUDENT
    clone = home / folder
    # Test-only Lab setting: keep every cell in the page, so that all of them can be read
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"windowingMode": "none"}')
    timings: dict[str, float] = {}

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        # 1. First click: log in, spawn, clone, open the lecture
        open_link(page, link, folder, timings, password=hub.password)
        assert (clone / "lectures" / LECTURE).is_file(), f"nbgitpuller did not clone the course into {clone}"
        assert not (home / "course.git").exists(), "the clone was named after the URL (.git suffix), not targetpath"
        assert (clone / ".git" / "shallow").is_file(), "expected nbgitpuller's default shallow clone (depth 1)"
        assert page.get_by_text("official Jupyter news").count() == 0, "JupyterLab greets the student with its news pop-up"

        lecture = nbformat.read(clone / "lectures" / LECTURE, as_version=4)
        code = [i for i, cell in enumerate(lecture.cells) if cell.cell_type == "code" and cell.source.strip()]
        tagged = {i for i, cell in enumerate(lecture.cells) if RAISES in cell.metadata.get("tags", [])}

        started = time.monotonic()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(ALL_RAN, arg=code, timeout=_seconds("run all"), polling=250)
            page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle")).wait_for(timeout=_seconds("run all"))
        except Exception as error:
            print(f"Run All not over within {STEP_SECONDS['run all']} s ({type(error).__name__})")
        timings["run all"] = round(time.monotonic() - started, 1)
        states = page.evaluate(CELL_STATES)
        assert len(states) == len(lecture.cells), f"the page shows {len(states)} cells, the notebook has {len(lecture.cells)}"
        not_run = [i for i in code if not re.fullmatch(r"\[\d+\]:", states[i]["prompt"])]
        assert not not_run, f"code cells {not_run} did not run (prompts {[states[i]['prompt'] for i in not_run]})"
        failed = {i: state["errors"] for i, state in enumerate(states) if state["errors"]}
        assert failed, "no exercise stub raised: expected NotImplementedError in the cells tagged raises-exception"
        unexpected = {i: errors[0][-300:] for i, errors in failed.items() if i not in tagged}
        assert not unexpected, f"errors in cells not tagged {RAISES}: {unexpected}"
        not_stub = {i: errors[0][-300:] for i, errors in failed.items() if not any("NotImplementedError" in e for e in errors)}
        assert not not_stub, f"errors other than the stubs' NotImplementedError: {not_stub}"

        # 2. The student writes a note at the end of the first cell and saves
        note = "Student's note: θ̂ solves the normal equations."
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.click()
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")  # edit the selected cell
        page.keyboard.press("Control+End")
        page.keyboard.type(f"\n\n{note}")
        page.keyboard.press("Escape")
        page.keyboard.press("Control+s")
        saved = clone / "lectures" / LECTURE
        deadline = time.monotonic() + STEP_SECONDS["save"]
        while note not in saved.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert note in saved.read_text(), "the student's edit was not saved to their clone"

        # 3. The teacher changes another lecture and pushes
        others = sorted(p for p in (course_repo.work / "lectures").glob("[0-9][0-9]_*.ipynb") if p.name != LECTURE)
        assert others, "the course has only one lecture: nothing else for the teacher to change"
        target = others[-1]
        erratum = "Teacher's erratum: the step size τ is written tau in the code."
        changed = nbformat.read(target, as_version=4)
        changed.cells.append(nbformat.v4.new_markdown_cell(erratum, id="teacher-erratum"))
        nbformat.write(changed, target)
        commit = course_repo.commit_and_push(f"{target.name}: an erratum")

        # 4. The student opens the link again
        open_link(page, link, folder, timings)
        assert course_repo.git("rev-parse", "origin/main", cwd=clone).strip() == commit, "the teacher's commit was not fetched"
        assert erratum in (clone / "lectures" / target.name).read_text(), "the teacher's change did not arrive"
        assert note in saved.read_text(), "the student's edit was lost on the second pull"
        assert page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.inner_text().count("Student's note") == 1, \
            "the notebook opened after the second pull does not show the student's edit"
    finally:
        print(f"hub test timings (s): {timings}")
        page.screenshot(path=str(hub.folder / "last-page.png"))
        context.close()
