"""A PostgreSQL server of Debian's package in a temporary folder on 127.0.0.1, for the tests and benchmarks.

    with LocalPostgres() as pg:
        pg.url        # postgresql+psycopg://USER@127.0.0.1:PORT/postgres

initdb refuses to run as root: as root, the cluster belongs to the user `nobody` and the server runs as it,
in a folder of its own under the system's temporary folder (removed when stopped). Stopped by process id
(pg_ctl stop -m fast, then SIGKILL of the postmaster by its id).
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HINT = "install Debian's PostgreSQL: python3 tools/system_deps.py postgresql (as root), or apt-get install postgresql"


def binaries() -> Path | None:
    """The folder of initdb and postgres (tools/system_deps.py finds it), or None."""
    from tools.system_deps import find_postgresql
    folder = find_postgresql()
    return Path(folder) if folder else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalPostgres:
    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError(f"no PostgreSQL server here (initdb not found): {HINT}")
        self.folder = Path(tempfile.mkdtemp(prefix="mlp-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        self.url = f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"
        self.pid: int | None = None

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        user = self.user if os.geteuid() == 0 else None
        return subprocess.run(argv, user=user, capture_output=True, text=True, timeout=timeout, cwd=self.folder)

    def start(self) -> "LocalPostgres":
        if os.geteuid() == 0:
            shutil.chown(self.folder, self.user)
        done = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync",
                         "-E", "UTF8", "--locale=C")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=60"
        done = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                         "-o", options, "-w", "-t", "60", "start")
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:] if (self.folder / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr[-1000:]}\n{log}")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def stop(self) -> None:
        if self.pid is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pid = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "LocalPostgres":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
