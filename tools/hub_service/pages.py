"""The HTML pages of the service. Every text that comes from a student or from the database (user names,
messages, notebook names) goes through html.escape; the pages run no script at all (the content security
policy the app sends says so too)."""
from __future__ import annotations

import datetime as dt
from html import escape

from .db import DONE, FAILED, GRADING, QUEUED, Submission

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#1b1b1b}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eef}.late{color:#a3005b;font-weight:600}.muted{color:#555}.ok{color:#00643c}.bad{color:#a3005b}
a{color:#0b57d0}code{background:#f4f4f4;padding:0 .2em}"""
STATE = {QUEUED: "waiting to be graded", GRADING: "being graded", DONE: "graded", FAILED: "not graded"}
GRADEBOOK_RELOAD = 30    # seconds between reloads of the gradebook when the teacher asks for it to stay live


def layout(title: str, body: str, reload_seconds: int | None = None) -> str:
    """A page; `reload_seconds`: the browser reloads it that often (no script: a meta refresh; only where the
    reader turned it on, WCAG 2.2.1)."""
    reload = f"<meta http-equiv='refresh' content='{int(reload_seconds)}'>" if reload_seconds else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>{reload}"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def when(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def points(row: Submission) -> str:
    if row.state != DONE or row.points is None:
        return STATE.get(row.state, row.state)
    return f"{row.points:g} / {row.max_points:g}"


def feedback_link(prefix: str, row: Submission) -> str:
    if row.state in (DONE, FAILED):
        return f"<a href='{escape(prefix)}feedback/{row.id}/'>feedback #{row.id}</a>"
    return f"#{row.id}"


def student(prefix: str, user: str, rows: list[Submission], course: str, teacher: bool) -> str:
    """A student's own submissions, newest first, with each one's marks."""
    items = []
    for row in rows:
        marks = "".join(f"<li>{escape(m.exercise)}: {escape(m.status)} ({m.points:g}/{m.max_points:g})"
                        f"{': ' + escape(m.message) if m.message else ''}</li>" for m in row.marks)
        items.append(f"<tr><td>{escape(row.notebook)}</td><td>{when(row.submitted_at)}"
                     f"{' <span class=late>late</span>' if row.late else ''}</td><td>{escape(points(row))}</td>"
                     f"<td>{feedback_link(prefix, row)}<ul>{marks}</ul></td></tr>")
    table = ("<table><tr><th>notebook</th><th>submitted</th><th>points</th><th>verdicts</th></tr>"
             + "".join(items) + "</table>") if items else "<p>You have not submitted a notebook yet.</p>"
    extra = f"<p><a href='{escape(prefix)}gradebook'>The gradebook</a></p>" if teacher else ""
    return layout(f"{course}: your submissions", f"<h1>{escape(course)}: your submissions</h1>"
                  f"<p class=muted>Signed in as {escape(user)}. Submit with the Submit button under a notebook's "
                  f"scoreboard, or in a terminal: <code>python3 course.py submit NOTEBOOK</code>.</p>{extra}{table}")


def gradebook(prefix: str, course: str, students: list[str], notebooks: list[str], cells: dict, workers: list,
              counts: dict[str, str], live: bool = False) -> str:
    """Students x notebooks: the counted submission's points, late and review flags, every submission's page;
    `live`: reloaded every GRADEBOOK_RELOAD seconds (the teacher turns it on and off with a link)."""
    head = "".join(f"<th scope=col>{escape(n)}<br><span class=muted>{escape(counts[n])} counts</span></th>"
                   for n in notebooks)
    rows = []
    for name in students:
        tds = []
        for notebook in notebooks:
            cell = cells.get((name, notebook))
            if cell is None:
                tds.append("<td class=muted>-</td>")
                continue
            counted = cell.counted
            shown = (f"<strong>{counted.points:g} / {counted.max_points:g}</strong>" if counted else
                     "<span class=muted>not graded yet</span>")
            flags = []
            if counted and counted.late:
                flags.append("<span class=late>late</span>")
            if counted and any(m.status == "review" for m in counted.marks):
                flags.append("<span class=bad>review</span>")
            if cell.pending:
                flags.append(f"<span class=muted>{cell.pending} waiting</span>")
            links = ", ".join(feedback_link(prefix, s) + (" (late)" if s.late else "") +
                              f" <a href='{escape(prefix)}submissions/{s.id}/notebook'>ipynb</a>" for s in cell.submissions)
            tds.append(f"<td>{shown} {' '.join(flags)}<br><small>{links}</small></td>")
        rows.append(f"<tr><th scope=row>{escape(name)}</th>{''.join(tds)}</tr>")
    exports = "".join(
        f"<li>{escape(n)}: <a href='{escape(prefix)}gradebook/moodle/{escape(n)}.csv'>Moodle grading worksheet</a>, "
        f"<a href='{escape(prefix)}gradebook/moodle/{escape(n)}-feedback.zip'>Moodle feedback files (zip)</a></li>"
        for n in notebooks)
    alive = "".join(f"<li>{escape(w.name)} on {escape(w.host)}: {w.graded} graded, last seen {when(w.seen_at)}</li>"
                    for w in workers)
    every = [s for cell in cells.values() for s in cell.submissions]
    switch = (f"reloads every {GRADEBOOK_RELOAD} s: <a href='{escape(prefix)}gradebook'>stop reloading</a>" if live else
              f"<a href='{escape(prefix)}gradebook?live=1'>keep this page up to date</a> (it reloads every "
              f"{GRADEBOOK_RELOAD} s)")
    queue = (f"<p class=muted>{sum(s.state == QUEUED for s in every)} submission(s) waiting, "
             f"{sum(s.state == GRADING for s in every)} being graded; this page {switch}.</p>")
    return layout(f"{course}: gradebook", f"<h1>{escape(course)}: gradebook</h1>{queue}"
                  f"<table><tr><th scope=col>student</th>{head}</tr>{''.join(rows)}</table>"
                  f"<h2>Exports</h2><ul><li><a href='{escape(prefix)}gradebook/grades.csv'>grades.csv</a> (the course's "
                  f"format, the submissions that count)</li>{exports}<li><a href='{escape(prefix)}gradebook/canvas.csv'>"
                  f"Canvas gradebook import</a></li></ul><h2>Workers</h2><ul>{alive or '<li>none yet</li>'}</ul>",
                  GRADEBOOK_RELOAD if live else None)


def message(title: str, text: str) -> str:
    return layout(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")
