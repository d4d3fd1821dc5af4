"""The hub service's own logic on SQLite, without a hub or a grader: rules, the queue, the gradebook, pages.
Marked `hub`: SQLAlchemy and alembic come with the hub extra (python3 course.py test -m hub installs it).

(The service with a real hub, PostgreSQL, workers grading and Chromium: tests/hub/test_service_*.py, -m hub.)
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest

pytest.importorskip("sqlalchemy", reason="the hub service needs the hub extra (SQLAlchemy, alembic): "
                    "python3 course.py test -m hub installs it")

from tools.grading.grader import Mark  # noqa: E402
from tools.hub_service import db, pages, settings, store  # noqa: E402

pytestmark = pytest.mark.hub
NB = "01_linear_regression"


def config(tmp_path, text: str = "") -> settings.Settings:
    path = tmp_path / "grader.toml"
    path.write_text(f'[service]\ndatabase = "sqlite:///grader.sqlite"\nstorage = "data"\n{text}')
    return settings.load(path)


@pytest.fixture
def service(tmp_path):
    conf = config(tmp_path, '[rules]\nrate_minutes = 10\ncounts = "best"\n'
                            f'[rules."{NB}"]\ndeadline = 2026-12-18T23:00:00+01:00\n'
                            '[rules."02_gradient_descent"]\ncounts = "latest"\nrate_minutes = 0\n')
    engine = db.engine_for(conf.database)
    db.migrate(engine)
    return conf, engine


def at(text: str) -> dt.datetime:
    """A naive UTC time as the database stores it."""
    return dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc).replace(tzinfo=None)


def result(student: str, got: list[float], notebook: str = NB) -> store.Result:
    return store.Result([Mark(student, notebook, f"1.{i}", p, 1, "passed" if p else "failed", "a <b>message</b>")
                         for i, p in enumerate(got)], "<html>page</html>")


def test_settings_rules_per_notebook_and_clear_errors(tmp_path):
    conf = config(tmp_path, '[rules]\nrate_minutes = 5\n[rules."01_x"]\ndeadline = 2026-01-02T03:04:05Z\n')
    assert conf.rules("01_x").rate_minutes == 5 and conf.rules("01_x").deadline.tzinfo is not None
    assert conf.rules("02_y").deadline is None and conf.rules("02_y").counts == "best"
    assert conf.database == f"sqlite:///{tmp_path / 'grader.sqlite'}" and conf.storage == tmp_path / "data"
    for bad, says in [('[rules]\ncounts = "first"\n', '"best" or "latest"'),
                      ('[rules]\ndeadline = 2026-01-02T03:04:05\n', "time zone"),
                      ('[rules]\nrate = 3\n', "unknown key"), ("[rules\n", "not valid TOML")]:
        with pytest.raises(settings.ConfigError, match=says):
            config(tmp_path, bad)


def test_a_submission_is_on_disk_and_in_the_database_before_it_is_queued(service):
    conf, engine = service
    row = store.accept(engine, conf, "alice", NB, b'{"cells": []}', now=at("2026-12-18T21:00:00+00:00"))
    assert (conf.storage / row.path).read_bytes() == b'{"cells": []}'
    stored = store.load(engine, row.id, content=True)
    assert stored.content == b'{"cells": []}' and stored.state == db.QUEUED and not stored.late
    assert stored.sha256 == __import__("hashlib").sha256(b'{"cells": []}').hexdigest()


def test_deadline_marks_late_and_rate_limit_says_how_long_to_wait(service):
    conf, engine = service
    first = store.accept(engine, conf, "alice", NB, b"{}", now=at("2026-12-18T21:59:00+00:00"))
    assert not first.late
    with pytest.raises(store.Refused) as refused:
        store.accept(engine, conf, "alice", NB, b"{}", now=at("2026-12-18T22:05:30+00:00"))
    assert refused.value.status == 429 and refused.value.wait_seconds == pytest.approx(210)
    assert "3 min 30 s" in refused.value.message
    store.accept(engine, conf, "bob", NB, b"{}", now=at("2026-12-18T22:05:30+00:00"))  # another student: not limited
    late = store.accept(engine, conf, "alice", NB, b"{}", now=at("2026-12-18T22:09:00+00:00"))
    assert late.late, "after the deadline (23:00 in +01:00 is 22:00 UTC) a submission is kept and marked late"
    for _ in range(3):  # no rate limit on notebook 02
        store.accept(engine, conf, "alice", "02_gradient_descent", b"{}")


def test_too_large_a_notebook_is_refused_with_what_to_do(service):
    conf, engine = service
    with pytest.raises(store.Refused, match="clear its outputs") as refused:
        store.accept(engine, conf, "alice", NB, b"x" * (16 * 2**20 + 1))
    assert refused.value.status == 413


def test_the_queue_gives_each_submission_to_one_worker_in_order(service):
    conf, engine = service
    ids = [store.accept(engine, conf, f"s{i}", NB, b"{}").id for i in range(30)]
    claimed: list[int] = []

    def worker(name: str) -> None:
        while (got := store.claim(engine, name)) is not None:
            claimed.append(got)

    threads = [threading.Thread(target=worker, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids, "every submission claimed exactly once"
    assert store.claim(engine, "w9") is None


def test_a_lost_lease_or_a_restarted_worker_puts_the_submission_back(service):
    conf, engine = service
    row = store.accept(engine, conf, "alice", NB, b"{}")
    assert store.claim(engine, "w1", lease_seconds=60) == row.id
    assert store.claim(engine, "w2") is None, "held by w1 while its lease runs"
    assert store.register(engine, "w1", "host", 1) == 1, "w1 restarted: what it held goes back at once"
    assert store.claim(engine, "w2", lease_seconds=-1) == row.id   # w2 dies at once (its lease already over)
    assert store.claim(engine, "w3") == row.id, "a lease that ran out: another worker takes it over"
    assert store.load(engine, row.id).attempts == 3
    assert not store.finish(engine, row.id, "w2", result("alice", [1])), "w2 no longer holds it: its marks are refused"
    assert store.finish(engine, row.id, "w3", result("alice", [1, 0]))
    done = store.load(engine, row.id)
    assert (done.state, done.points, done.max_points, len(done.marks)) == (db.DONE, 1, 2, 2)


def test_regrade_puts_graded_work_back_behind_first_verdicts(service, tmp_path):
    conf, engine = service
    old = [store.accept(engine, conf, name, NB, b"{}") for name in ("alice", "bob")]
    other = store.accept(engine, conf, "alice", "02_gradient_descent", b"{}")
    for row in (*old, other):
        assert store.claim(engine, "w1") == row.id
        store.finish(engine, row.id, "w1", result(row.student, [1, 0]))
    fresh = store.accept(engine, conf, "carol", NB, b"{}")
    assert store.regrade(engine, notebook=NB) == 2, "the graded submissions of that notebook, not the other's"
    again = store.load(engine, old[0].id)
    assert (again.state, again.points, again.marks, again.attempts) == (db.QUEUED, None, [], 0)
    assert store.load(engine, other.id).state == db.DONE
    assert store.ahead_of(engine, fresh) == 0 and store.ahead_of(engine, again) == 1
    assert [store.claim(engine, "w2") for _ in range(3)] == [fresh.id, old[0].id, old[1].id]
    assert store.regrade(engine, student="alice") == 1, "only alice's graded work (her 01 is being graded)"
    assert store.load(engine, other.id).state == db.QUEUED


def test_grader_faults_go_back_to_the_queue(service):
    conf, engine = service
    row = store.accept(engine, conf, "alice", NB, b"{}")
    store.claim(engine, "w1")
    store.give_back(engine, row.id, "w1", "GraderFault: no kernel could be started")
    assert store.load(engine, row.id).state == db.QUEUED and store.claim(engine, "w2") == row.id


def test_gradebook_counts_best_or_latest(service):
    conf, engine = service
    scores = {NB: [[1, 1, 0], [1, 0, 0], [0, 0, 0]], "02_gradient_descent": [[1, 1], [1, 0]]}
    for notebook, runs in scores.items():
        for got in runs:
            row = store.accept(engine, conf, "alice", notebook, b"{}", now=at("2026-12-01T00:00:00+00:00")
                               + dt.timedelta(hours=len(store.of_student(engine, "alice"))))
            store.claim(engine, "w")
            store.finish(engine, row.id, "w", result("alice", got, notebook))
    students, notebooks, cells = store.gradebook(engine, conf)
    assert students == ["alice"] and notebooks == sorted(scores)
    assert cells[("alice", NB)].counted.points == 2, "best counts for 01"
    assert cells[("alice", "02_gradient_descent")].counted.points == 1, "latest counts for 02"
    assert len(cells[("alice", NB)].submissions) == 3


def test_pages_escape_what_students_wrote(service):
    conf, engine = service
    evil = "<script>alert(1)</script>"
    row = store.accept(engine, conf, evil, NB, b"{}")
    store.claim(engine, "w")
    store.finish(engine, row.id, "w", store.Result([Mark(evil, NB, "1.1", 0, 1, "failed", evil)], None))
    rows = store.of_student(engine, evil)
    page = pages.student("/services/g/", evil, rows, "Course <i>", True)
    students, notebooks, cells = store.gradebook(engine, conf)
    book = pages.gradebook("/services/g/", "Course", students, notebooks, cells, store.workers(engine), {NB: "best"})
    for html in (page, book):
        assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<i>" not in page


def test_the_gradebook_stays_live_when_the_teacher_asks_and_shows_the_queue(service):
    conf, engine = service
    store.accept(engine, conf, "alice", NB, b"{}")
    store.accept(engine, conf, "bob", NB, b"{}")
    store.claim(engine, "w")
    students, notebooks, cells = store.gradebook(engine, conf)
    still = pages.gradebook("/g/", "Course", students, notebooks, cells, [], {NB: "best"})
    live = pages.gradebook("/g/", "Course", students, notebooks, cells, [], {NB: "best"}, live=True)
    assert "1 submission(s) waiting, 1 being graded" in still
    assert "refresh" not in still and "href='/g/gradebook?live=1'>keep this page up to date" in still
    assert "http-equiv='refresh' content='30'" in live and "href='/g/gradebook'>stop reloading" in live
    assert "refresh" not in pages.student("/g/", "alice", store.of_student(engine, "alice"), "Course", False)
