"""The course's JupyterHub service: students submit from JupyterLab, the grader's verdict comes back in seconds,
teachers keep a gradebook that exports to Moodle and Canvas (issue 23).

    settings.py    the configuration file (TOML): database, storage, teachers' group, rules per notebook, roster
    db.py          the tables (SQLAlchemy) and their migrations (alembic, migrations/); SQLite or PostgreSQL
    store.py       what happens to a submission: accepted under the rules, queued, claimed, graded, counted
    worker.py      a worker process: claims a submission from the database, grades it with tools.grading
    pages.py       the HTML the service shows (everything a student wrote is escaped)
    app.py         the tornado web application behind the hub (HubOAuth: the hub says who is asking)

    python -m tools.hub_service serve --config grader.toml   the service with its workers (a hub's managed service)
    python -m tools.hub_service work --config grader.toml    one more worker, on this or another machine
    python -m tools.hub_service migrate --config grader.toml create or upgrade the database
    python -m tools.hub_service regrade --config grader.toml [--notebook NB] [--student NAME]
                                                             grade what was graded again (after a fix of the course)

A submission is written to the storage folder and to the database (in one transaction) before it is
queued; workers pull from the database (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite: one
UPDATE statement, a write transaction of its own), so they may run on several machines sharing only it.
"""
