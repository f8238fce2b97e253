"""Fixtures of the live tests: an X display (Xvfb) for the window tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("no DISPLAY and Xvfb is not installed (CI installs xvfb with apt)")
    n = next(k for k in range(90, 200) if not Path(f"/tmp/.X{k}-lock").exists())
    proc = subprocess.Popen([xvfb, f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                             "-noreset"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            time.sleep(0.1)
        else:
            pytest.skip("Xvfb did not start")
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(5)
