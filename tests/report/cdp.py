"""Minimal headless-Chromium driver over the DevTools protocol, stdlib only.

Chromium is started with ``--remote-debugging-pipe``: it reads CDP commands on fd 3 and
writes replies/events on fd 4, each message a JSON text ended by a NUL byte. This avoids a
websocket client dependency and any TCP port.

:func:`load_page` opens a file, waits for the load event, and returns every console
message, JavaScript exception, log entry and network request made, plus a PNG screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    env = os.environ.get("HIPFORM_CHROMIUM")
    if env:
        return env
    for c in CHROMIUM_CANDIDATES:
        p = shutil.which(c) if not c.startswith("/") else (c if os.path.exists(c) else None)
        if p:
            return p
    return None


@dataclass
class PageResult:
    console: list[dict[str, Any]] = field(default_factory=list)   # Runtime.consoleAPICalled
    exceptions: list[dict[str, Any]] = field(default_factory=list)  # Runtime.exceptionThrown
    log: list[dict[str, Any]] = field(default_factory=list)        # Log.entryAdded
    requests: list[str] = field(default_factory=list)              # every URL requested
    screenshot: bytes = b""
    width: int = 0
    height: int = 0

    @property
    def errors(self) -> list[str]:
        out = [f"console.{c.get('type')}: {c.get('args')}" for c in self.console
               if c.get("type") in ("error", "assert", "warning")]
        out += [f"exception: {e.get('exceptionDetails', {}).get('text')}"
                for e in self.exceptions]
        out += [f"log.{e['entry'].get('level')}: {e['entry'].get('text')} "
                f"({e['entry'].get('url', '')})"
                for e in self.log if e["entry"].get("level") in ("error", "warning")]
        return out

    @property
    def network_requests(self) -> list[str]:
        """Requested URLs other than the page's own file and inline data: URIs."""
        return [u for u in self.requests if not u.startswith(("data:", "file:"))]


class _Pipe:
    def __init__(self, proc: subprocess.Popen[bytes], wfd: int, rfd: int) -> None:
        self.proc, self.wfd, self.rfd = proc, wfd, rfd
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read_one(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from chromium")
            r, _, _ = select.select([self.rfd], [], [], left)
            if r:
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_one(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == name:
                return self.events.pop(i)
        while True:
            msg = self._read_one(deadline)
            if msg.get("method") == name:
                return msg
            self.events.append(msg)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_one(deadline))
        except TimeoutError:
            pass


def load_page(
    chromium: str,
    html_path: Path,
    *,
    width: int = 1280,
    height: int = 900,
    mobile: bool = False,
    full_page: bool = True,
    timeout: float = 60.0,
) -> PageResult:
    """Open ``html_path`` in headless Chromium (network disabled) and collect diagnostics.

    Network is switched off twice over: a proxy to a dead local port for every scheme
    (``--proxy-server``, no bypass list) and CDP ``Network.emulateNetworkConditions``
    offline. Any request other than ``file:``/``data:`` is still *recorded* (from
    ``Network.requestWillBeSent``), so a test can fail on it.
    """
    with tempfile.TemporaryDirectory(prefix="hipform-chromium-") as profile:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        args = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank",
        ]

        # chromium reads fd 3 and writes fd 4: let bash move the pipe ends there after
        # subprocess has closed every other descriptor.
        # Move them to fds >= 10 first: if a pipe end were itself 3 or 4, the redirections
        # below would close it.
        a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        shell = f'exec "$0" "$@" 3<&{a} 4>&{b} {a}<&- {b}>&-'
        log_path = Path(profile) / "chromium-stderr.txt"
        log = open(log_path, "wb")  # closed in the finally below
        proc = subprocess.Popen(
            ["/bin/bash", "-c", shell, *args], stdin=subprocess.DEVNULL,
            stdout=log, stderr=log, pass_fds=(a, b),
        )
        os.close(a)
        os.close(b)
        pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
        res = PageResult()
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"},
                               timeout=timeout)["targetId"]
            sess = pipe.call("Target.attachToTarget",
                             {"targetId": target, "flatten": True})["sessionId"]
            for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
                pipe.call(m, session=sess)
            pipe.call("Network.emulateNetworkConditions",
                      {"offline": True, "latency": 0, "downloadThroughput": -1,
                       "uploadThroughput": -1}, session=sess)
            pipe.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": mobile}, session=sess)
            pipe.events.clear()
            pipe.call("Page.navigate", {"url": html_path.resolve().as_uri()}, session=sess)
            pipe.wait_event("Page.loadEventFired", timeout=timeout)
            pipe.drain(0.5)  # late console messages / requests
            metrics = pipe.call("Page.getLayoutMetrics", session=sess)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            res.width = int(size["width"])
            res.height = int(size["height"])
            shot: dict[str, Any] = {"format": "png"}
            if full_page:
                shot.update(captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": max(width, res.width),
                                  "height": res.height, "scale": 1})
            res.screenshot = base64.b64decode(
                pipe.call("Page.captureScreenshot", shot, session=sess, timeout=timeout)["data"])
            for ev in pipe.events:
                m, p = ev.get("method"), ev.get("params", {})
                if m == "Runtime.consoleAPICalled":
                    res.console.append(p)
                elif m == "Runtime.exceptionThrown":
                    res.exceptions.append(p)
                elif m == "Log.entryAdded":
                    res.log.append(p)
                elif m == "Network.requestWillBeSent":
                    res.requests.append(p["request"]["url"])
            try:
                pipe.call("Browser.close", timeout=5)
            except (RuntimeError, TimeoutError, OSError):
                pass
        except (RuntimeError, TimeoutError, OSError) as e:
            proc.kill()
            proc.wait()
            said = [ln for ln in log_path.read_text(errors="replace").splitlines()
                    if "dbus" not in ln][-8:]
            raise RuntimeError(f"headless chromium failed: {e}; its stderr: {said}") from e
        finally:
            log.close()
            os.close(to_chrome_w)
            os.close(from_chrome_r)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return res
