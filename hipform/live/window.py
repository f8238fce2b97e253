"""The live window: :func:`open_window` picks a backend, each with ``show``, ``poll``,
``closed`` and ``close``:

* ``x11`` (:class:`hipform.live.x11.X11Window`): frames go to the X server through
  MIT-SHM shared memory; the cheapest by far (measured in docs/README_live.md). The
  default on Linux with an X11 display (Wayland desktops run it through XWayland).
* ``opencv`` (:class:`OpenCVWindow`): OpenCV's highgui window (Qt in
  opencv-contrib-python); the fallback everywhere else (macOS, Windows), and when the
  display has no MIT-SHM (e.g. X forwarded over ssh).

This module is the ONLY one in hipform that uses OpenCV's GUI (highgui); cv2 is
imported when a window is created, never at import time.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np

from hipform.errors import HipformError

__all__ = ["BACKENDS", "KEYS", "NoDisplayError", "OpenCVWindow", "display_available",
           "open_window"]


class NoDisplayError(HipformError, OSError):
    """No graphical display to open the window on (use --no-window)."""


def display_available() -> bool:
    """Whether a window can be opened: on Linux an X11/Wayland display (or a Qt platform
    chosen explicitly, e.g. ``QT_QPA_PLATFORM=offscreen``); always True elsewhere."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))

#: How often (s) :meth:`Window.show` / :meth:`Window.poll` check whether the window
#: was closed with its close button.
CLOSED_CHECK_S = 0.1

#: key code -> action name (what the live loop does with it).
KEYS: dict[int, str] = {
    ord("q"): "quit",
    27: "quit",  # Esc
    ord(" "): "pause",
    ord("e"): "exercise",
    ord("s"): "side",
    ord("c"): "calibrate",
    ord("r"): "record",
}


def _require_display() -> None:
    if not display_available():
        # OpenCV's Qt backend aborts the whole process without a display: say it first
        raise NoDisplayError("no display to open the live window on (DISPLAY is not "
                             "set): run with --no-window, or under xvfb-run")


def initial_size(bgr: np.ndarray) -> tuple[int, int]:
    """A new window's (width, height) for frame ``bgr``: its own size (1:1 pixels),
    scaled down to fit 1280x800 with the aspect kept."""
    h, w = bgr.shape[:2]
    k = min(1.0, 1280 / w, 800 / h)
    return int(w * k), int(h * k)


#: window backends; "auto" = x11 where it works, else opencv
BACKENDS = ("auto", "x11", "opencv")


def open_window(title: str = "hipform live", size: tuple[int, int] | None = None,
                backend: str | None = None) -> Any:
    """Open the live window.

    Args:
        title: window title.
        size: initial (width, height) in pixels, or None for the first frame's size.
        backend: "auto", "x11" or "opencv" (see the module docstring); None = the
            ``HIPFORM_WINDOW`` environment variable, else "auto".
    Returns:
        an :class:`~hipform.live.x11.X11Window` or an :class:`OpenCVWindow`.
    Raises:
        NoDisplayError: no display to open a window on.
        ValueError: an unknown backend name.
    """
    name = (backend or os.environ.get("HIPFORM_WINDOW") or "auto").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown window backend {name!r} (HIPFORM_WINDOW or "
                         f"--window-backend): use one of {', '.join(BACKENDS)}")
    _require_display()
    x11_possible = sys.platform.startswith("linux") and bool(os.environ.get("DISPLAY"))
    if name == "x11" or (name == "auto" and x11_possible):
        from hipform.live.x11 import X11DisplayError, X11Error, X11Window

        try:
            return X11Window(title, size)
        except X11Error as e:
            if name == "x11" or isinstance(e, X11DisplayError):
                # no usable display at all: Qt would abort the process on it too
                raise NoDisplayError(f"cannot open the live window: {e}") from e
    return OpenCVWindow(title, size)


class OpenCVWindow:
    """A resizable OpenCV window showing BGR frames.

    Args:
        title: window title.
        size: initial (width, height) in pixels, or None for the frame size.
    """

    backend = "opencv"
    #: Qt's window is driven from the thread that opened it only
    any_thread = False

    def __init__(self, title: str = "hipform live", size: tuple[int, int] | None = None) -> None:
        _require_display()
        import cv2

        self._cv2 = cv2
        self.title = title
        self._shown = False
        self._mapped = False  # seen visible at least once
        self._size = size
        self._checked = -1e9  # time.monotonic() of the last close-button check
        # no Qt toolbar (WINDOW_GUI_NORMAL): only the picture, resizable, aspect kept
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        if size is not None:
            cv2.resizeWindow(title, int(size[0]), int(size[1]))

    def show(self, bgr: np.ndarray, wait_ms: int = 1) -> str | None:
        """Display ``bgr`` (uint8 (H, W, 3)) and poll the keyboard for ``wait_ms`` ms.

        Returns the action of the key pressed (see :data:`KEYS`), "quit" if the user
        closed the window, or None.
        """
        cv2 = self._cv2
        if not self._shown and self._size is None:  # open at the frame size (1:1 pixels)
            cv2.resizeWindow(self.title, *initial_size(bgr))
        cv2.imshow(self.title, bgr)
        self._shown = True
        return self.poll(wait_ms)

    def poll(self, wait_ms: int = 1) -> str | None:
        """Poll the keyboard (and let the window repaint) for ``wait_ms`` ms without
        showing a new picture; returns what :meth:`show` returns."""
        k = self._cv2.waitKey(max(1, int(wait_ms)))
        if k is not None and k >= 0:
            action = KEYS.get(k & 0xFF)
            if action:
                return action
        now = time.monotonic()
        if now - self._checked >= CLOSED_CHECK_S:  # a window property round trip
            self._checked = now
            if self.closed():
                return "quit"
        return None

    def closed(self) -> bool:
        """True when the user closed the window with its close button.

        Only once the window has been seen visible: right after the first ``imshow`` a
        busy window manager may not have mapped it yet, which is not a close.
        """
        if not self._shown:
            return False
        try:
            visible = self._cv2.getWindowProperty(self.title, self._cv2.WND_PROP_VISIBLE) >= 1
        except self._cv2.error:
            return self._mapped
        if visible:
            self._mapped = True
            return False
        return self._mapped

    def close(self) -> None:
        try:
            self._cv2.destroyWindow(self.title)
            self._cv2.waitKey(1)
        except self._cv2.error:
            pass
