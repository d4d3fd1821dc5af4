"""Install what the course's tests and website need from outside PyPI, and say what it does.

    python3 tools/system_deps.py chromium   Chromium for the browser, hub and site tests
                                            (Debian's package `chromium`, with apt-get, as root)
    python3 tools/system_deps.py npm        JupyterHub's proxy (configurable-http-proxy) and MathJax 3
                                            (the website's formulas): `npm ci` in tools/npm from its lock file
    python3 tools/system_deps.py postgresql PostgreSQL's server for the grading service's tests (Debian's
                                            package `postgresql`, with apt-get, as root; the tests start
                                            it themselves in a temporary folder, the system's is not used)

`python3 course.py test` runs the first before pytest (and the first two when hub or site tests are selected,
`-m hub`, `-m site`, and postgresql with `-m hub`); `python3 course.py site` runs the second. Standard library only, so that it runs
before the virtual environment exists. Nothing is installed that is already there: a Chromium on
PATH (or named by MLP_BROWSER) is used as it is; the npm packages are installed again only when
tools/npm/package-lock.json changes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "tools" / "npm"
NODE_MODULES = NPM_DIR / "node_modules"
NPM_STAMP = NODE_MODULES / ".course-lock-sha256"
PROXY = NODE_MODULES / ".bin" / ("configurable-http-proxy.cmd" if os.name == "nt" else "configurable-http-proxy")
MATHJAX = NODE_MODULES / "mathjax" / "es5"
# what the tests pass to Chromium (headless, as root in CI, nothing fetched in the background)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_HINT = (
    "install Chromium (Debian/Ubuntu: sudo apt-get install chromium, or run python3 tools/system_deps.py "
    "chromium as root) or point MLP_BROWSER at a Chromium or Chrome executable"
)


def say(message: str) -> None:
    print(f"setup: {message}", flush=True)


def find_chromium() -> str | None:
    """The Chromium (or Chrome) to drive with Playwright: MLP_BROWSER, else the first on PATH."""
    if os.environ.get("MLP_BROWSER"):
        return os.environ["MLP_BROWSER"]
    for name in BROWSER_NAMES:
        if path := shutil.which(name):
            return path
    return None


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _apt_install(packages: list[str]) -> bool:
    """apt-get update + install, printing each command and apt's own progress lines."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", *packages]):
        say("running " + " ".join(command))
        if subprocess.run(command, env=env).returncode != 0:
            say(f"'{' '.join(command)}' failed (see above)")
            return False
    return True


def ensure_chromium() -> bool:
    """Chromium on PATH, installed with apt when missing and possible. False (and says why) if none."""
    if path := find_chromium():
        say(f"Chromium for the browser tests: {path}")
        return True
    if not _is_root() or not shutil.which("apt-get"):
        why = "not running as root" if shutil.which("apt-get") else "no apt-get on this machine"
        say(f"NO CHROMIUM, and it cannot be installed here ({why}): the browser tests will be SKIPPED; {CHROMIUM_HINT}")
        return False
    say("no Chromium found: installing Debian's package 'chromium' with apt-get (about 120 MB download, a minute) ...")
    if not _apt_install(["chromium"]):
        say(CHROMIUM_HINT)
        return False
    if path := find_chromium():
        say(f"installed Chromium: {path}")
        return True
    say(f"apt-get installed no chromium executable: {CHROMIUM_HINT}")
    return False


def _lock_digest() -> str:
    return hashlib.sha256((NPM_DIR / "package-lock.json").read_bytes()).hexdigest()


def ensure_npm() -> bool:
    """tools/npm/node_modules as tools/npm/package-lock.json says (npm ci), unless it already is."""
    if NPM_STAMP.exists() and NPM_STAMP.read_text().strip() == _lock_digest() and PROXY.exists() and MATHJAX.is_dir():
        say(f"npm packages up to date in {NODE_MODULES.relative_to(ROOT)} (configurable-http-proxy, mathjax)")
        return True
    npm = shutil.which("npm")
    if npm is None and _is_root() and shutil.which("apt-get"):
        say("no npm found: installing Debian's packages 'nodejs' and 'npm' with apt-get ...")
        if _apt_install(["nodejs", "npm"]):
            npm = shutil.which("npm")
    if npm is None:
        say("NO NPM: the hub tests and the website need Node.js and npm (https://nodejs.org, or apt-get install nodejs npm)")
        return False
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    say(f"installing the npm packages of {NPM_DIR.relative_to(ROOT)}/package-lock.json "
        f"(configurable-http-proxy, mathjax): {' '.join(['npm', *command[1:]])} ...")
    if subprocess.run(command, cwd=NPM_DIR).returncode != 0 or not PROXY.exists() or not MATHJAX.is_dir():
        say(f"'npm ci' in {NPM_DIR} failed (see above)")
        return False
    NPM_STAMP.write_text(_lock_digest() + "\n")
    say(f"installed: {PROXY.relative_to(ROOT)}, {MATHJAX.relative_to(ROOT)}")
    return True


def find_postgresql() -> str | None:
    """The folder of PostgreSQL's initdb (Debian: /usr/lib/postgresql/VERSION/bin, the newest), else PATH's."""
    import glob
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]), reverse=True)
    if found:
        return str(Path(found[0]).parent)
    initdb = shutil.which("initdb")
    return str(Path(initdb).parent) if initdb else None


def ensure_postgresql() -> bool:
    """PostgreSQL's server binaries, installed with apt when missing and possible (the tests run their own server)."""
    if folder := find_postgresql():
        say(f"PostgreSQL for the grading service's tests: {folder}")
        return True
    if not _is_root() or not shutil.which("apt-get"):
        why = "not running as root" if shutil.which("apt-get") else "no apt-get on this machine"
        say(f"NO POSTGRESQL, and it cannot be installed here ({why}): the service's PostgreSQL tests will FAIL; "
            "install it (Debian/Ubuntu: sudo apt-get install postgresql)")
        return False
    say("no PostgreSQL found: installing Debian's package 'postgresql' with apt-get (about 20 MB download) ...")
    if not _apt_install(["postgresql"]):
        return False
    if folder := find_postgresql():
        say(f"installed PostgreSQL: {folder} (its own cluster service is not needed by the tests)")
        return True
    say("apt-get installed no initdb: install PostgreSQL's server by hand")
    return False


STEPS = {"chromium": ensure_chromium, "npm": ensure_npm, "postgresql": ensure_postgresql}


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in STEPS]
    if not argv or unknown:
        print(__doc__)
        return 2
    results = [STEPS[name]() for name in argv]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
