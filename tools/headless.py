"""Run a function with a headless Chromium, driven by Playwright's sync API, in a thread of its own.

Playwright's sync API refuses to start in a thread whose asyncio loop is running, and one pytest
process may already hold a Playwright session (the browser tests keep one open for the whole
session). A thread of its own has no loop, so the hub and site tests can run in the same process as
the browser tests (`-m "browser or hub or site"`). The function's exception, an assertion say, is
raised again in the caller's thread.

    with_chromium(lambda browser: ..., executable="/usr/bin/chromium")
"""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

from tools.system_deps import CHROMIUM_ARGS

T = TypeVar("T")


def with_chromium(work: Callable[[object], T], executable: str, timeout: float = 900) -> T:
    """`work(browser)` in a new thread with a fresh headless Chromium, closed afterwards; its result."""
    outcome: dict = {}

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
                try:
                    outcome["result"] = work(browser)
                finally:
                    browser.close()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="headless-chromium", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"the browser work did not end within {timeout:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
