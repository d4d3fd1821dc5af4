"""Load probe for hub admins: N students at once on a real JupyterHub on this machine.

    .venv/bin/python -m benchmarks.bench_hub                  # 5, then 10 students (about 3 minutes)
    .venv/bin/python -m benchmarks.bench_hub --users 3 --json hub.json
    .venv/bin/python -m benchmarks.bench_hub --submit 30      # 30 students submit notebook 01 within a minute
    .venv/bin/python -m benchmarks.bench_hub --submit 30 --postgresql --workers 2

Needs the 'hub' extra and the proxy: run `python3 course.py test -m hub` once (it installs both), or
`python3 tools/system_deps.py npm` and `.venv/bin/pip install -e ".[hub]"`.

For each N a fresh hub (tools/localhub.py: 127.0.0.1 only, simple spawner, OPENBLAS_NUM_THREADS=1)
gets N users; then, all at once:
1. spawn: every user's server is started through the hub's REST API (wall time until all are
   ready; CPU seconds of the hub, the proxy and the servers spent on it, per user);
2. run: every user runs the notebook (default: solutions/01_linear_regression.ipynb) in a fresh
   kernel of their own server, cell by cell over the kernel's websocket, through the proxy, as
   JupyterLab does (wall time per user; kernel CPU seconds);
3. memory of each active student while the kernels are still up: their server and kernel, RSS and
   PSS (PSS shares the libraries' pages out among the processes that map them: what a student adds).
The probe is bounded: at most 20 users, every wait has a time limit, and the hub with everything it
started is stopped (by process id) before the next N.

--submit N: the grading service (tools/hub_service) as the hub's managed service; N students, each with
their own token, send notebook 01 (half of them right, half with a wrong cost) at random moments within
--within seconds, through the hub's proxy as the Submit button does, and poll until the verdict: the time
from Submit to verdict (median, 95th percentile, worst), the service's memory (the web process and its
workers, sampled through the run; the sandboxed kernels apart) and the queue's longest wait.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
from tools.localhub import LocalHub, descendants  # noqa: E402

MAX_USERS = 20
MAX_SUBMITTERS = 60
NOTEBOOK_SECONDS = 300
CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MB, from /proc/PID/smaps_rollup."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in ("Rss:", "Pss:"):
                values[parts[0]] = int(parts[1]) / 1024
    except OSError:
        return 0.0, 0.0
    return values.get("Rss:", 0.0), values.get("Pss:", 0.0)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def server_processes(hub: LocalHub) -> dict[int, list[int]]:
    """{server pid: [its descendants (the kernels)]} for every single-user server the hub started."""
    servers = [pid for pid in descendants(hub.process.pid) if "jupyterhub-singleuser" in cmdline(pid)]
    return {pid: descendants(pid) for pid in servers}


def message(msg_type: str, content: dict, session: str) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "probe", "session": session,
                       "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}


async def run_notebook(hub: LocalHub, user: str, cells: list[str]) -> dict:
    """Start a kernel in the user's server, run `cells` one after another over its websocket."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    loop = asyncio.get_running_loop()
    base = f"{hub.base}/user/{user}"
    started = time.monotonic()
    session = await loop.run_in_executor(None, lambda: hub.request(
        "POST", f"{base}/api/sessions", {"path": "probe.ipynb", "type": "notebook", "name": "probe.ipynb",
                                          "kernel": {"name": "python3"}}))
    kernel = session["kernel"]["id"]
    url = f"{base}/api/kernels/{kernel}/channels".replace("http://", "ws://")
    connection = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {hub.token}"},
                                                     connect_timeout=60, request_timeout=60))
    kernel_ready = time.monotonic() - started
    errors, session_id = [], uuid.uuid4().hex
    try:
        for source in cells:
            request = message("execute_request", {"code": source, "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False,
                                                  "stop_on_error": False}, session_id)
            await connection.write_message(json.dumps(request))
            idle = replied = False
            while not (idle and replied):
                raw = await asyncio.wait_for(connection.read_message(), NOTEBOOK_SECONDS)
                if raw is None:
                    raise RuntimeError(f"{user}: the kernel's websocket closed")
                reply = json.loads(raw)
                if reply.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                    continue
                kind = reply["header"]["msg_type"]
                if kind == "execute_reply":
                    replied = True
                    if reply["content"].get("status") != "ok":
                        errors.append(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"[:200])
                elif kind == "status" and reply["content"].get("execution_state") == "idle":
                    idle = True
    finally:
        connection.close()
    return {"user": user, "seconds": time.monotonic() - started, "kernel_ready_seconds": kernel_ready,
            "errors": errors, "kernel": kernel}


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def probe(users: int, notebook: Path) -> dict:
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code" and c.source.strip()]
    names = [f"student{i:02d}" for i in range(users)]
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as folder, LocalHub(Path(folder)) as hub:
        hub.api("POST", "users", {"usernames": names})
        tree_before = [hub.process.pid, *descendants(hub.process.pid)]
        cpu_before = sum(cpu_seconds(pid) for pid in tree_before)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=users) as pool:
            list(pool.map(lambda name: hub.api("POST", f"users/{name}/server"), names))
            list(pool.map(lambda name: hub.wait_for_server(name, seconds=300), names))
        spawn_seconds = time.monotonic() - started
        tree_after = [hub.process.pid, *descendants(hub.process.pid)]
        spawn_cpu = sum(cpu_seconds(pid) for pid in tree_after) - cpu_before
        idle_servers = {pid: memory_mb(pid) for pid in server_processes(hub)}

        async def everyone():
            return await asyncio.gather(*(run_notebook(hub, name, cells) for name in names))

        started = time.monotonic()
        runs = asyncio.run(everyone())
        run_seconds = time.monotonic() - started
        load = load_average()
        active = []
        for server, children in server_processes(hub).items():
            server_mem = memory_mb(server)
            kernels = [memory_mb(pid) for pid in children if "ipykernel" in cmdline(pid)]
            active.append({"server_rss": server_mem[0], "server_pss": server_mem[1],
                           "kernel_rss": sum(k[0] for k in kernels), "kernel_pss": sum(k[1] for k in kernels),
                           "kernel_cpu": sum(cpu_seconds(pid) for pid in children if "ipykernel" in cmdline(pid))})
        hub_mem = memory_mb(hub.process.pid)
        proxy = [pid for pid in descendants(hub.process.pid) if "configurable-http-proxy" in cmdline(pid)]
        proxy_mem = memory_mb(proxy[0]) if proxy else (0.0, 0.0)
    per_user = [r["seconds"] for r in runs]
    return {
        "users": users, "notebook": str(notebook.relative_to(ROOT)), "cells": len(cells),
        "spawn_all_seconds": spawn_seconds, "spawn_cpu_seconds_per_user": spawn_cpu / users,
        "notebook_seconds": {"min": min(per_user), "median": statistics.median(per_user), "max": max(per_user)},
        "kernel_ready_seconds_median": statistics.median(r["kernel_ready_seconds"] for r in runs),
        "all_notebooks_seconds": run_seconds,
        "errors": {r["user"]: r["errors"] for r in runs if r["errors"]},
        "idle_server_mb": {"rss": statistics.median(m[0] for m in idle_servers.values()),
                           "pss": statistics.median(m[1] for m in idle_servers.values())},
        "active_student_mb": {key: statistics.median(a[key] for a in active)
                              for key in ("server_rss", "server_pss", "kernel_rss", "kernel_pss")},
        "kernel_cpu_seconds_median": statistics.median(a["kernel_cpu"] for a in active),
        "hub_mb": {"rss": hub_mem[0], "pss": hub_mem[1]}, "proxy_mb": {"rss": proxy_mem[0], "pss": proxy_mem[1]},
        "load_average_after_run": load, "servers_measured": len(active),
    }


def report(result: dict) -> None:
    a, n = result["active_student_mb"], result["notebook_seconds"]
    print(f"\n{result['users']} student{'s' if result['users'] > 1 else ''} at once, {result['notebook']} ({result['cells']} code cells)")
    print(f"  spawn: all servers ready in {result['spawn_all_seconds']:.1f} s, "
          f"{result['spawn_cpu_seconds_per_user']:.2f} CPU-s per server (hub + proxy + server)")
    print(f"  notebook under load: {n['min']:.1f} / {n['median']:.1f} / {n['max']:.1f} s (min / median / max, kernel start included; "
          f"kernel ready after {result['kernel_ready_seconds_median']:.1f} s); all done in {result['all_notebooks_seconds']:.1f} s; "
          f"kernel CPU {result['kernel_cpu_seconds_median']:.2f} s each; load average after: {result['load_average_after_run']:.1f}")
    print(f"  memory per active student (median): server {a['server_rss']:.0f} MB RSS ({a['server_pss']:.0f} PSS), "
          f"kernel {a['kernel_rss']:.0f} MB RSS ({a['kernel_pss']:.0f} PSS): "
          f"{a['server_rss'] + a['kernel_rss']:.0f} MB RSS, {a['server_pss'] + a['kernel_pss']:.0f} MB PSS")
    print(f"  idle server after spawn: {result['idle_server_mb']['rss']:.0f} MB RSS; hub {result['hub_mb']['rss']:.0f} MB, "
          f"proxy {result['proxy_mb']['rss']:.0f} MB RSS")
    if result["errors"]:
        print(f"  ERRORS: {result['errors']}")


def service_processes(hub: LocalHub) -> tuple[list[int], list[int]]:
    """(the grading service's own processes: web and workers; the sandboxed kernels they started)."""
    own, kernels = [], []
    for pid in descendants(hub.process.pid):
        line = cmdline(pid)
        if "tools.hub_service" in line:
            own.append(pid)
        elif "tools/grading/worker.py" in line or "bwrap" in line:
            kernels.append(pid)
    return own, kernels


def call(url: str, token: str, body: bytes | None = None) -> dict:
    """A student's call to the grading service with their token (POST when there is a body)."""
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def submit_probe(students: int, within: float, workers: int, postgresql: bool, seed: int = 23) -> dict:
    """N students submit notebook 01 within `within` seconds through the hub; Submit -> verdict for each."""
    import random
    import threading

    from tests import grading_corpus as corpus
    from tools.hub_service.localpg import LocalPostgres

    right = nbformat.writes(corpus.submission(corpus.RIGHT)).encode()
    wrong = nbformat.writes(corpus.submission({**corpus.RIGHT, "cost": corpus.WRONG_COST})).encode()
    names = [f"student{i:02d}" for i in range(students)]
    draw = random.Random(seed)   # one generator: each student's moment is a fresh draw
    moments = sorted(draw.uniform(0, within) for _ in names)
    with tempfile.TemporaryDirectory(prefix="bench-hub-submit-") as folder:
        folder = Path(folder)
        server = LocalPostgres().start() if postgresql else None
        try:
            url = server.url if server else "sqlite:///grader.sqlite"
            (folder / "grader.toml").write_text(f'[service]\ndatabase = "{url}"\nstorage = "data"\nworkers = {workers}\n'
                                                 '[rules]\nrate_minutes = 0\n')
            with LocalHub(folder / "hub", grader=folder / "grader.toml") as hub:
                hub.api("POST", "users", {"usernames": names})
                hub.wait_for_grader()
                tokens = {name: hub.user_token(name) for name in names}

                def submit_and_wait(name: str, body: bytes) -> dict:
                    answer = call(f"{hub.grader_url}api/submit?notebook={corpus.NAME}", tokens[name], body)
                    deadline = time.monotonic() + NOTEBOOK_SECONDS * 3
                    while answer["state"] in ("queued", "grading") and time.monotonic() < deadline:
                        time.sleep(0.25)
                        answer = call(f"{hub.grader_url}api/submissions/{answer['id']}", tokens[name])
                    return answer

                # warm-up: each worker loads the lecture once (as on a hub that has been running), then the clock starts
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(lambda name: submit_and_wait(name, right), names[:workers]))
                peak = {"service_rss": 0.0, "service_pss": 0.0, "kernels_rss": 0.0}
                done = threading.Event()

                def sample() -> None:
                    while not done.wait(0.5):
                        own, kernels = service_processes(hub)
                        mem = [memory_mb(pid) for pid in own]
                        peak["service_rss"] = max(peak["service_rss"], sum(m[0] for m in mem))
                        peak["service_pss"] = max(peak["service_pss"], sum(m[1] for m in mem))
                        peak["kernels_rss"] = max(peak["kernels_rss"], sum(memory_mb(pid)[0] for pid in kernels))

                def student(index: int) -> dict:
                    time.sleep(max(0.0, start + moments[index] - time.monotonic()))
                    sent = time.monotonic()
                    answer = submit_and_wait(names[index], right if index % 2 else wrong)
                    return {"student": names[index], "seconds": time.monotonic() - sent, "state": answer["state"],
                            "points": answer["points"], "expected": 5 if index % 2 else 4}

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                start = time.monotonic()
                with ThreadPoolExecutor(max_workers=students) as pool:
                    results = list(pool.map(student, range(students)))
                total = time.monotonic() - start
                done.set()
                load = load_average()
        finally:
            if server:
                server.stop()
    seconds = sorted(r["seconds"] for r in results)
    wrong_marks = [r for r in results if r["state"] != "done" or r["points"] != r["expected"]]
    return {"students": students, "within_seconds": within, "workers": workers,
            "database": "postgresql" if postgresql else "sqlite",
            "submit_to_verdict_seconds": {"median": statistics.median(seconds),
                                          "p95": seconds[min(len(seconds) - 1, math.ceil(0.95 * len(seconds)) - 1)],
                                          "max": seconds[-1], "min": seconds[0]},
            "submits_from_to_seconds": [moments[0], moments[-1]], "all_verdicts_seconds": total, "service_peak_mb": peak, "load_average_after": load,
            "wrong_verdicts": wrong_marks}


def report_submit(result: dict) -> None:
    t, m = result["submit_to_verdict_seconds"], result["service_peak_mb"]
    first, last = result["submits_from_to_seconds"]
    print(f"\n{result['students']} students submit notebook 01 within {result['within_seconds']:g} s "
          f"(the first at {first:.1f} s, the last at {last:.1f} s) "
          f"({result['workers']} workers, {result['database']})")
    print(f"  Submit -> verdict: median {t['median']:.1f} s, 95th percentile {t['p95']:.1f} s, worst {t['max']:.1f} s, "
          f"best {t['min']:.1f} s; all verdicts in {result['all_verdicts_seconds']:.1f} s; "
          f"load average after: {result['load_average_after']:.1f}")
    print(f"  service memory (peak, web + workers): {m['service_rss']:.0f} MB RSS, {m['service_pss']:.0f} MB PSS; "
          f"sandboxed kernels at once: {m['kernels_rss']:.0f} MB RSS")
    if result["wrong_verdicts"]:
        print(f"  WRONG OR MISSING VERDICTS: {result['wrong_verdicts']}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[5, 10], help=f"students at once, each run (at most {MAX_USERS})")
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "01_linear_regression.ipynb")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--submit", type=int, metavar="N",
                        help=f"instead: N students (at most {MAX_SUBMITTERS}) submit notebook 01 to the grading service")
    parser.add_argument("--within", type=float, default=60.0, help="--submit: the seconds over which they submit")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="--submit: the service's workers")
    parser.add_argument("--postgresql", action="store_true", help="--submit: PostgreSQL (Debian's, started here), not SQLite")
    args = parser.parse_args(argv)
    if args.submit is not None:
        if not 1 <= args.submit <= MAX_SUBMITTERS:
            parser.error(f"--submit: between 1 and {MAX_SUBMITTERS}")
        print(f"machine: {os.cpu_count()} CPUs, load average {load_average():.1f} before the probe")
        result = submit_probe(args.submit, args.within, args.workers, args.postgresql)
        report_submit(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        return 1 if result["wrong_verdicts"] else 0
    if any(not 1 <= n <= MAX_USERS for n in args.users):
        parser.error(f"--users: between 1 and {MAX_USERS}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average():.1f} before the probe")
    results = []
    for users in args.users:
        results.append(probe(users, args.notebook.resolve()))
        report(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if any(r["errors"] or r["servers_measured"] != r["users"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
