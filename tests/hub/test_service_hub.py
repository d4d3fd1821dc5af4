"""The grading service on a real JupyterHub (tools/localhub.py with grader=...): students submit with their own
tokens and in JupyterLab, teachers read the gradebook and its Moodle and Canvas exports.

1. Through the API with two students' tokens: a wrong then a right answer, each verdict; one student cannot
   read, download or see the feedback of the other's submission, nor the gradebook; the rate limit answers
   with the time to wait; hostile submissions (loops that never end, one that swallows the interrupt, garbage)
   get their marks and never stop the queue; what a student wrote is escaped on every page.
2. In Chromium: a student runs the Submit button in notebook 01, submits a wrong answer, sees the verdict,
   fixes the answer, saves, submits again and sees the new verdict; a second student cannot open the first's
   feedback page; a teacher's gradebook shows both submissions, and the Moodle grading worksheet and the
   Canvas import CSV have the columns those platforms document (tools/grading/lms.py).

Run with `python3 course.py test -m hub`.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from tools.headless import with_chromium
from tools.localhub import HubError, LocalHub

ROOT = Path(__file__).resolve().parents[2]
import grading_corpus as corpus  # tests/ is on the path (pytest's rootdir conftest)

pytestmark = pytest.mark.hub
NB = corpus.NAME
LIMITED = "02_linear_collapse"   # the notebook with a rate limit
WRONG = {**corpus.RIGHT, "cost": corpus.WRONG_COST}
CONFIG = f'''[service]
database = "sqlite:///grader.sqlite"
storage = "data"
workers = 2
course = "Neural networks <test>"
[rules]
rate_minutes = 0
counts = "best"
[rules."{LIMITED}"]
rate_minutes = 10
[students.alice]
name = "Alice Archer"
email = "alice@example.edu"
moodle_id = 123456
canvas_id = 98765
sis_user_id = "S-1"
sis_login_id = "alice"
section = "Group A"
[lms]
canvas_assignments = {{"{NB}" = 4321}}
'''
VERDICT_SECONDS = 240


def notebook(answers: dict[str, str], extra: list[str] = ()) -> bytes:
    nb = corpus.submission(answers)
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in extra)
    return nbformat.writes(nb).encode()


def call(url: str, token: str | None = None, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"token {token}"} if token else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Class:
    """The hub with its grader, and tokens of two students and a teacher."""

    def __init__(self, hub: LocalHub) -> None:
        self.hub, self.url = hub, hub.grader_url
        hub.api("POST", "users", {"usernames": ["alice", "bob", "teacher"]})
        hub.wait_for_grader()
        self.tokens = {user: hub.user_token(user) for user in ("alice", "bob", "teacher")}

    def submit(self, user: str, content: bytes, name: str = NB) -> tuple[int, dict]:
        status, body = call(f"{self.url}api/submit?notebook={name}", self.tokens[user], "POST", content)
        return status, json.loads(body)

    def page(self, user: str, number: int) -> bytes:
        """The feedback page, once written (workers write pages when no submission waits)."""
        deadline = time.monotonic() + VERDICT_SECONDS
        while True:
            status, body = call(f"{self.url}feedback/{number}/", self.tokens[user])
            assert status == 200, (status, body[:300])
            if b"this page is being written" not in body:
                return body
            assert time.monotonic() < deadline, f"no feedback page for {number} within {VERDICT_SECONDS} s"
            time.sleep(0.5)

    def verdict(self, user: str, number: int) -> dict:
        deadline = time.monotonic() + VERDICT_SECONDS
        while True:
            status, body = call(f"{self.url}api/submissions/{number}", self.tokens[user])
            assert status == 200, body
            answer = json.loads(body)
            if answer["state"] in ("done", "failed"):
                return answer
            assert time.monotonic() < deadline, f"no verdict on submission {number} within {VERDICT_SECONDS} s:\n" \
                                                f"{self.hub.log_tail()}"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grader")
    (folder / "grader.toml").write_text(CONFIG)
    hub = LocalHub(folder / "hub", grader=folder / "grader.toml", teachers=("teacher",))
    try:
        hub.start()
    except HubError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield Class(hub)
    finally:
        hub.stop()


def statuses(answer: dict) -> dict[str, str]:
    return {m["exercise"]: m["status"] for m in answer["marks"]}


def test_two_students_tokens_submit_and_see_only_their_own_work(school):
    status, first = school.submit("alice", notebook(WRONG))
    assert status == 201 and first["student"] == "alice" and first["state"] == "queued", first
    wrong = school.verdict("alice", first["id"])
    assert statuses(wrong)[corpus.NUMBER["cost"]] == "failed" and statuses(wrong)["1.1"] == "passed"
    status, second = school.submit("alice", notebook(corpus.RIGHT))
    right = school.verdict("alice", second["id"])
    assert all(s in ("passed", "manual") for s in statuses(right).values()), right["marks"]
    assert right["points"] == wrong["points"] + 1 == 5 and right["max_points"] == 7
    # the student's stored notebook is byte for byte what was sent
    status, stored = call(f"{school.url}submissions/{second['id']}/notebook", school.tokens["alice"])
    assert status == 200 and stored == notebook(corpus.RIGHT)

    # bob: nothing of alice's, whatever he asks for; his own submission is his, whatever he sends
    for path in (f"api/submissions/{first['id']}", f"feedback/{first['id']}/", f"submissions/{first['id']}/notebook"):
        status, body = call(school.url + path, school.tokens["bob"])
        assert status == 404 and b"Alice" not in body and b"def cost" not in body, (path, status, body[:200])
    status, mine = call(f"{school.url}api/submissions", school.tokens["bob"])
    assert status == 200 and json.loads(mine) == []
    assert call(f"{school.url}gradebook", school.tokens["bob"])[0] == 403
    assert call(f"{school.url}gradebook/moodle/{NB}.csv", school.tokens["bob"])[0] == 403
    status, own = school.submit("bob", notebook(corpus.RIGHT))
    assert own["student"] == "bob", "the hub says who submits: the token, not anything in the request"
    # nobody signed in: nothing
    assert call(f"{school.url}api/submit?notebook={NB}", None, "POST", b"{}")[0] == 403
    assert call(f"{school.url}api/submissions/{first['id']}", "not-a-token")[0] == 403
    # the teacher sees everyone's work
    status, body = call(f"{school.url}api/submissions/{first['id']}", school.tokens["teacher"])
    assert status == 200 and json.loads(body)["student"] == "alice"


def test_course_py_submit_in_a_terminal(school, tmp_path):
    """What `python3 course.py submit NOTEBOOK` runs, with what a student's terminal on the hub has."""
    path = tmp_path / f"{NB}.ipynb"
    path.write_bytes(notebook(corpus.RIGHT))
    env = {"PATH": "/usr/bin:/bin", "MLP_GRADER_URL": school.url, "JUPYTERHUB_API_TOKEN": school.tokens["bob"],
           "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "mlp.exercises.submit", str(path)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=VERDICT_SECONDS)
    assert done.returncode == 0, done.stderr
    assert f"{NB}: 5 of 7 points" in done.stdout and "✔ 1.2: passed" in done.stdout and "/feedback/" in done.stdout


def test_rate_limit_names_the_wait_and_other_notebooks_are_refused_by_name(school):
    lecture = nbformat.writes(nbformat.read(ROOT / "lectures" / f"{LIMITED}.ipynb", as_version=4)).encode()
    assert school.submit("bob", lecture, LIMITED)[0] == 201
    status, refused = school.submit("bob", lecture, LIMITED)
    assert status == 429 and 590 <= refused["wait_seconds"] <= 600
    assert re.search(r"once every 10 minutes: submit again in (9 min \d+ s|10 min 0 s)$", refused["error"]), refused
    status, refused = school.submit("bob", lecture, "01_linear_regression-Copy1")
    assert status == 400 and "not a notebook of this course" in refused["error"]


def test_hostile_submissions_never_stop_the_queue_and_pages_escape_them(school):
    evil = '<script>alert("x")</script>'
    hostile = [notebook({**corpus.RIGHT, corpus.SECOND: corpus.STUBBORN_LOOP}),
               notebook({**corpus.RIGHT, "design_matrix": corpus.LOOP}),
               notebook({**corpus.RIGHT, "cost": f"def cost(A, y, theta):\n    raise ValueError({evil!r})\n"}),
               b"\x00 not a notebook at all"]
    numbers = [school.submit("alice", content)[1]["id"] for content in hostile]
    status, good = school.submit("bob", notebook(corpus.RIGHT))
    answers = [school.verdict("alice", n) for n in numbers]
    assert school.verdict("bob", good["id"])["points"] == 5, "the honest submission after them is graded right"
    assert all(a["state"] == "done" for a in answers)
    first, second = corpus.NUMBER[corpus.FIRST], corpus.NUMBER[corpus.SECOND]
    assert (statuses(answers[0])[first], statuses(answers[0])[second]) == ("passed", "timeout")
    assert statuses(answers[1])["1.1"] == "timeout"
    assert set(statuses(answers[3]).values()) == {"unreadable"}
    status, page = call(school.url, school.tokens["alice"])
    assert status == 200 and b"<script>alert" not in page and b"&lt;script&gt;alert" in page
    page = school.page("alice", numbers[2])
    assert b"<script>alert" not in page and b"Exercise 1.2" in page
    status, book = call(f"{school.url}gradebook", school.tokens["teacher"])
    assert status == 200 and b"<test>" not in book and b"&lt;test&gt;" in book


def test_student_and_teacher_in_chromium(school, chromium):
    with_chromium(lambda browser: in_the_browser(school, browser), chromium)


def log_in(context, school, user: str, path: str):
    page = context.new_page()
    page.goto(f"{school.hub.base}/hub/login?next={urllib.request.quote(path)}")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(school.hub.password)
    page.locator("#login_submit").click()
    return page


def in_the_browser(school, browser) -> None:
    hub = school.hub
    alice = school.submit("alice", notebook(corpus.RIGHT))[1]   # a student with Moodle and Canvas ids, for the exports
    home = hub.homes / "carol"
    home.mkdir(parents=True, exist_ok=True)
    hub.api("POST", "users/carol")
    school.tokens["carol"] = hub.user_token("carol")
    saved = home / f"{NB}.ipynb"
    saved.write_bytes(notebook(WRONG, ["from mlp.exercises.submit import offer\noffer()"]))
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"windowingMode": "none"}')
    autosave = settings.parents[1] / "docmanager-extension" / "plugin.jupyterlab-settings"
    autosave.parent.mkdir(parents=True, exist_ok=True)
    autosave.write_text('{"autosave": false}')   # only Submit saves the notebook in this test
    hub.api("POST", "users/carol/server")
    hub.wait_for_server("carol")
    student = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = log_in(student, school, "carol", f"/user/carol/lab/tree/{NB}.ipynb")
    try:
        page.wait_for_url(re.compile(rf"/user/carol/lab/tree/{NB}"), timeout=180_000)
        page.locator("#jp-main-statusbar").get_by_text(re.compile(r"Python 3 \(ipykernel\)\s*\|\s*Idle")).wait_for(
            timeout=120_000)
        cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        cells.last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        button, status = page.locator(".mlp-submit"), page.locator(".mlp-submit-status")
        button.wait_for(timeout=120_000)

        button.click()   # 1. the wrong answer
        status.get_by_text(re.compile(r"of 7 points")).wait_for(timeout=VERDICT_SECONDS * 1000)
        text = status.inner_text()
        assert "4 of 7 points" in text and re.search(rf"✘ {re.escape(corpus.NUMBER['cost'])}: failed", text), text

        # 2. the student fixes cost() in its cell and submits again without saving: Submit saves it
        answer = cells.filter(has_text="def cost(").first
        answer.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(corpus.RIGHT["cost"])
        page.keyboard.press("Escape")
        assert corpus.RIGHT["cost"].strip() not in saved.read_text(), "not saved before Submit"
        button.click()
        status.get_by_text(re.compile(r"5 of 7 points")).wait_for(timeout=VERDICT_SECONDS * 1000)
        assert "✘" not in status.inner_text()
        link = status.locator("a", has_text="feedback page")
        feedback_url = link.get_attribute("href")
        assert re.fullmatch(r"/services/course-grader/feedback/\d+/", feedback_url), feedback_url
        page.screenshot(path=str(hub.folder / "service-verdict.png"))
        school.page("carol", int(feedback_url.rstrip("/").rsplit("/", 1)[1]))   # written by now
        page.goto(hub.base + feedback_url)
        page.get_by_text("Exercise 1.2").first.wait_for(timeout=30_000)
        assert page.locator("script[src*='tex-svg.js']").count() == 1, "the page loads the course's MathJax"
    finally:
        page.screenshot(path=str(hub.folder / "service-student.png"))
        student.close()

    # 3. another student cannot open carol's feedback page
    other = browser.new_context()
    try:
        intruder = log_in(other, school, "bob", feedback_url)
        intruder.wait_for_load_state()
        intruder.wait_for_url(re.compile(re.escape(feedback_url)), timeout=60_000)
        assert "no submission" in intruder.content() and "def cost" not in intruder.content()
    finally:
        other.close()

    # 4. the teacher's gradebook, and its exports
    assert school.verdict("alice", alice["id"])["points"] == 5
    teacher = browser.new_context()
    try:
        page = log_in(teacher, school, "teacher", "/services/course-grader/gradebook")
        page.get_by_role("heading", name=re.compile("gradebook")).wait_for(timeout=60_000)
        row = page.locator("tr", has=page.locator("th", has_text="carol"))
        assert "5 / 7" in row.inner_text() and row.locator("a", has_text="feedback #").count() == 2
        assert page.locator("tr", has=page.locator("th", has_text="alice")).count() == 1
        moodle = teacher.request.get(f"{hub.base}/services/course-grader/gradebook/moodle/{NB}.csv")
        table = list(csv.reader(io.StringIO(moodle.text())))
        assert table[0] == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Feedback comments"]
        assert table[1][:5] == ["Participant 123456", "Alice Archer", "alice@example.edu", "5", "7"], table
        assert "carol" in moodle.headers.get("x-left-out", ""), "carol has no Moodle id: left out, and said so"
        canvas = list(csv.reader(io.StringIO(teacher.request.get(
            f"{hub.base}/services/course-grader/gradebook/canvas.csv").text())))
        assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        column = canvas[0].index(f"{NB} (4321)")
        assert canvas[1][0].strip() == "Points Possible" and canvas[1][column] == "7"
        assert canvas[2][:5] == ["Alice Archer", "98765", "S-1", "alice", "Group A"] and canvas[2][column] == "5"
        feedback = teacher.request.get(f"{hub.base}/services/course-grader/gradebook/moodle/{NB}-feedback.zip")
        names = zipfile.ZipFile(io.BytesIO(feedback.body())).namelist()
        assert names == [f"Alice Archer_123456_assignsubmission_file_/{NB}-feedback.html"]
    finally:
        teacher.close()
