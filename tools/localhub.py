"""A real JupyterHub on 127.0.0.1, for the hub tests (tests/hub/) and the load probe (benchmarks/bench_hub.py).

The hub, its proxy and every student's server run on this machine, bound to 127.0.0.1 on free
ports: JupyterHub from the course's environment (the `hub` extra: jupyterhub, nbgitpuller),
configurable-http-proxy from tools/npm (`python3 tools/system_deps.py npm`), the dummy
authenticator (any user name, one shared password), the simple local spawner (a home folder per
user under the hub's folder; every server runs as the user that runs the hub, hence `--allow-root`
as root) and one BLAS thread per kernel (OPENBLAS_NUM_THREADS=1), as the README advises.
A service token (`LocalHub.token`) may create users and their tokens, start and stop their servers and use them.
With `grader=CONFIG` the hub also runs the course's grading service (tools/hub_service) as a managed service
at /services/course-grader/, with the roles the README gives: the service may read users and groups, a
student's server token may use the service, and every server gets MLP_GRADER_URL; `teachers` are put in
the hub's group "teachers".

    with LocalHub(folder) as hub:          # started; stopped (hub, proxy, servers) on leaving
        hub.api("POST", "users/alice")     # the hub's REST API, /hub/api/...
        hub.base                           # http://127.0.0.1:PORT, what a browser opens

Stopping is by process id only: the hub stops the proxy and the servers it started; any of its
descendants still alive after that is sent SIGTERM, then SIGKILL, by its own id.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # the course's environment: jupyterhub, jupyterhub-singleuser
PROXY = ROOT / "tools" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"

CONFIG = '''# written by tools/localhub.py
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}
c.JupyterHub.db_url = "sqlite:///" + {db!r}
c.JupyterHub.cookie_secret_file = {cookie!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.environment = {{"OPENBLAS_NUM_THREADS": "1"}}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.services = [{{"name": "course-tools", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "course-tools", "services": ["course-tools"],
                            "scopes": ["admin:users", "admin:servers", "access:servers", "read:users", "tokens",
                                       "access:services"]}}]
'''
GRADER = '''
# the course's grading service (tools/hub_service), as the README's hub section configures it
c.JupyterHub.services.append({{
    "name": "course-grader", "url": "http://127.0.0.1:{service_port}", "oauth_no_confirm": True,
    "command": [{python!r}, "-m", "tools.hub_service", "serve", "--config", {grader_config!r}],
    "cwd": {root!r}, "environment": {{"OPENBLAS_NUM_THREADS": "1"}},
}})
c.JupyterHub.load_roles += [
    {{"name": "course-grader", "services": ["course-grader"], "scopes": ["read:users", "read:groups"]}},
    # students' tokens and their servers' JUPYTERHUB_API_TOKEN may use the service: the default roles plus it
    {{"name": "user", "scopes": ["self", "access:services!service=course-grader"]}},
    {{"name": "server", "scopes": ["users:activity!user", "access:servers!server",
                                  "access:services!service=course-grader"]}},
]
c.JupyterHub.load_groups = {{"teachers": {{"users": {teachers!r}}}}}
c.Spawner.environment["MLP_GRADER_URL"] = "http://127.0.0.1:{port}/services/course-grader/"
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Process ids of every descendant of `pid` (Linux /proc), children before grandchildren."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


class HubError(RuntimeError):
    """The hub did not start, or a call to it failed; the message holds the end of its log."""


class LocalHub:
    def __init__(self, folder: Path, password: str | None = None, start_seconds: float = 90,
                 grader: Path | None = None, teachers: tuple[str, ...] = ()) -> None:
        self.folder = Path(folder)
        self.homes = self.folder / "home"
        self.password = password or secrets.token_hex(8)
        self.token = secrets.token_hex(32)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.folder / "jupyterhub.log"
        self.start_seconds = start_seconds
        self.process: subprocess.Popen | None = None
        self.grader, self.teachers = grader, list(teachers)
        self.grader_url = f"{self.base}/services/course-grader/"

    def config(self) -> str:
        args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        config = CONFIG.format(
            port=self.port, hub_port=free_port(), proxy_api_port=free_port(), proxy=str(PROXY),
            proxy_pid=str(self.folder / "proxy.pid"), db=str(self.folder / "jupyterhub.sqlite"),
            cookie=str(self.folder / "cookie_secret"), password=self.password, homes=str(self.homes),
            singleuser=str(VENV_BIN / "jupyterhub-singleuser"), args=args, token=self.token)
        if self.grader is not None:
            config += GRADER.format(service_port=free_port(), python=sys.executable, grader_config=str(self.grader),
                                    root=str(ROOT), teachers=self.teachers, port=self.port)
        return config

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else "(no log)"

    def start(self) -> "LocalHub":
        if not PROXY.exists():
            raise HubError(f"no configurable-http-proxy at {PROXY}: run python3 tools/system_deps.py npm "
                           "(python3 course.py test -m hub does)")
        if not (VENV_BIN / "jupyterhub").exists():
            raise HubError(f"no jupyterhub in {VENV_BIN}: install the course's 'hub' extra "
                           "(python3 course.py test -m hub does)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.homes.mkdir(exist_ok=True)
        (self.folder / "jupyterhub_config.py").write_text(self.config())
        env = dict(os.environ, PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", "jupyterhub_config.py"],
                                            cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_seconds
        while True:
            if self.process.poll() is not None:
                raise HubError(f"JupyterHub exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "")
                return self
            except (OSError, HubError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise HubError(f"JupyterHub did not answer within {self.start_seconds:.0f} s:\n{self.log_tail()}")
                time.sleep(0.3)

    def request(self, method: str, url: str, body: dict | None = None, timeout: float = 60):
        """A call with the service token to any URL behind the proxy; returns the decoded JSON (or None)."""
        request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                data = response.read()
        except urllib.error.HTTPError as error:
            raise HubError(f"{method} {url}: HTTP {error.code} {error.read()[:500]!r}") from error
        return json.loads(data) if data else None

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 60):
        return self.request(method, f"{self.base}/hub/api/{path}", body, timeout)

    def user_token(self, user: str) -> str:
        """A new API token of `user` (as a student's own token: it acts as them)."""
        return self.api("POST", f"users/{user}/tokens", {"note": "hub tests", "expires_in": 3600})["token"]

    def wait_for_grader(self, seconds: float = 120) -> None:
        """Until the grading service answers behind the proxy (it starts after the hub)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                urllib.request.urlopen(self.grader_url + "api/submissions", timeout=10).close()
                return
            except urllib.error.HTTPError as error:
                if error.code == 403:  # the service itself: it wants a student
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise HubError(f"the grading service did not answer within {seconds:.0f} s:\n{self.log_tail()}")
            time.sleep(0.5)

    def wait_for_server(self, user: str, seconds: float = 180) -> None:
        """Until the user's server is ready (after POST users/NAME/server)."""
        deadline = time.monotonic() + seconds
        while True:
            model = self.api("GET", f"users/{user}")
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            if not model.get("pending") and not server:
                raise HubError(f"the server of {user} stopped while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise HubError(f"the server of {user} was not ready within {seconds:.0f} s:\n{self.log_tail()}")
            time.sleep(0.25)

    def stop(self) -> None:
        """Stop the hub (it stops the proxy and the servers it started), then any descendant left, by id."""
        if self.process is None:
            return
        left = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [pid for pid in left if _alive(pid)]
            for pid in alive:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 10
            while any(_alive(pid) for pid in alive) and time.monotonic() < deadline:
                time.sleep(0.2)
        self.process = None

    def __enter__(self) -> "LocalHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    """Running (not merely a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
