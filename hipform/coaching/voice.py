"""Spoken cues through espeak-ng, never blocking the video loop.

:class:`Voice` speaks on a worker thread fed by a queue. Only the newest cue waiting is
kept (older waiting ones are dropped), and a cue that waited longer than ``max_age_s``
(because the previous one was still being spoken) is dropped as stale: a spoken cue
about a rep that is already over does more harm than good. Which cues are said, and
how often, is decided upstream by the same cue gate (priority, cooldown, minimum gap)
that decides the on-screen cue, so voice and screen always agree.

:func:`render_wav` writes a cue to a WAV file (``espeak-ng -w``), for tests and for
people who want the cue sounds offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hipform.errors import HipformError, OutputError

__all__ = ["Voice", "VoiceError", "espeak_path", "render_wav"]

ESPEAK_NAMES = ("espeak-ng", "espeak")


class VoiceError(HipformError, FileNotFoundError):
    """No speech engine (espeak-ng) is installed, or it failed."""


def espeak_path() -> str:
    """Path of the espeak-ng (or espeak) binary; VoiceError naming what to install."""
    env = os.environ.get("HIPFORM_ESPEAK")
    if env:
        if Path(env).is_file():
            return env
        raise VoiceError(f"HIPFORM_ESPEAK={env}: no such file")
    for name in ESPEAK_NAMES:
        p = shutil.which(name)
        if p:
            return p
    raise VoiceError("espeak-ng not found: install it (e.g. `apt-get install espeak-ng`) "
                     "or run without --voice")


def _args(text: str, voice: str | None, rate: int | None) -> list[str]:
    args = [espeak_path()]
    if voice:
        args += ["-v", voice]
    if rate:
        args += ["-s", str(int(rate))]
    return [*args, "--", text]


def render_wav(text: str, path: str | Path, *, voice: str | None = None,
               rate: int | None = 165, timeout_s: float = 20.0) -> Path:
    """Render ``text`` to a WAV file (16-bit mono, 22050 Hz with espeak-ng) atomically.

    Raises VoiceError if espeak-ng is missing or fails, OutputError if ``path`` cannot
    be written.
    """
    path = Path(path)
    if not text.strip():
        raise ValueError("render_wav: text is empty")
    part = path.with_name(path.stem + ".part" + path.suffix)
    cmd = _args(text, voice, rate)
    cmd[1:1] = ["-w", str(part)]
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        part.unlink(missing_ok=True)
        raise VoiceError(f"{cmd[0]}: cannot render {path.name} ({e})") from e
    if r.returncode != 0 or not part.exists():
        part.unlink(missing_ok=True)
        msg = r.stderr.decode(errors="replace").strip()
        if not path.parent.exists():
            raise OutputError(f"{path}: folder does not exist")
        raise VoiceError(f"{cmd[0]} failed for {path} (exit {r.returncode}): {msg}")
    part.replace(path)
    return path


class Voice:
    """Speaks cues on a worker thread; :meth:`say` never blocks.

    Args:
        voice, rate: espeak-ng voice name (``-v``) and words per minute (``-s``).
        max_age_s: a cue not started within this time of :meth:`say` is dropped.
        runner: the blocking "speak this text" function (default: run espeak-ng);
            tests pass a fake.

    Attributes: ``spoken`` (texts said), ``dropped`` (count of cues dropped as
    superseded or stale), ``errors`` (messages of failed attempts).
    """

    def __init__(self, *, voice: str | None = None, rate: int | None = 165,
                 max_age_s: float = 2.0,
                 runner: Callable[[str], None] | None = None) -> None:
        self.voice = voice
        self.rate = rate
        self.max_age_s = float(max_age_s)
        if runner is None:
            espeak_path()  # fail now (VoiceError) rather than silently at the first cue
            runner = self._speak
        self._runner = runner
        self._cond = threading.Condition()
        self._pending: tuple[str, float] | None = None
        self._closed = False
        self.spoken: list[str] = []
        self.dropped = 0
        self.errors: list[str] = []
        self._busy = False
        self._proc: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._work, name="hipform-voice", daemon=True)
        self._thread.start()

    def _speak(self, text: str) -> None:
        proc = subprocess.Popen(_args(text, self.voice, self.rate), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        self._proc = proc
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            self._proc = None
        if proc.returncode not in (0, -9, -15):
            raise VoiceError(err.decode(errors="replace").strip() or f"exit {proc.returncode}")

    def say(self, text: str) -> None:
        """Queue ``text`` to be spoken; replaces a cue still waiting (not one being said)."""
        if not text:
            return
        with self._cond:
            if self._closed:
                return
            if self._pending is not None:
                self.dropped += 1
            self._pending = (text, time.monotonic())
            self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                assert self._pending is not None
                text, t = self._pending
                self._pending = None
                if time.monotonic() - t > self.max_age_s:
                    self.dropped += 1
                    continue
                self._busy = True
            try:
                self._runner(text)
                self.spoken.append(text)
            except Exception as e:  # noqa: BLE001 - a failed cue must not stop the session
                self.errors.append(str(e))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is pending or being spoken (tests, end of session)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy,
                                       timeout)

    def close(self) -> None:
        """Stop the worker; a cue being spoken is cut short."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._thread.join(2.0)
