"""python -m tools.hub_service serve|work|migrate|regrade --config FILE: see tools/hub_service/__init__.py."""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from .settings import ConfigError, load

ROOT = Path(__file__).resolve().parents[2]
RESTART_SECONDS = 5.0


def start_worker(config: Path, name: str, slot: int, sandboxed: bool) -> subprocess.Popen:
    argv = [sys.executable, "-m", "tools.hub_service", "work", "--config", str(config), "--name", name, "--slot", str(slot)]
    return subprocess.Popen(argv + ([] if sandboxed else ["--no-sandbox"]), cwd=ROOT)


def serve(args, settings) -> int:
    """The web application, and settings.workers worker processes beside it (restarted if one dies)."""
    from tornado import ioloop

    from .app import make_app
    from .db import engine_for, migrate
    migrate(engine_for(settings.database))
    settings.storage.mkdir(parents=True, exist_ok=True)
    url = urllib.parse.urlsplit(os.environ.get("JUPYTERHUB_SERVICE_URL", f"http://127.0.0.1:{args.port}"))
    app = make_app(settings)
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    host = socket.gethostname()
    workers = {k: start_worker(args.config, f"{host}-{k}", k, not args.no_sandbox) for k in range(settings.workers)}

    def supervise() -> None:
        for k, process in list(workers.items()):
            if process.poll() is not None:
                print(f"service: worker {host}-{k} exited ({process.returncode}); starting it again", flush=True)
                workers[k] = start_worker(args.config, f"{host}-{k}", k, not args.no_sandbox)

    def stop(signum, _frame) -> None:
        loop.asyncio_loop.call_soon_threadsafe(loop.stop)

    loop = ioloop.IOLoop.current()
    ioloop.PeriodicCallback(supervise, RESTART_SECONDS * 1000).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"service: listening on {url.geturl()} with {len(workers)} worker(s)", flush=True)
    try:
        loop.start()
    finally:
        for process in workers.values():   # a worker finishes what it grades, or is stopped; by process id
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in workers.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hub_service", description="The course's JupyterHub service.")
    parser.add_argument("command", choices=["serve", "work", "migrate", "regrade"])
    parser.add_argument("--config", type=Path, required=True, help="the service's TOML file (tools/hub_service/settings.py)")
    parser.add_argument("--port", type=int, default=10101, help="serve: where to listen without JUPYTERHUB_SERVICE_URL")
    parser.add_argument("--name", help="work: this worker's name, unique and the same after a restart (default HOST-SLOT)")
    parser.add_argument("--slot", type=int, default=0, help="work: its sandbox slot, different for each worker of a machine")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without bubblewrap (trusted work only)")
    parser.add_argument("--notebook", help="regrade: only this notebook's submissions (default: all)")
    parser.add_argument("--student", help="regrade: only this student's submissions (default: all)")
    args = parser.parse_args(argv)
    args.config = args.config.resolve()
    try:
        settings = load(args.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from .db import engine_for, migrate
        migrate(engine_for(settings.database))
        return 0
    if args.command == "regrade":
        from . import store
        from .db import engine_for
        count = store.regrade(engine_for(settings.database), args.notebook, args.student)
        print(f"{count} submission(s) back in the queue, behind those waiting for a first verdict; the workers grade "
              "them with the checks they loaded when they started (restart the service after updating the course)")
        return 0
    if args.command == "work":
        from .worker import main as work
        return work(settings, args.name, args.slot, not args.no_sandbox)
    return serve(args, settings)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
