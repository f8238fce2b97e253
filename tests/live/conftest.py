"""Fixtures of the live tests: an X display (Xvfb) for the window tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """A new Xvfb on a free display number: (its process, the display name). Skips the
    test when Xvfb is not installed or does not start."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("no DISPLAY and Xvfb is not installed (CI installs xvfb with apt)")
    n = next(k for k in range(90, 200) if not Path(f"/tmp/.X{k}-lock").exists())
    proc = subprocess.Popen([xvfb, f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                             "-noreset"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            return proc, f":{n}"
        time.sleep(0.1)
    proc.kill()
    proc.wait(5)
    pytest.skip("Xvfb did not start")


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    proc, name = start_xvfb()
    try:
        yield name
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture
def own_display() -> Iterator[tuple[subprocess.Popen, str]]:
    """An Xvfb of this test's own (the test may kill it): (process, display name)."""
    proc, name = start_xvfb()
    try:
        yield proc, name
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
