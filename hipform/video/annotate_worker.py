"""The annotated video written by a separate process (offline ``analyze``).

Why a process: drawing (Python), the causal exercise engine (Python) and the mp4v
encoder cost about 5 ms a frame at 720p. In a writer *thread* they compete with the
model thread for the GIL (MediaPipe's Python wrapper holds it around each inference
call), so the second core is never fully used. Here the writer process decodes the
source video itself (decoding is cheap, about 1 ms a frame at 720p) and receives only
each frame's landmark row from the main process: no pixels cross the process boundary.

Protocol (one duplex pipe):

- main -> writer: one message per frame, ``struct "<qq"`` (index, t_ms) followed by the
  raw bytes of the landmark row (float32 (33, 4): x, y pixels, z, visibility; NaN rows
  for frames without a person or skipped by ``--stride``); an empty message = end of
  the clip.
- writer -> main: ``("ack", frames_done)`` every few frames, then ``("done", frames,
  codec)``, or ``("error", "one-line message")``.

The writer decodes with the same :class:`~hipform.video.VideoFileSource` as the main
process and checks, frame by frame, that its index and timestamp equal the main
process's, and at the end that both decodes hold the same number of frames (a
truncated file ends in both at the same frame). It stays in lock-step: the main process
lets it fall at most ``max_ahead`` frames behind (then waits), so memory is bounded
and does not grow with the clip.

Failure handling: any error in the writer (or its death) is raised in the main process
as one :class:`~hipform.errors.OutputError` line at the next hand-off; the writer only
renames ``annotated.part.mp4`` to ``annotated.mp4`` after the end message, and deletes
the part file on any error or when the main process goes away (closed pipe, SIGTERM,
death of the parent via ``PR_SET_PDEATHSIG`` on Linux). The writer ignores SIGINT:
Ctrl-C reaches the whole process group and the main process decides (it aborts the
writer, which then exits).
"""

from __future__ import annotations

import os
import signal
import struct
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import numpy as np

from hipform.errors import OutputError
from hipform.landmarks import N_LANDMARKS
from hipform.util import die_with_parent

__all__ = ["ProcessVideoWriter", "writer_main"]

_HEAD = struct.Struct("<qq")  # frame index, t_ms
_ROW_BYTES = N_LANDMARKS * 4 * 4  # float32 (33, 4)
_ACK_EVERY = 8
#: niceness the writer process adds to itself (0: same priority as the model)
WRITER_NICE = 5
#: FFmpeg decoding threads in the writer process (0: FFmpeg's default, one per core)
DECODE_THREADS = 1


def _one_line(e: BaseException) -> str:
    msg = " ".join(str(e).split())
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def writer_main(conn: Connection, cfg: dict[str, Any], parent_pid: int = 0) -> None:
    """Entry point of the writer process (see the module docstring for the protocol).

    ``cfg``: ``video`` (source path), ``out`` (annotated video path), ``fps``,
    ``size`` (width, height), ``exercise``, ``side``, ``profile`` (a
    :class:`hipform.config.Profile`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _term)
    if parent_pid:
        die_with_parent(parent_pid)
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    # Background work: the model (in the main process) gets the CPU first; the writer
    # needs well under half a core and fills the gaps.
    try:
        os.nice(WRITER_NICE)
    except (OSError, AttributeError):
        pass
    sink = None
    try:
        import cv2

        cv2.setNumThreads(1)  # no OpenCV worker threads competing with the model's
        from hipform.report.annotate import CausalAnnotator
        from hipform.video.sources import VideoFileSource
        from hipform.video.writer import VideoSink

        width, height = (int(v) for v in cfg["size"])
        source = VideoFileSource(cfg["video"], threads=DECODE_THREADS)
        if (source.vinfo.width, source.vinfo.height) != (width, height):
            raise OutputError(f"{cfg['video']}: frame size changed since it was opened")
        sink = VideoSink(cfg["out"], float(cfg["fps"]), (width, height))
        ann = CausalAnnotator(width, height, exercise=cfg["exercise"], side=cfg["side"],
                              profile=cfg["profile"])
        frames = iter(source)
        done = 0
        while True:
            try:
                msg = conn.recv_bytes()
            except (EOFError, OSError):  # the main process gave up: discard the video
                sink.abort()
                return
            if not msg:
                break
            index, t_ms = _HEAD.unpack_from(msg)
            row = np.frombuffer(msg, np.float32, offset=_HEAD.size).reshape(N_LANDMARKS, 4)
            fr = next(frames, None)
            if fr is None:
                raise OutputError(f"{cfg['video']}: the annotated-video writer decoded only "
                                  f"{done} frames, the analysis {done + 1} or more")
            if fr.index != index or fr.t_ms != t_ms:
                raise OutputError(f"{cfg['video']}: the annotated-video writer's decode is "
                                  f"out of step (frame {fr.index} at {fr.t_ms} ms, analysis "
                                  f"frame {index} at {t_ms} ms)")
            sink.write(ann.annotate(fr.bgr, row, t_ms, index))
            done += 1
            if done % _ACK_EVERY == 0:
                conn.send(("ack", done))
        extra = next(frames, None)  # both decodes must end at the same frame
        if extra is not None:
            raise OutputError(f"{cfg['video']}: the annotated-video writer decoded more "
                              f"frames than the analysis ({done})")
        sink.close()
        sink = None
        conn.send(("done", done, source.info))
    except BaseException as e:  # noqa: BLE001 - reported to the main process as one line
        if sink is not None:
            sink.abort()
        try:
            conn.send(("error", _one_line(e)))
        except OSError:
            pass
        if not isinstance(e, Exception):
            raise
    finally:
        conn.close()


class ProcessVideoWriter:
    """The main process's handle on the writer process.

    ``put(index, t_ms, row)`` hands one frame's landmark row (float32 (33, 4)) over
    without blocking unless the writer is ``max_ahead`` frames behind; ``close()`` waits
    for the writer to finish and returns the number of frames written; ``abort()`` stops
    the writer and leaves no video behind. Errors of the writer are raised as
    :class:`OutputError` by ``put`` or ``close``.

    The writer is a fresh interpreter (``python -m hipform.video.annotate_worker``,
    i.e. what multiprocessing's "spawn" does, minus re-importing the caller's
    ``__main__``: a script that calls ``analyze_video`` needs no
    ``if __name__ == "__main__"`` guard). Nothing is forked from this process, which
    may hold MediaPipe's threads.
    """

    def __init__(self, video: str | Path, out: str | Path, *, fps: float,
                 size: tuple[int, int], exercise: str = "auto", side: str | None = None,
                 profile: Any = None, max_ahead: int = 64) -> None:
        import socket
        import subprocess
        import sys

        self.video = str(video)
        self.out = Path(out)
        self.max_ahead = max(int(max_ahead), _ACK_EVERY)
        self.sent = 0
        self.acked = 0
        self.result: tuple | None = None
        self._closed = False
        cfg = {"video": self.video, "out": str(self.out), "fps": float(fps),
               "size": (int(size[0]), int(size[1])), "exercise": exercise, "side": side,
               "profile": profile}
        import hipform

        # the writer imports this very hipform, even when it is not the installed one
        root = str(Path(hipform.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        mine, theirs = socket.socketpair()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hipform.video.annotate_worker",
                 str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env)
        except OSError as e:
            mine.close()
            raise OutputError(f"{self.video}: cannot start the annotated-video writer "
                              f"({e})") from e
        finally:
            theirs.close()
        self.conn = Connection(mine.detach())
        try:
            self.conn.send(cfg)
        except OSError:
            pass  # the writer died at once: put()/close() say so

    # ------------------------------------------------------------------ messages
    def _fail(self, why: str) -> OutputError:
        self._kill()
        return OutputError(f"{self.video}: annotated video not written: {why}")

    def _handle(self, msg: Any) -> None:
        kind = msg[0]
        if kind == "ack":
            self.acked = int(msg[1])
        elif kind == "done":
            self.acked = int(msg[1])
            self.result = msg
        elif kind == "error":
            raise self._fail(str(msg[1]))

    def _read(self, timeout: float | None) -> bool:
        """Handle one message if one arrives within ``timeout``; False if none did.
        The writer's death closes its end of the pipe, which wakes this up too."""
        if not wait([self.conn], timeout):
            return False
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            try:
                code = self.proc.wait(2.0)
            except Exception:  # noqa: BLE001 - still running: _fail kills it
                code = None
            raise self._fail(f"the writer process ended unexpectedly "
                             f"(exit code {code})") from None
        self._handle(msg)
        return True

    # ------------------------------------------------------------------ API
    def put(self, index: int, t_ms: int, row: np.ndarray) -> None:
        """Hand frame ``index`` (timestamp ``t_ms`` ms) and its float32 (33, 4) landmark
        row to the writer."""
        if self._closed:
            raise OutputError(f"{self.video}: annotated-video writer already closed")
        while self.conn.poll():
            self._read(0)
        while self.sent - self.acked >= self.max_ahead:
            self._read(None)
        data = np.ascontiguousarray(row, np.float32)
        if data.shape != (N_LANDMARKS, 4):
            raise ValueError(f"landmark row must be ({N_LANDMARKS}, 4), got {data.shape}")
        try:
            self.conn.send_bytes(_HEAD.pack(int(index), int(t_ms)) + data.tobytes())
        except OSError:  # the writer went away: say why
            while self._read(5.0):
                pass
            raise self._fail("the writer process stopped reading") from None
        self.sent += 1

    def close(self, timeout: float = 600.0) -> int:
        """Send the end of the clip and wait for the finished video; returns the number
        of frames written."""
        import time

        if self._closed:
            raise OutputError(f"{self.video}: annotated-video writer already closed")
        self._closed = True
        try:
            self.conn.send_bytes(b"")
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while self.result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"the writer did not finish within {timeout:.0f} s")
            self._read(left)
        try:
            self.proc.wait(10.0)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            self._kill()
        self.conn.close()
        return int(self.result[1])

    def abort(self) -> None:
        """Stop the writer; no annotated video is left (the writer deletes its part file
        when the pipe closes; a writer that does not stop within 5 s is killed)."""
        self._closed = True
        self.conn.close()
        try:
            self.proc.wait(5.0)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            pass
        self._kill()

    def _kill(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        part = self.out.with_name(self.out.stem + ".part" + self.out.suffix)
        part.unlink(missing_ok=True)


def _main(argv: list[str]) -> None:
    """``python -m hipform.video.annotate_worker FD PARENT_PID``: FD is this end of the
    socket pair; the first message on it is the configuration dict."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(argv[0]))
    try:
        cfg = conn.recv()
    except (EOFError, OSError):
        return
    writer_main(conn, cfg, int(argv[1]) if len(argv) > 1 else 0)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
