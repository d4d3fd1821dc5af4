"""The grader's side of the worker: start it in the sandbox, send it cells and requests, read bounded answers.

`Worker` owns one sandboxed process; `SandboxTransport` is the `core.Transport` a check runs
against. Every read has a deadline (the cell's and the notebook's) and a size bound; a worker that
runs over its time is killed ("timeout"), one that dies, closes its pipe or sends what is not
one JSON line is "crashed". A reply is refused before it is decoded when it is longer than
Limits.answer_bytes, holds more than Limits.answer_containers lists and objects or nests deeper
than Limits.answer_depth (an honest worker sends an error of its own instead: see worker.py);
output the grader has not asked for is never buffered beyond Limits.answer_bytes either. After that the worker is gone and every later request fails the same
way, so the checks before keep their points and those after get the status.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mlp.exercises import contract, core

from .sandbox import Limits, Sandbox
from .submission import clean, json_shape

WORKER = Path(__file__).resolve().with_name("worker.py")
GRACE = 1.5            # seconds past the worker's own alarm before the grader kills it
START_SECONDS = 60.0   # importing numpy, matplotlib, IPython on a crowded machine


class WorkerLost(Exception):
    """The worker is gone or must be: status "timeout" or "crashed"."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class Worker:
    """One sandboxed worker process for one submission."""

    def __init__(self, sandbox: Sandbox, limits: Limits, slot: int, topic: str) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.notebook_seconds
        self.lost: WorkerLost | None = None
        argv = [sys.executable, "-B", "-s", str(WORKER)]
        popen = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=sandbox.env(),
                     close_fds=True)
        if os.name == "posix":
            popen.update(preexec_fn=sandbox.preexec(limits, slot), start_new_session=True)
        try:
            self.process = subprocess.Popen(sandbox.command(argv, slot), **popen)
        except OSError as error:
            raise WorkerLost(contract.CRASHED, f"the grader could not start a kernel ({error})") from None
        self.chunks: queue.Queue[bytes] = queue.Queue()
        self.buffer = b""
        self.unread = 0  # bytes the pump has queued and _read not yet taken (both change it: under the lock)
        self.lock = threading.Lock()
        self.flooded = False
        threading.Thread(target=self._pump, daemon=True).start()
        self.ask({"op": "start", "topic": topic}, START_SECONDS, budget=False)

    def _pump(self) -> None:
        """Move the worker's output into a queue (a thread: pipes have no timeout on every OS)."""
        stream = self.process.stdout
        try:
            while True:
                chunk = stream.read1(1 << 20)
                if not chunk:
                    break
                with self.lock:
                    self.unread += len(chunk)
                    flooded = self.unread > 2 * self.limits.answer_bytes
                if flooded:  # nobody asked for this much: stop it here
                    self.flooded = True
                    self.kill_process()
                    break
                self.chunks.put(chunk)
                if self.process.poll() is not None and not chunk:
                    break
        except (OSError, ValueError):
            pass
        self.chunks.put(b"")

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def ask(self, message: dict, seconds: float, budget: bool = True) -> dict:
        """Send one message; return the worker's reply. Raises WorkerLost."""
        if self.lost:
            raise self.lost
        if budget:
            seconds = min(seconds, self.remaining())
            if seconds <= 0:
                self._lose(contract.TIMEOUT, f"the notebook ran longer than the {self.limits.notebook_seconds:g} s it may take")
        message = {**message, "seconds": seconds, "limit": self.limits.answer_bytes,
                   "containers": self.limits.answer_containers}
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            self._lose(contract.CRASHED, self._death())
        return self._read(seconds + GRACE, seconds, budget)

    def _read(self, wait: float, seconds: float, budget: bool) -> dict:
        end = time.monotonic() + wait
        while b"\n" not in self.buffer:
            if len(self.buffer) > self.limits.answer_bytes:
                self._lose(contract.CRASHED, f"the kernel sent more than {self.limits.answer_bytes / 2**20:g} MB at "
                                             "once, more than any answer of this course (refused unread)")
            left = end - time.monotonic()
            if left <= 0:
                if budget and self.remaining() <= GRACE:
                    self._lose(contract.TIMEOUT, f"the notebook ran longer than the {self.limits.notebook_seconds:g} s it may take")
                self._lose(contract.TIMEOUT, f"it ran longer than {seconds:g} s and was stopped: look for a loop that never ends")
            try:
                chunk = self.chunks.get(timeout=left)
            except queue.Empty:
                continue
            if not chunk:
                self._lose(contract.CRASHED, f"the kernel sent more than {2 * self.limits.answer_bytes / 2**20:g} MB "
                                             "that nobody asked for (refused unread)" if self.flooded else self._death())
            with self.lock:
                self.unread -= len(chunk)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        if len(line) > self.limits.answer_bytes:
            self._lose(contract.CRASHED, f"the kernel sent more than {self.limits.answer_bytes / 2**20:g} MB at once, "
                                         "more than any answer of this course (refused unread)")
        containers, depth = json_shape(line, self.limits.answer_containers)
        if containers > self.limits.answer_containers or depth > self.limits.answer_depth:
            self._lose(contract.CRASHED, f"the kernel's answer holds {containers:,} lists and objects nested "
                                         f"{depth} deep, more than any answer of this course (refused unread)")
        try:
            reply = json.loads(line)
        except (ValueError, RecursionError):
            self._lose(contract.CRASHED, "the kernel's answer could not be read")
        if not isinstance(reply, dict):
            self._lose(contract.CRASHED, "the kernel's answer could not be read")
        return reply

    def _death(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        kill, cpu = getattr(signal, "SIGKILL", 9), getattr(signal, "SIGXCPU", 24)
        if code is not None and code < 0 and -code in (kill, signal.SIGSEGV, cpu):
            why = {kill: "it was killed", signal.SIGSEGV: "it crashed (segmentation fault)"}.get(-code, "it used up its CPU time")
        elif code is not None and code >= 128 + 1:
            why = f"it was stopped by signal {code - 128}"
        else:
            why = f"it exited (exit code {code})" if code is not None else "it stopped answering"
        return f"the kernel stopped: {why}; the code running then, or before, ended it (exit(), os._exit, a kill, memory)"

    def _lose(self, status: str, message: str):
        self.kill()
        self.lost = WorkerLost(status, message)
        raise self.lost

    def kill_process(self) -> None:
        """The worker and everything it started, at once (its session's process group)."""
        if self.process.poll() is None:
            try:
                if os.name == "posix":
                    os.killpg(self.process.pid, getattr(signal, "SIGKILL", 9))  # bwrap, and with it the sandbox's pid namespace
                else:
                    self.process.kill()
            except (ProcessLookupError, PermissionError, OSError):
                self.process.kill()

    def kill(self) -> None:
        self.kill_process()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        if not self.lost and self.process.poll() is None:
            try:
                self.process.stdin.write(b'{"op": "exit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()


class WarmPool:
    """Workers started ahead, one per lecture topic, for one slot: the next submission of a topic finds its
    sandboxed kernel up (starting one, Python with numpy, matplotlib and IPython in bwrap, takes 1 to 3 s).

    A warm worker has run nothing of any submission; it waits in its own sandbox (its own pid, IPC and
    network namespaces, its own /tmp), so the submission graded meanwhile under the same slot cannot reach
    it. Its clock (Limits.notebook_seconds) starts when it is taken. One that died while waiting, or was
    started with other memory limits, is replaced by a fresh one."""

    def __init__(self, sandbox: Sandbox, limits: Limits, slot: int) -> None:
        import concurrent.futures
        self.sandbox, self.limits, self.slot = sandbox, limits, slot
        self.ready: dict = {}   # topic -> Future of a Worker
        self.starter = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-worker")

    def take(self, topic: str, limits: Limits) -> Worker:
        """A started worker for `topic`, its clock set by `limits`; the next one is started behind it."""
        future, worker = self.ready.pop(topic, None), None
        if future is not None:
            try:
                worker = future.result()
            except WorkerLost:
                worker = None
            if worker is not None and (worker.process.poll() is not None or limits.memory_bytes != self.limits.memory_bytes):
                worker.close()
                worker = None
        if worker is None:
            worker = Worker(self.sandbox, limits, self.slot, topic)
        worker.limits, worker.deadline = limits, time.monotonic() + limits.notebook_seconds
        self.ready[topic] = self.starter.submit(Worker, self.sandbox, self.limits, self.slot, topic)
        return worker

    def close(self) -> None:
        """Stop the workers waiting."""
        for future in self.ready.values():
            try:
                future.result().close()
            except WorkerLost:
                pass
        self.ready.clear()
        self.starter.shutdown()


class SandboxTransport(core.Transport):
    """A check's requests, answered by the student's code in the worker."""

    def __init__(self, worker: Worker, seconds: float, exercise: str = "") -> None:
        self.worker, self.seconds, self.exercise = worker, seconds, exercise

    def answer(self, request: dict) -> dict:
        """The worker's answer; core.Delegated if the student's code ran a part of mlp that is the exercise's
        answer (only ever a loss: a reply without "used" earns nothing by itself)."""
        try:
            reply = self.worker.ask({"op": "call", "request": request, "exercise": self.exercise}, self.seconds)
        except WorkerLost as lost:
            raise core.TransportError(lost.status, lost.message) from None
        if isinstance(reply.get("answer"), dict):
            if "used" in reply["answer"]:
                raise core.Delegated(clean(str(reply["answer"]["used"]))[:200])
            return reply["answer"]
        if reply.get("timeout"):
            raise core.TransportError(contract.TIMEOUT, f"your code ran longer than {self.seconds:g} s and was stopped: "
                                                 "look for a loop that never ends")
        raise core.TransportError(contract.CRASHED, "the kernel could not run the check "
                                                    f"({clean(str(reply.get('fault')))[:200]})")
