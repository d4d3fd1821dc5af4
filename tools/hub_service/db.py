"""The service's tables (SQLAlchemy 2) and their migrations (alembic, in migrations/).

    submissions   one row per notebook a student submitted: who (the hub's user name), which notebook, its bytes
                  (the database holds them, so that a worker on another machine needs nothing else), where the
                  service also keeps it on disk, when, late or not, and its place in the queue (state, worker,
                  lease, attempts) and its result (points, the feedback page)
    marks         one row per exercise of a graded submission, as grades.csv has them
    workers       the worker processes and when each was last seen (the gradebook shows them)

SQLite by default (one file, nothing to set up), PostgreSQL by URL (postgresql+psycopg://...). Times are
stored as naive UTC (both databases compare them alike).
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, create_engine,
                        event, inspect)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
QUEUED, GRADING, DONE, FAILED = "queued", "grading", "done", "failed"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    student: Mapped[str] = mapped_column(String(255), index=True)
    notebook: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1000))          # relative to the storage folder of the service
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    feedback: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)  # the feedback page (HTML, inert)

    marks: Mapped[list["Mark"]] = relationship(back_populates="submission", order_by="Mark.id",
                                               cascade="all, delete-orphan")


class Mark(Base):
    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(100))
    grade_id: Mapped[str] = mapped_column(String(100), default="")
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[Submission] = relationship(back_populates="marks")


class Worker(Base):
    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    graded: Mapped[int] = mapped_column(Integer, default=0)


def engine_for(url: str) -> Engine:
    """An engine for the database at `url`; SQLite waits for a lock (30 s) instead of failing, in WAL mode."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")   # readers never wait for the one writer
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(connection):
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Create or upgrade the tables to the newest migration (PostgreSQL: under an advisory lock)."""
    from alembic import command
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(230023)")
        command.upgrade(_alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def wait_for_schema(engine: Engine, seconds: float = 60) -> None:
    """Until the database has the newest tables (the service migrates it; a worker waits); RuntimeError after."""
    deadline, head = time.monotonic() + seconds, head_revision()
    while True:
        try:
            if current_revision(engine) == head:
                return
        except Exception:  # the database is not up yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the database has not got the service's tables (migration {head}): run "
                               "python -m tools.hub_service migrate --config FILE (serve does it)")
        time.sleep(0.5)


def has_tables(engine: Engine) -> bool:
    return inspect(engine).has_table("submissions")
