"""The service's configuration file (TOML), with the rules a teacher sets per notebook.

    [service]
    database = "sqlite:///grader.sqlite"      # or postgresql+psycopg://user@host/db (relative paths: beside this file)
    storage = "grader-data"                   # every submitted notebook is kept here too
    teachers_group = "teachers"               # the hub's group whose members (and the hub's admins) see the gradebook
    workers = 2                               # worker processes `serve` starts on this machine
    course = "Neural networks"                # shown on the pages

    [rules]                                   # every notebook, unless its own table says otherwise
    rate_minutes = 10                         # at most one graded submission per notebook and student every N minutes
    counts = "best"                           # "best" or "latest": which submission is the mark

    [rules."01_linear_regression"]
    deadline = 2026-12-18T23:59:00+01:00      # later submissions are kept, graded and marked late

    [students.alice]                          # optional: who a hub user is in Moodle and Canvas (exports)
    name = "Alice Archer"
    email = "alice@example.edu"
    moodle_id = 123456                        # Moodle's participant number ("Participant 123456")
    canvas_id = 98765                         # Canvas's user ID; sis_user_id, sis_login_id, section as Canvas has them

    [lms]
    canvas_assignments = {"01_linear_regression" = 4321}   # Canvas's assignment IDs, for "Name (id)" columns
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

COUNTS = ("best", "latest")


class ConfigError(ValueError):
    """The configuration file says something the service cannot use; the message names the key and the fix."""


@dataclass(frozen=True)
class Rules:
    """What a teacher set for one notebook."""

    deadline: dt.datetime | None = None   # aware; None: no deadline
    rate_minutes: float = 0.0             # 0: no limit
    counts: str = "best"

    def is_late(self, when: dt.datetime) -> bool:
        return self.deadline is not None and when > self.deadline


@dataclass(frozen=True)
class Student:
    """A hub user as the learning platforms know them (all optional)."""

    name: str = ""
    email: str = ""
    moodle_id: int | None = None
    canvas_id: int | None = None
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass
class Settings:
    database: str
    storage: Path
    teachers_group: str = "teachers"
    workers: int = 2
    course: str = "Course"
    defaults: Rules = Rules()
    notebooks: dict[str, Rules] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)
    canvas_assignments: dict[str, int] = field(default_factory=dict)
    source: Path | None = None

    def rules(self, notebook: str) -> Rules:
        return self.notebooks.get(notebook, self.defaults)


def _rules(table: dict, base: Rules, where: str) -> Rules:
    unknown = set(table) - {"deadline", "rate_minutes", "counts"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: deadline, rate_minutes, counts)")
    deadline = table.get("deadline", base.deadline)
    if isinstance(deadline, dt.date) and not isinstance(deadline, dt.datetime):
        deadline = dt.datetime.combine(deadline, dt.time(23, 59, 59))
    if deadline is not None and not isinstance(deadline, dt.datetime):
        raise ConfigError(f"{where}.deadline: write a TOML date-time such as 2026-12-18T23:59:00+01:00")
    if deadline is not None and deadline.tzinfo is None:
        raise ConfigError(f"{where}.deadline: give its time zone, e.g. 2026-12-18T23:59:00+01:00 (or Z for UTC)")
    rate = table.get("rate_minutes", base.rate_minutes)
    if not isinstance(rate, (int, float)) or rate < 0:
        raise ConfigError(f"{where}.rate_minutes: a number of minutes, 0 or more")
    counts = table.get("counts", base.counts)
    if counts not in COUNTS:
        raise ConfigError(f"{where}.counts: \"best\" or \"latest\", not {counts!r}")
    return Rules(deadline, float(rate), counts)


def _database(url: str, folder: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:" and not url[len(prefix):].startswith("/"):
        return prefix + str((folder / url[len(prefix):]).resolve())
    return url


def parse(data: dict, folder: Path, source: Path | None = None) -> Settings:
    """Settings from the TOML document `data`; relative paths are taken from `folder`."""
    service = data.get("service", {})
    rules = dict(data.get("rules", {}))
    per_notebook = {k: v for k, v in rules.items() if isinstance(v, dict)}
    defaults = _rules({k: v for k, v in rules.items() if not isinstance(v, dict)}, Rules(), "rules")
    notebooks = {name: _rules(table, defaults, f'rules."{name}"') for name, table in per_notebook.items()}
    students = {}
    for user, table in data.get("students", {}).items():
        try:
            students[user] = Student(**table)
        except TypeError as error:
            raise ConfigError(f"students.{user}: {error} (keys: name, email, moodle_id, canvas_id, sis_user_id, "
                              "sis_login_id, section)") from None
    storage = Path(service.get("storage", "grader-data"))
    return Settings(
        database=_database(service.get("database", "sqlite:///grader.sqlite"), folder),
        storage=storage if storage.is_absolute() else (folder / storage).resolve(),
        teachers_group=service.get("teachers_group", "teachers"), workers=int(service.get("workers", 2)),
        course=service.get("course", "Course"), defaults=defaults, notebooks=notebooks, students=students,
        canvas_assignments={k: int(v) for k, v in data.get("lms", {}).get("canvas_assignments", {}).items()},
        source=source)


def load(path: Path) -> Settings:
    """The settings in the TOML file at `path`."""
    if sys.version_info < (3, 11):
        raise ConfigError("the hub service reads its TOML configuration with tomllib: Python 3.11 or newer")
    import tomllib
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the configuration {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return parse(data, path.parent, path)
