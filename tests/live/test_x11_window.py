"""The X11 (MIT-SHM) window under Xvfb: the pixels on screen are the frame's, keys map
like OpenCV's window, a resize letterboxes the picture, the close button and a
destroyed window end the session, and :func:`open_window` picks and falls back."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from hipform.live import window as window_mod
from hipform.live.window import NoDisplayError, OpenCVWindow, open_window

pytestmark = [pytest.mark.xvfb]

x11 = pytest.importorskip("hipform.live.x11")


@pytest.fixture
def win(display: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DISPLAY", display)
    try:
        w = x11.X11Window("hipform x11 test")
    except x11.X11Error as e:
        pytest.skip(f"no X11 window here: {e}")
    yield w
    w.close()


def _frame(w: int = 320, h: int = 240) -> np.ndarray:
    """Four flat quadrants (BGR): blue, green / red, grey."""
    f = np.zeros((h, w, 3), np.uint8)
    f[: h // 2, : w // 2] = (255, 0, 0)
    f[: h // 2, w // 2:] = (0, 255, 0)
    f[h // 2:, : w // 2] = (0, 0, 255)
    f[h // 2:, w // 2:] = (128, 128, 128)
    return f


def _screenshot(display: str, path: Path) -> np.ndarray:
    import cv2

    if shutil.which("import") is None:
        pytest.skip("ImageMagick `import` not installed")
    subprocess.run(["import", "-display", display, "-window", "root", str(path)],
                   check=True, capture_output=True, timeout=20)
    img = cv2.imread(str(path))
    assert img is not None
    return img


def _settle(w, frame: np.ndarray, seconds: float = 0.4) -> None:
    """Show ``frame`` a few times and let the server and the events catch up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        w.show(frame)
        time.sleep(0.02)
    w.poll(20)


def _xdotool(display: str, *args: str) -> None:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool not installed")
    subprocess.run(["xdotool", *args], check=True, timeout=10,
                   env={"DISPLAY": display, "PATH": "/usr/bin:/bin"})


def test_pixels_on_screen_are_the_frame(win, display: str, tmp_path: Path):
    f = _frame()
    _settle(win, f)
    shot = _screenshot(display, tmp_path / "s.png")
    # no window manager on Xvfb: the window sits at the root's origin, 1:1
    got = shot[:240, :320]
    assert np.array_equal(got, f), (
        f"mismatch at {np.argwhere((got != f).any(axis=2))[:5].tolist()}")


def test_keys_map_like_opencv(win, display: str):
    _settle(win, _frame())
    wid = str(win._win)
    seen = []
    for key in ("space", "e", "s", "c", "r", "q", "Escape", "x"):
        _xdotool(display, "key", "--window", wid, key)
        action = None
        end = time.monotonic() + 2.0
        while action is None and time.monotonic() < end:
            action = win.poll(10)
            if key == "x" and time.monotonic() > end - 1.5:
                break
        seen.append(action)
    assert seen == ["pause", "exercise", "side", "calibrate", "record", "quit", "quit", None]


def test_resize_letterboxes_with_the_aspect_kept(win, display: str, tmp_path: Path):
    f = _frame()
    _settle(win, f)
    _xdotool(display, "windowsize", str(win._win), "640", "300")
    end = time.monotonic() + 3.0
    while win._view != (640, 300) and time.monotonic() < end:
        win.poll(10)
    assert win._view == (640, 300)
    _settle(win, f)
    shot = _screenshot(display, tmp_path / "r.png")[:300, :640]
    nz = np.argwhere(shot.max(axis=2) > 8)
    (y0, x0), (y1, x1) = nz.min(0), nz.max(0)
    # 320x240 scaled to fit 640x300: 400x300, centred (120 px bars left and right)
    assert (y0, y1 + 1) == (0, 300)
    assert abs(x0 - 120) <= 1 and abs(x1 + 1 - 520) <= 1, (x0, x1)
    # colours kept: the top-left quadrant is still blue
    assert tuple(shot[50, 200]) == (255, 0, 0)


def _send_wm_delete(display: str, wid: int) -> None:
    """What a window manager sends when its close button is clicked."""
    xl = ctypes.CDLL("libX11.so.6")
    xl.XOpenDisplay.restype = ctypes.c_void_p
    xl.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xl.XInternAtom.restype = ctypes.c_ulong
    xl.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xl.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                              ctypes.c_void_p]
    xl.XFlush.argtypes = [ctypes.c_void_p]
    xl.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = xl.XOpenDisplay(display.encode())
    assert dpy
    ev = (ctypes.c_long * 24)()
    ev[0] = 33  # ClientMessage
    ev[4] = wid  # window
    ev[5] = xl.XInternAtom(dpy, b"WM_PROTOCOLS", 0)  # message_type
    ctypes.cast(ctypes.byref(ev, 48), ctypes.POINTER(ctypes.c_int))[0] = 32  # format
    ev[7] = xl.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)  # data.l[0]
    xl.XSendEvent(dpy, wid, 0, 0, ctypes.byref(ev))
    xl.XFlush(dpy)
    xl.XCloseDisplay(dpy)


def test_close_button_quits(win, display: str):
    _settle(win, _frame())
    assert not win.closed()
    _send_wm_delete(display, win._win)
    end = time.monotonic() + 2.0
    while not win.closed() and time.monotonic() < end:
        time.sleep(0.01)
    assert win.closed()
    assert win.show(_frame()) == "quit" and win.poll() == "quit"


def test_destroyed_window_quits_without_x_errors_killing_us(win, display: str):
    _settle(win, _frame())
    _xdotool(display, "windowclose", str(win._win))  # XDestroyWindow from outside
    end = time.monotonic() + 2.0
    action = None
    while action is None and time.monotonic() < end:
        action = win.show(_frame())
    assert action == "quit"
    win.close()  # after the window is gone: no X error ends the process


_SERVER_DIES = """
import sys, time
import numpy as np
from hipform.live import x11
w = x11.X11Window("hipform x11 test", display=sys.argv[1])
f = np.full((240, 320, 3), 90, np.uint8)
for _ in range(5):
    assert w.show(f) is None
print("shown", flush=True)
sys.stdin.readline()  # the test kills the X server, then writes a line
actions = [w.show(f) for _ in range(3)]
print("actions", actions, "lost", w.lost, "closed", w.closed(), "poll", w.poll(), flush=True)
w.close()
print("closed cleanly", flush=True)
"""


def test_x_server_dying_closes_the_window_instead_of_exiting(own_display):
    """Xlib's default on a broken connection is to print "XIO: fatal IO error" and exit
    the process (a live session would lose everything). Run in a child process so that
    a regression fails this test instead of ending the test run."""
    import sys

    xvfb, name = own_display
    p = subprocess.Popen([sys.executable, "-c", _SERVER_DIES, name], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdin is not None
        line = p.stdout.readline()
        if "shown" not in line:
            out, err = p.communicate(timeout=20)
            if "X11Error" in err:
                pytest.skip(f"no X11 window here: {err.strip().splitlines()[-1]}")
            raise AssertionError(f"child did not show frames: {line}{out}{err}")
        xvfb.kill()
        xvfb.wait(5)
        out, err = p.communicate("go\n", timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, f"the process ended with {p.returncode}: {err}"
    assert "actions ['quit', 'quit', 'quit'] lost True closed True poll quit" in out, out + err
    assert "closed cleanly" in out


def test_open_window_backends(display: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DISPLAY", display)
    w = open_window("t", backend="x11")
    try:
        assert isinstance(w, x11.X11Window) and w.backend == "x11"
    finally:
        w.close()
    monkeypatch.setenv("HIPFORM_WINDOW", "opencv")
    w = open_window("t")
    try:
        assert isinstance(w, OpenCVWindow) and w.backend == "opencv"
    finally:
        w.close()
    with pytest.raises(ValueError, match="'gtk'"):
        open_window("t", backend="gtk")


def test_auto_falls_back_to_opencv_when_x11_cannot(display: str,
                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.delenv("HIPFORM_WINDOW", raising=False)

    def no_shm(*a, **k):
        raise x11.X11Error(f"X display {display!r} has no MIT-SHM extension")

    monkeypatch.setattr(x11, "X11Window", no_shm)
    w = open_window("t")
    try:
        assert isinstance(w, OpenCVWindow)
    finally:
        w.close()
    with pytest.raises(NoDisplayError, match="MIT-SHM"):
        open_window("t", backend="x11")


def test_unreachable_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    """Qt would abort the process on a display it cannot open: one clear error instead."""
    n = next(k for k in range(900, 999) if not Path(f"/tmp/.X11-unix/X{k}").exists())
    monkeypatch.setenv("DISPLAY", f":{n}")
    monkeypatch.delenv("HIPFORM_WINDOW", raising=False)
    with pytest.raises(NoDisplayError, match=f"cannot open X display ':{n}'"):
        window_mod.open_window("t")


def test_keys_pressed_together_come_one_per_call_in_order(win, display: str):
    """As OpenCV's waitKey: no key is lost when two arrive between two frames."""
    _settle(win, _frame())
    _xdotool(display, "key", "--window", str(win._win), "e", "s", "c")
    time.sleep(0.3)
    assert not win.closed()  # reading events here must not eat the keys
    got = [win.show(_frame()), win.poll(5), win.poll(5), win.poll(5)]
    assert got == ["exercise", "side", "calibrate", None]
