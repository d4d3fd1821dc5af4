"""The worker: runs one submission's cells inside the sandbox and answers the checks' requests.

    python worker.py [--uid UID]

It speaks JSON lines over its stdin and stdout, which it moves to private descriptors before
anything of the submission runs (the student's prints go to /dev/null):

    grader -> worker   {"op": "start", "topic": "linear_regression"}
                       {"op": "cell", "source": "...", "seconds": 60}
                       {"op": "call", "request": {...wire request...}, "seconds": 60, "limit": BYTES,
                        "containers": N, "exercise": "2.1"}     (a longer answer is replaced by an error: too
                                                                 large to check; "used" added: see below)
    worker -> grader   {"ready": true} / {"ran": {"error": "TypeError: ..." | null}}
                       {"answer": {...wire answer...}} / {"timeout": true} / {"fault": "..."}

The worker holds nothing the grader trusts: it only runs the student's code on the inputs the
grader sends and returns plain data (mlp.exercises.wire); the verdict is computed outside. A
check's scenario runs here, beside the student's objects: before every request the worker puts
back the wire, the scenario registry, and mlp's and numpy's modules and mlp's classes as they were
before the first cell (a solution cell that patched them changes nothing a check relies on), and
while it answers it watches for calls into the code of the exercise's answer (the parts of mlp the
student must write themselves, watch.codes taken before any cell ran): a reply says "used" if one ran,
however it was reached (a method of an mlp object the check passes in, a layer built by an allowed
mlp function). Reviewed code has no way to switch this off (no sys, no threads); the report can only
cost the student the point, never earn it.
Only the standard library, IPython (cells with magics) and the course's `mlp` are used.
"""
from __future__ import annotations

import os
import sys


def _become(uid: int) -> None:
    """Drop root for the slot's own unprivileged uid, for good (the sandbox left only this right)."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not drop privileges")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("privileges could be regained")


GUARDED = ("mlp", "numpy", "numpy.linalg", "numpy.random", "numpy.testing")


class Libraries:
    """The course's and numpy's modules as they were before any student code ran, put back before each
    request: a solution cell that rebinds `np.allclose`, `mlp.graph.Multiply` or a method of one of mlp's
    classes cannot change what a check's scenario or the answer's encoding does here."""

    def __init__(self) -> None:
        import inspect
        self.modules, self.classes = {}, {}
        for name, module in list(sys.modules.items()):
            if module is None or not (name in GUARDED or name.startswith("mlp.")):
                continue
            self.modules[name] = (module, dict(vars(module)))
            if name.startswith("mlp"):
                for value in vars(module).values():
                    if inspect.isclass(value) and getattr(value, "__module__", "") == name:
                        self.classes[value] = dict(vars(value))

    def restore(self) -> None:
        for name, (module, content) in self.modules.items():
            sys.modules[name] = module
            now = vars(module)  # names added since (submodules imported later) stay
            for key, value in content.items():
                if now.get(key, now) is not value:
                    now[key] = value
        for cls, content in self.classes.items():
            now = vars(cls)
            for key in [k for k in now if k not in content]:
                try:
                    delattr(cls, key)
                except (AttributeError, TypeError):
                    pass
            for key, value in content.items():
                if now.get(key, now) is not value and key not in ("__dict__", "__weakref__"):
                    try:
                        setattr(cls, key, value)
                    except (AttributeError, TypeError):
                        pass


def main(argv: list[str]) -> int:
    if "--uid" in argv:
        _become(int(argv[argv.index("--uid") + 1]))
    inbox = os.fdopen(os.dup(0), "rb", buffering=0)
    outbox = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)

    import json
    import signal

    def send(message: dict) -> None:
        outbox.write(json.dumps(message).encode() + b"\n")

    def receive() -> dict | None:
        line = inbox.readline()
        return json.loads(line) if line else None

    class Interrupted(KeyboardInterrupt):
        """The grader's time for one cell or call ran out (raised into the student's code)."""

    def on_alarm(signum, frame):
        raise Interrupted()

    timers = hasattr(signal, "setitimer")  # not on Windows: there only the grader's own deadline applies

    def alarm(seconds: float) -> None:
        if timers:
            signal.signal(signal.SIGALRM, on_alarm)  # again each time: the student may have replaced it
            signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 0.01))

    def disarm() -> None:
        if timers:
            signal.setitimer(signal.ITIMER_REAL, 0)

    start = receive()
    if not start or start.get("op") != "start":
        return 1
    import importlib
    import shutil

    seed, config_dir = os.environ.get("GRADING_SEED"), os.environ.get("MPLCONFIGDIR")
    if seed and config_dir and os.path.isdir(seed):  # matplotlib's font list, built once by the grader
        os.makedirs(config_dir, exist_ok=True)
        for name in os.listdir(seed):
            if name.startswith("fontlist-") and name.endswith(".json"):
                shutil.copy(os.path.join(seed, name), config_dir)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy  # noqa: F401  (imported once before the student's code; their cells import it again)
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from mlp.exercises import wire

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.colors = "NoColor"
    topic = str(start.get("topic", ""))
    if topic.isidentifier():
        try:
            importlib.import_module(f"mlp.exercises.{topic}")  # its scenarios, registered before any student code
        except ImportError:
            pass
    libraries = Libraries()
    from mlp.exercises import core, watch
    answers = {}  # exercise number -> the code objects of its answer, taken before any student code ran
    for exercise in core.exercises_of(f"mlp.exercises.{topic}") if topic.isidentifier() else ():
        try:
            answers[exercise.number] = watch.codes(exercise.answer)
        except ImportError:
            pass
    pristine_wire = {name: getattr(wire, name) for name in ("serve", "encode", "decode", "_scenario", "describe_error",
                                                            "student_traceback", "SCENARIOS", "MAX_BYTES")}
    scenarios = dict(wire.SCENARIOS)
    serve = wire.serve
    user_ns = shell.user_ns
    send({"ready": True, "python": sys.version.split()[0]})

    while True:
        try:
            message = receive()
        except (ValueError, OSError):
            return 1
        if message is None or message.get("op") == "exit":
            return 0
        op = message.get("op")
        try:
            if op == "cell":
                alarm(message.get("seconds", 60))
                try:
                    result = shell.run_cell(str(message.get("source", "")), store_history=True)
                finally:
                    disarm()
                error = result.error_in_exec or result.error_before_exec
                timed_out = isinstance(error, Interrupted)
                plt.close("all")  # as the notebook's inline backend does after each cell
                send({"ran": {"error": None if error is None else f"{type(error).__name__}: {str(error)[:300]}",
                              "timeout": timed_out}})
            elif op == "call":
                libraries.restore()  # undo what a solution cell may have patched
                for name, value in pristine_wire.items():
                    setattr(wire, name, value)
                wire.SCENARIOS.clear()
                wire.SCENARIOS.update(scenarios)
                watched, used = answers.get(str(message.get("exercise")), {}), []

                def profile(frame, event, arg):
                    if event == "call" and frame.f_code in watched and not used:
                        used.append(watched[frame.f_code])

                alarm(message.get("seconds", 60))
                sys.setprofile(profile if watched else None)
                try:
                    answer = serve(message["request"], user_ns.__getitem__)
                finally:
                    sys.setprofile(None)
                    disarm()
                if used and isinstance(answer, dict):
                    answer["used"] = used[0]
                text = json.dumps({"answer": answer})
                limit = min(int(message.get("limit", 2**63)), pristine_wire["MAX_BYTES"])
                containers = text.count("[") + text.count("{")
                if len(text) > limit or containers > int(message.get("containers", 2**63)):
                    size = (f"{len(text) / 2**20:.1f} MB of data" if len(text) > limit else
                            f"{containers:,} lists and dicts")
                    text = json.dumps({"answer": {"error": {
                        "type": "ValueError", "traceback": "", "stub": None,
                        "message": f"the value returned is too large to check ({size}); an answer is far smaller"}}})
                outbox.write(text.encode() + b"\n")
            else:
                send({"fault": f"unknown operation {op!r}"})
        except Interrupted:
            disarm()
            send({"timeout": True})
        except Exception as error:  # the request itself could not be served (not the student's code failing)
            disarm()
            send({"fault": f"{type(error).__name__}: {str(error)[:500]}"})
        except BaseException as error:  # the student's code raised SystemExit or similar out of a call
            disarm()
            send({"fault": f"the code stopped the worker ({type(error).__name__})"})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
