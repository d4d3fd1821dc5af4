"""The service's web application (tornado), behind JupyterHub's proxy at /services/<name>/.

Who is asking is the hub's answer, never a name the student types: a browser signs in through the hub
(OAuth, jupyterhub.services.auth.HubOAuth), a student's server or terminal sends its JUPYTERHUB_API_TOKEN,
which the service checks against the hub. A student sees and submits only their own work; the gradebook
and every submission are open to the hub's admins and the members of the teachers' group (asked of the
hub with the service's own token). An id that is not yours is answered as one that does not exist.

    POST api/submit?notebook=NAME   the notebook's bytes -> 201 {id, state, ...}; 429 with wait_seconds
    GET  api/submissions[/ID]       your submissions (JSON); one with its marks and feedback link
    GET  feedback/ID/               a submission's feedback page (the grader's, inert)
    GET  submissions/ID/notebook    the notebook as submitted
    GET  .                          your submissions (HTML)
    GET  gradebook[/grades.csv | /moodle/NAME.csv | /moodle/NAME-feedback.zip | /canvas.csv]   teachers
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.parse
from pathlib import Path

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from . import pages, store
from .db import DONE, FAILED, engine_for
from .settings import Settings

TEACHER_SECONDS = 30.0   # how long the hub's answer "is a teacher" is kept
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'self'"


class Service:
    """What every handler shares: settings, database, the hub's auth, the course's notebooks."""

    def __init__(self, settings: Settings, prefix: str, auth: HubOAuth) -> None:
        from tools.grading.cli import course_names
        self.settings, self.prefix, self.auth = settings, prefix, auth
        self.engine = engine_for(settings.database)
        self.notebooks = set(course_names())
        self.teachers: dict[str, tuple[float, bool]] = {}

    async def is_teacher(self, name: str) -> bool:
        known = self.teachers.get(name)
        if known and time.monotonic() - known[0] < TEACHER_SECONDS:
            return known[1]
        request = HTTPRequest(f"{self.auth.api_url}/users/{urllib.parse.quote(name, safe='')}",
                              headers={"Authorization": f"token {self.auth.api_token}"}, request_timeout=20)
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        model = json.loads(response.body) if response.code == 200 else {}
        answer = bool(model.get("admin")) or self.settings.teachers_group in model.get("groups", [])
        self.teachers[name] = (time.monotonic(), answer)
        return answer


class Handler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, service: Service) -> None:
        self.service = service
        self.hub_auth = service.auth

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Cache-Control", "no-store")

    @property
    def user(self) -> str:
        return self.current_user["name"]

    def api(self) -> bool:
        return self.request.path.startswith(f"{self.service.prefix}api/")

    def write_error(self, status_code: int, **kwargs) -> None:
        text = self._reason
        if "exc_info" in kwargs and isinstance(kwargs["exc_info"][1], web.HTTPError) and kwargs["exc_info"][1].log_message:
            text = kwargs["exc_info"][1].log_message
        if self.api():
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": text}))
        else:
            self.finish(pages.message(f"{status_code} {self._reason}", text))

    def signed_in(self) -> None:
        if not self.current_user or self.current_user.get("kind", "user") != "user":
            if self.api():
                raise web.HTTPError(403, "sign in through the hub: send your server's JUPYTERHUB_API_TOKEN")
            raise web.HTTPError(403, "sign in through the hub")

    async def visible(self, number: str, content: bool = False, feedback: bool = False):
        """The submission if it is the user's own or the user teaches; else 404 (as if it did not exist)."""
        row = store.load(self.service.engine, int(number), content=content, feedback=feedback)
        if row is None or (row.student != self.user and not await self.service.is_teacher(self.user)):
            raise web.HTTPError(404, f"no submission {int(number)} of yours")
        return row

    def json(self, value, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value))

    def summary(self, row, ahead: int | None = None) -> dict:
        prefix = self.service.prefix
        value = {"id": row.id, "student": row.student, "notebook": row.notebook, "state": row.state, "late": row.late,
                 "submitted_at": row.submitted_at.isoformat() + "Z", "points": row.points, "max_points": row.max_points,
                 "page": f"{prefix}", "feedback": f"{prefix}feedback/{row.id}/" if row.state != "queued" and
                 row.finished_at else None,
                 "marks": [{"exercise": m.exercise, "points": m.points, "max_points": m.max_points, "status": m.status,
                            "message": m.message} for m in row.marks]}
        if ahead is not None:
            value["ahead"] = ahead
        return value


class Home(Handler):
    @web.authenticated
    async def get(self) -> None:
        self.signed_in()
        rows = store.of_student(self.service.engine, self.user)
        self.finish(pages.student(self.service.prefix, self.user, rows, self.service.settings.course,
                                  await self.service.is_teacher(self.user)))


class Submit(Handler):
    async def post(self) -> None:
        self.signed_in()
        notebook = self.get_argument("notebook", "")
        if notebook not in self.service.notebooks:
            raise web.HTTPError(400, f"{notebook or 'this file'} is not a notebook of this course: submit "
                                     f"one of {', '.join(sorted(self.service.notebooks))} (saved under its own name)")
        try:
            row = store.accept(self.service.engine, self.service.settings, self.user, notebook, self.request.body)
        except store.Refused as refused:
            self.json({"error": refused.message, "wait_seconds": round(refused.wait_seconds)}, refused.status)
            return
        self.json(self.summary(row, store.ahead_of(self.service.engine, row)), 201)


class Submissions(Handler):
    async def get(self, number: str | None = None) -> None:
        self.signed_in()
        if number is None:
            rows = store.of_student(self.service.engine, self.user, self.get_argument("notebook", None))
            self.json([self.summary(r) for r in rows])
            return
        row = await self.visible(number)
        self.json(self.summary(row, store.ahead_of(self.service.engine, row) if row.state == "queued" else None))


class Feedback(Handler):
    @web.authenticated
    async def get(self, number: str) -> None:
        self.signed_in()
        row = await self.visible(number, feedback=True)
        if row.feedback is None:
            text = {DONE: "its verdicts are in; this page is being written: reload it in a few seconds",
                    FAILED: "it could not be graded; its marks on your submissions page say why"}.get(
                row.state, "it is not graded yet: this page shows the feedback once it is")
            self.finish(pages.message(f"Submission {row.id}", text))
            return
        # the grader's page loads only the course's MathJax, from .mathjax/ beside the pages
        self.set_header("Content-Security-Policy", f"default-src 'none'; script-src {self.mathjax_url()}; "
                        "img-src data:; style-src 'unsafe-inline'; font-src data:; form-action 'none'")
        self.finish(row.feedback)

    def mathjax_url(self) -> str:
        return f"{self.request.protocol}://{self.request.host}{self.service.prefix}feedback/.mathjax/"


class MathJax(Handler):
    def get(self, name: str) -> None:
        from tools.grading import render
        self.set_header("Content-Type", "text/javascript")
        self.set_header("Cache-Control", "max-age=86400")
        if name == "config.js":
            self.finish(render.CONFIG)
        elif render.MATHJAX.is_file():
            self.finish(render.MATHJAX.read_bytes())
        else:
            raise web.HTTPError(404, "MathJax is not installed (python3 tools/system_deps.py npm)")


class Notebook(Handler):
    @web.authenticated
    async def get(self, number: str) -> None:
        self.signed_in()
        row = await self.visible(number, content=True)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f"attachment; filename={row.notebook}-{row.id}.ipynb")
        self.finish(row.content)


class Teachers(Handler):
    async def prepare(self) -> None:
        if not self.current_user:
            self.redirect(self.get_login_url())
            return
        self.signed_in()
        if not await self.service.is_teacher(self.user):
            raise web.HTTPError(403, "the gradebook is for the hub's admins and the teachers' group")

    def counted(self) -> list:
        _, _, cells = store.gradebook(self.service.engine, self.service.settings)
        return [cell.counted for cell in cells.values() if cell.counted is not None]

    def people(self) -> dict:
        from tools.grading.lms import Participant
        return {user: Participant(student=user, name=s.name, email=s.email,
                                  moodle_id=str(s.moodle_id or ""), canvas_id=str(s.canvas_id or ""),
                                  sis_user_id=s.sis_user_id, sis_login_id=s.sis_login_id, section=s.section)
                for user, s in self.service.settings.students.items()}

    def grades(self, rows) -> list:
        from tools.grading import lms
        return [lms.Grade(r.student, r.notebook, r.points, r.max_points,
                          lms.comment(r.points, r.max_points, [(m.exercise, m.status, m.message) for m in r.marks], r.late))
                for r in rows]

    def download(self, name: str, body, kind: str, left_out: list[str] = ()) -> None:
        self.set_header("Content-Type", kind)
        self.set_header("Content-Disposition", f"attachment; filename={name}")
        if left_out:  # no platform id known for them (add them to [students] in the configuration)
            self.set_header("X-Left-Out", urllib.parse.quote(", ".join(left_out)))
        self.finish(body)


class Gradebook(Teachers):
    def get(self) -> None:
        settings = self.service.settings
        students, notebooks, cells = store.gradebook(self.service.engine, settings)
        self.finish(pages.gradebook(self.service.prefix, settings.course, students, notebooks, cells,
                                    store.workers(self.service.engine), {n: settings.rules(n).counts for n in notebooks},
                                    live=self.get_argument("live", "") == "1"))


class GradesCsv(Teachers):
    def get(self) -> None:
        from tools.grading import reports
        from tools.grading.grader import Mark
        marks = [Mark(r.student, r.notebook, m.exercise, m.points, m.max_points, m.status, m.message, m.grade_id)
                 for r in sorted(self.counted(), key=lambda r: (r.student, r.notebook)) for m in r.marks]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "grades.csv"
            reports.write_csv(path, marks)
            self.download("grades.csv", path.read_bytes(), "text/csv; charset=utf-8")


class MoodleWorksheet(Teachers):
    def get(self, notebook: str) -> None:
        from tools.grading import lms
        rows = [r for r in self.counted() if r.notebook == notebook]
        text, left_out = lms.moodle_worksheet(self.grades(rows), self.people())
        self.download(f"moodle-{notebook}-worksheet.csv", text.encode("utf-8"), "text/csv; charset=utf-8", left_out)


class MoodleFeedback(Teachers):
    def get(self, notebook: str) -> None:
        from tools.grading import lms
        people, files = self.people(), []
        for row in self.counted():
            if row.notebook == notebook and row.student in people:
                full = store.load(self.service.engine, row.id, feedback=True)
                if full.feedback:
                    files.append((people[row.student], f"{notebook}-feedback.html", full.feedback.encode("utf-8")))
        self.download(f"moodle-{notebook}-feedback.zip", lms.moodle_feedback_zip(files), "application/zip")


class CanvasCsv(Teachers):
    def get(self) -> None:
        from tools.grading import lms
        grades = self.grades(self.counted())
        titles = lms.canvas_titles(grades, self.service.settings.canvas_assignments)
        text, left_out = lms.canvas_gradebook(grades, self.people(), titles)
        self.download("canvas-gradebook.csv", text.encode("utf-8"), "text/csv; charset=utf-8", left_out)


class Callback(HubOAuthCallbackHandler):
    """The end of the hub's OAuth sign-in, with the service's HubOAuth."""

    def initialize(self, service: Service) -> None:
        self.hub_auth = service.auth


def make_app(settings: Settings, prefix: str | None = None, auth: HubOAuth | None = None) -> web.Application:
    prefix = prefix or os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/course-grader/")
    auth = auth or HubOAuth(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60)
    service = Service(settings, prefix, auth)
    number, name = r"(\d{1,12})", r"([0-9A-Za-z_]{1,100})"
    routes = [("", Home), ("api/submit", Submit), ("api/submissions", Submissions), (f"api/submissions/{number}", Submissions),
              (f"feedback/{number}/", Feedback), (r"feedback/\.mathjax/(config\.js|tex-svg\.js)", MathJax),
              (f"submissions/{number}/notebook", Notebook), ("gradebook", Gradebook), ("gradebook/grades.csv", GradesCsv),
              (f"gradebook/moodle/{name}\\.csv", MoodleWorksheet), (f"gradebook/moodle/{name}-feedback\\.zip", MoodleFeedback),
              ("gradebook/canvas.csv", CanvasCsv)]
    handlers = [(prefix + path, handler, {"service": service}) for path, handler in routes]
    handlers.append((prefix + "oauth_callback", Callback, {"service": service}))
    from tools.grading.submission import MAX_NOTEBOOK_BYTES
    return web.Application(handlers, cookie_secret=os.urandom(32), max_body_size=MAX_NOTEBOOK_BYTES + 2**20,
                           login_url=auth.login_url, hub_auth=auth, service=service)
