"""A minimal X11 window for the live loop: frames go to the X server through MIT-SHM
shared memory (``XShmPutImage``), with libX11/libXext called through ctypes.

Why not OpenCV's window: opencv-contrib-python's highgui is Qt. Showing one 640x480
frame there costs the calling process a BGR->RGB copy in ``imshow``, then in
``waitKey`` Qt's event loop, a QImage->backing-store conversion and painting, and the
flush to the X server: ~0.4 ms of CPU a frame on the 2-core machine this was measured
on, and it slows the model running on the other core (see docs/README_live.md). Here the
only per-frame work in our process is one BGR->BGRX conversion written straight into
the shared segment (the X server reads it from there: no copy through the socket) and
two Xlib calls.

Everything X11 lives in this module; :func:`hipform.live.window.open_window` picks it
(or OpenCV's window when Xlib, the display or MIT-SHM is not there).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from collections import deque
from typing import Any

import numpy as np

from hipform.errors import HipformError

__all__ = ["X11DisplayError", "X11Error", "X11Window"]


class X11Error(HipformError, OSError):
    """The X11 window cannot be used here (no libX11/libXext, no display, no MIT-SHM,
    or the server refused a request)."""


class X11DisplayError(X11Error):
    """No X display to open (``DISPLAY`` unset, or it cannot be opened): no window
    backend can work there, unlike a display that only lacks MIT-SHM."""


# --------------------------------------------------------------------------- Xlib types
class _XShmSegmentInfo(ctypes.Structure):
    _fields_ = [("shmseg", ctypes.c_ulong), ("shmid", ctypes.c_int),
                ("shmaddr", ctypes.c_void_p), ("readOnly", ctypes.c_int)]


class _XImage(ctypes.Structure):
    # only the leading fields are read; the struct is allocated by Xlib
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int),
                ("xoffset", ctypes.c_int), ("format", ctypes.c_int),
                ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
                ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int),
                ("bitmap_pad", ctypes.c_int), ("depth", ctypes.c_int),
                ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int),
                ("red_mask", ctypes.c_ulong), ("green_mask", ctypes.c_ulong),
                ("blue_mask", ctypes.c_ulong)]


class _XErrorEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("display", ctypes.c_void_p),
                ("resourceid", ctypes.c_ulong), ("serial", ctypes.c_ulong),
                ("error_code", ctypes.c_ubyte), ("request_code", ctypes.c_ubyte),
                ("minor_code", ctypes.c_ubyte)]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("pad", ctypes.c_long * 24)]


class _XSizeHints(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("x", ctypes.c_int), ("y", ctypes.c_int),
                ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("min_width", ctypes.c_int), ("min_height", ctypes.c_int),
                ("max_width", ctypes.c_int), ("max_height", ctypes.c_int),
                ("width_inc", ctypes.c_int), ("height_inc", ctypes.c_int),
                ("min_aspect_x", ctypes.c_int), ("min_aspect_y", ctypes.c_int),
                ("max_aspect_x", ctypes.c_int), ("max_aspect_y", ctypes.c_int),
                ("base_width", ctypes.c_int), ("base_height", ctypes.c_int),
                ("win_gravity", ctypes.c_int)]


# event types and masks (X.h)
_KEY_PRESS, _EXPOSE, _DESTROY_NOTIFY, _CONFIGURE_NOTIFY, _CLIENT_MESSAGE = 2, 12, 17, 22, 33
_KEY_PRESS_MASK, _EXPOSURE_MASK, _STRUCTURE_NOTIFY_MASK = 1 << 0, 1 << 15, 1 << 17
_Z_PIXMAP = 2
_P_MIN_SIZE = 1 << 4
_IPC_PRIVATE, _IPC_CREAT, _IPC_RMID = 0, 0o1000, 0
#: keysyms that are not one character (keysymdef.h) -> the key code OpenCV's waitKey
#: gives for them, so :data:`hipform.live.window.KEYS` maps both backends alike
_KEYSYMS = {0xFF1B: 27, 0xFF0D: 13, 0xFF09: 9, 0xFF08: 8}

_libs: tuple[Any, Any, Any] | None = None
_io_exit_handler: Any = None  # XSetIOErrorExitHandler, when libX11 has it (>= 1.7)
_errors: list[tuple[int, int]] = []


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))
def _on_x_error(display: Any, ev: Any) -> int:
    """Xlib's default handler exits the process on any protocol error (e.g. a refused
    MIT-SHM attach over ssh): record it instead, the caller checks after XSync."""
    if len(_errors) < 64:  # the first ones say what went wrong; never grows without end
        _errors.append((int(ev.contents.error_code), int(ev.contents.request_code)))
    return 0


#: displays (Display* addresses) whose connection to the X server broke
_lost: set[int] = set()


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
def _on_io_error(display: Any) -> int:
    """The connection to the X server broke (the server quit or crashed). Xlib's default
    prints "XIO: fatal IO error" and exits the process; here it is recorded and, with the
    exit handler below, Xlib returns to the caller: the window reports itself closed and
    lost, and the live session ends the way a closed window ends it, with everything
    seen saved. Xlib calls on that display are harmless afterwards (they return)."""
    if display:
        _lost.add(int(display))
    return 0


@ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
def _on_io_exit(display: Any, data: Any) -> None:
    """Called by Xlib (>= 1.7) after :func:`_on_io_error` (which recorded the display)
    instead of ``exit(1)``: returning is all it has to do."""


def _load() -> tuple[Any, Any, Any]:
    """libX11, libXext and libc, with the prototypes used here."""
    global _libs, _io_exit_handler
    if _libs is not None:
        return _libs
    names = {"X11": "libX11.so.6", "Xext": "libXext.so.6", "c": "libc.so.6"}
    libs = []
    for short, soname in names.items():
        path = ctypes.util.find_library(short) or soname
        try:
            libs.append(ctypes.CDLL(path, use_errno=short == "c"))
        except OSError as e:
            raise X11Error(f"cannot load {soname}: {e}") from e
    x, xext, libc = libs
    vp, ul, i, u = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_uint
    sig = {
        (x, "XOpenDisplay"): (vp, [ctypes.c_char_p]),
        (x, "XCloseDisplay"): (i, [vp]),
        (x, "XDefaultScreen"): (i, [vp]),
        (x, "XDefaultVisual"): (vp, [vp, i]),
        (x, "XDefaultDepth"): (i, [vp, i]),
        (x, "XRootWindow"): (ul, [vp, i]),
        (x, "XBlackPixel"): (ul, [vp, i]),
        (x, "XCreateSimpleWindow"): (ul, [vp, ul, i, i, u, u, u, ul, ul]),
        (x, "XStoreName"): (i, [vp, ul, ctypes.c_char_p]),
        (x, "XSelectInput"): (i, [vp, ul, ctypes.c_long]),
        (x, "XInternAtom"): (ul, [vp, ctypes.c_char_p, i]),
        (x, "XSetWMProtocols"): (i, [vp, ul, ctypes.POINTER(ul), i]),
        (x, "XSetWMNormalHints"): (None, [vp, ul, ctypes.POINTER(_XSizeHints)]),
        (x, "XMapWindow"): (i, [vp, ul]),
        (x, "XCreateGC"): (vp, [vp, ul, ul, vp]),
        (x, "XFreeGC"): (i, [vp, vp]),
        (x, "XDestroyWindow"): (i, [vp, ul]),
        (x, "XDestroyImage"): (i, [vp]),
        (x, "XPending"): (i, [vp]),
        (x, "XNextEvent"): (i, [vp, ctypes.POINTER(_XEvent)]),
        (x, "XLookupString"): (i, [ctypes.POINTER(_XEvent), ctypes.c_char_p, i,
                                   ctypes.POINTER(ul), vp]),
        (x, "XFlush"): (i, [vp]),
        (x, "XSync"): (i, [vp, i]),
        (x, "XFree"): (i, [vp]),
        (x, "XSetErrorHandler"): (vp, [vp]),
        (x, "XConnectionNumber"): (i, [vp]),
        (xext, "XShmQueryExtension"): (i, [vp]),
        (xext, "XShmGetEventBase"): (i, [vp]),
        (xext, "XShmCreateImage"): (ctypes.POINTER(_XImage),
                                    [vp, vp, u, i, vp, ctypes.POINTER(_XShmSegmentInfo),
                                     u, u]),
        (xext, "XShmAttach"): (i, [vp, ctypes.POINTER(_XShmSegmentInfo)]),
        (xext, "XShmDetach"): (i, [vp, ctypes.POINTER(_XShmSegmentInfo)]),
        (xext, "XShmPutImage"): (i, [vp, ul, vp, ctypes.POINTER(_XImage), i, i, i, i, u, u,
                                     i]),
        (libc, "shmget"): (i, [i, ctypes.c_size_t, i]),
        (libc, "shmat"): (vp, [i, vp, i]),
        (libc, "shmdt"): (i, [vp]),
        (libc, "shmctl"): (i, [i, i, vp]),
    }
    for (lib, name), (res, args) in sig.items():
        try:
            f = getattr(lib, name)
        except AttributeError as e:
            raise X11Error(f"{name} missing from {lib._name}") from e
        f.restype, f.argtypes = res, args
    x.XSetErrorHandler(ctypes.cast(_on_x_error, vp))
    # surviving a broken connection needs XSetIOErrorExitHandler (libX11 >= 1.7): with an
    # older libX11, Xlib exits after any I/O error handler, so its default one is kept
    exit_handler = getattr(x, "XSetIOErrorExitHandler", None)
    if exit_handler is not None:
        exit_handler.restype, exit_handler.argtypes = None, [vp, vp, vp]
        x.XSetIOErrorHandler.restype, x.XSetIOErrorHandler.argtypes = vp, [vp]
        x.XSetIOErrorHandler(ctypes.cast(_on_io_error, vp))
    _io_exit_handler = exit_handler  # set per display by X11Window (None: Xlib's default)
    _libs = (x, xext, libc)
    return _libs


class _ShmImage:
    """One shared-memory XImage of ``w`` x ``h`` and a numpy BGRX view of its pixels."""

    def __init__(self, win: X11Window, w: int, h: int) -> None:
        x, xext, libc = win._x, win._xext, win._libc
        self._win = win
        self.info = _XShmSegmentInfo()
        img = xext.XShmCreateImage(win._dpy, win._visual, win._depth, _Z_PIXMAP, None,
                                   ctypes.byref(self.info), w, h)
        if not img:
            raise X11Error("XShmCreateImage failed")
        self.img = img
        im = img.contents
        if im.bits_per_pixel != 32 or (im.red_mask, im.green_mask, im.blue_mask) != (
                0xFF0000, 0xFF00, 0xFF) or im.byte_order != 0:
            x.XDestroyImage(img)
            raise X11Error(f"unsupported visual: {im.bits_per_pixel} bits per pixel, "
                           f"masks {im.red_mask:#x}/{im.green_mask:#x}/{im.blue_mask:#x}")
        size = im.bytes_per_line * h
        shmid = libc.shmget(_IPC_PRIVATE, size, _IPC_CREAT | 0o600)
        if shmid < 0:
            x.XDestroyImage(img)
            raise X11Error(f"shmget of {size} bytes failed (errno {ctypes.get_errno()})")
        addr = libc.shmat(shmid, None, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            libc.shmctl(shmid, _IPC_RMID, None)
            x.XDestroyImage(img)
            raise X11Error("shmat failed")
        self.info.shmid, self.info.shmaddr, self.info.readOnly = shmid, addr, 0
        im.data = addr
        _errors.clear()
        xext.XShmAttach(win._dpy, ctypes.byref(self.info))
        x.XSync(win._dpy, 0)
        # marked for removal now: the kernel frees it once both sides have detached,
        # however this process ends
        libc.shmctl(shmid, _IPC_RMID, None)
        if _errors:
            libc.shmdt(addr)
            im.data = None
            x.XDestroyImage(img)
            raise X11Error(f"the X server refused MIT-SHM (error {_errors[0][0]}): "
                           "a remote display?")
        buf = (ctypes.c_uint8 * size).from_address(addr)
        self.pixels = np.ndarray((h, im.bytes_per_line // 4, 4), np.uint8, buf)[:, :w]
        self.w, self.h = w, h
        self.busy = False  # an XShmPutImage not yet completed reads it

    def free(self) -> None:
        win = self._win
        win._xext.XShmDetach(win._dpy, ctypes.byref(self.info))
        win._x.XSync(win._dpy, 0)
        win._libc.shmdt(ctypes.c_void_p(self.info.shmaddr))
        self.img.contents.data = None
        win._x.XDestroyImage(self.img)
        self.pixels = np.zeros((0, 0, 4), np.uint8)


class X11Window:
    """A window showing BGR frames through MIT-SHM, with the same methods as
    :class:`hipform.live.window.OpenCVWindow` has (``show``, ``poll``, ``closed``, ``close``).

    The picture keeps its aspect ratio when the user resizes the window (scaled with
    OpenCV, letterboxed). Two shared images alternate, so a frame is never written while
    the X server still reads the previous one.

    Args:
        title: window title.
        size: initial (width, height), or None for the first frame's size (at most
            1280x800, aspect kept).
        display: X display name (default ``$DISPLAY``).
    Raises:
        X11Error: no libX11/libXext, the display cannot be opened, or no MIT-SHM.
    """

    backend = "x11"
    #: may be used from another thread than the one that opened it, one thread at a
    #: time (Xlib without XInitThreads: never two threads at once)
    any_thread = True

    def __init__(self, title: str = "hipform live", size: tuple[int, int] | None = None,
                 display: str | None = None) -> None:
        self._x, self._xext, self._libc = _load()
        name = display if display is not None else os.environ.get("DISPLAY", "")
        if not name:
            raise X11DisplayError("DISPLAY is not set")
        dpy = self._x.XOpenDisplay(name.encode())
        if not dpy:
            raise X11DisplayError(f"cannot open X display {name!r}")
        self._dpy = dpy
        #: True once the connection to the X server broke (the window is then closed)
        self.lost = False
        if _io_exit_handler is not None:
            _io_exit_handler(dpy, ctypes.cast(_on_io_exit, ctypes.c_void_p), None)
        try:
            if not self._xext.XShmQueryExtension(dpy):
                raise X11Error(f"X display {name!r} has no MIT-SHM extension")
            self._screen = self._x.XDefaultScreen(dpy)
            self._visual = self._x.XDefaultVisual(dpy, self._screen)
            self._depth = self._x.XDefaultDepth(dpy, self._screen)
            if self._depth not in (24, 32):
                raise X11Error(f"X display {name!r} has depth {self._depth}, not 24")
            self._completion = self._xext.XShmGetEventBase(dpy)  # + ShmCompletion (0)
        except BaseException:
            self._x.XCloseDisplay(dpy)
            raise
        self.title = title
        self._size = size
        self._win = 0
        self._gc: Any = None
        self._imgs: list[_ShmImage] = []
        self._next = 0
        self._view = (0, 0)  # the window's current inner size
        self._last: np.ndarray | None = None
        self._closed = False
        self._dirty = False
        self._keys: deque[str] = deque()  # actions of keys pressed, oldest first
        self._ev = _XEvent()
        self._keysym = ctypes.c_ulong()
        self._chars = ctypes.create_string_buffer(8)
        self._wm_delete = ctypes.c_ulong(0)

    # ------------------------------------------------------------------ window
    def _open(self, w: int, h: int) -> None:
        x, dpy = self._x, self._dpy
        root = x.XRootWindow(dpy, self._screen)
        black = x.XBlackPixel(dpy, self._screen)
        self._win = x.XCreateSimpleWindow(dpy, root, 0, 0, w, h, 0, black, black)
        x.XStoreName(dpy, self._win, self.title.encode())
        hints = _XSizeHints(flags=_P_MIN_SIZE, min_width=160, min_height=120)
        x.XSetWMNormalHints(dpy, self._win, ctypes.byref(hints))
        x.XSelectInput(dpy, self._win,
                       _KEY_PRESS_MASK | _EXPOSURE_MASK | _STRUCTURE_NOTIFY_MASK)
        self._wm_delete = ctypes.c_ulong(x.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0))
        x.XSetWMProtocols(dpy, self._win, ctypes.byref(self._wm_delete), 1)
        self._gc = x.XCreateGC(dpy, self._win, 0, None)
        x.XMapWindow(dpy, self._win)
        x.XSync(dpy, 0)
        self._view = (w, h)

    def _images(self, w: int, h: int) -> list[_ShmImage]:
        if not self._imgs or (self._imgs[0].w, self._imgs[0].h) != (w, h):
            self._wait_for(self._imgs, 0.5)
            for im in self._imgs:
                im.free()
            self._imgs = []
            self._imgs = [_ShmImage(self, w, h), _ShmImage(self, w, h)]
        return self._imgs

    def _wait_for(self, imgs: list[_ShmImage], timeout_s: float) -> None:
        """Until the X server has read ``imgs`` (their completion events arrived), the
        window is gone, or ``timeout_s`` passed (then they are taken as read)."""
        end = time.monotonic() + timeout_s
        while any(im.busy for im in imgs) and not self._closed:
            if self._x.XPending(self._dpy) or self._dpy in _lost:
                self._handle_events()
            elif time.monotonic() > end:
                break
            else:
                time.sleep(0.0002)
        for im in imgs:
            im.busy = False

    # ------------------------------------------------------------------ public
    def show(self, bgr: np.ndarray, wait_ms: int = 1) -> str | None:
        """Display ``bgr`` (uint8 (H, W, 3)) and read pending events; returns the action
        of a key pressed (see :data:`hipform.live.window.KEYS`), "quit" once the window
        was closed, or None. Never blocks for a repaint: ``wait_ms`` is ignored unless
        the window has nothing else to do (the live loop paces itself)."""
        if self._closed:
            return "quit"
        if not self._win:
            from hipform.live.window import initial_size

            size = self._size or initial_size(bgr)
            self._open(int(size[0]), int(size[1]))
        self._last = bgr
        self._handle_events()
        if self._closed:
            return "quit"
        self._put(bgr)
        return self._keys.popleft() if self._keys else None

    def poll(self, wait_ms: int = 1) -> str | None:
        """Read pending events for up to ``wait_ms`` ms without a new picture (repaints
        the last one when the window was exposed or resized)."""
        if self._closed:
            return "quit"
        end = time.monotonic() + max(0, wait_ms) / 1000.0
        while True:
            self._handle_events()
            if self._closed:
                return "quit"
            if self._keys:
                return self._keys.popleft()
            if self._dirty and self._last is not None:
                self._put(self._last)
            if time.monotonic() >= end:
                return None
            time.sleep(0.001)

    def closed(self) -> bool:
        """True once the user closed the window (its close button) or it was destroyed.
        (Keys read meanwhile are kept for the next ``show``/``poll``.)"""
        if not self._closed and self._win:
            self._handle_events()
        return self._closed

    def close(self) -> None:
        if not self._dpy:
            return
        x = self._x
        try:
            if not self._closed:
                self._wait_for(self._imgs, 0.5)
            # (a lost display: these calls return at once; our side of the shared
            # memory is still detached)
            for im in self._imgs:
                im.free()
            self._imgs = []
            if self._gc is not None:
                x.XFreeGC(self._dpy, self._gc)
            if self._win and not self._closed:
                x.XDestroyWindow(self._dpy, self._win)
            x.XSync(self._dpy, 0)
        finally:
            x.XCloseDisplay(self._dpy)
            _lost.discard(self._dpy)
            self._dpy = None
            self._closed = True

    # ------------------------------------------------------------------ internals
    def _put(self, bgr: np.ndarray) -> None:
        import cv2

        vw, vh = self._view
        h, w = bgr.shape[:2]
        k = min(vw / w, vh / h)
        dw, dh = max(1, round(w * k)), max(1, round(h * k))
        imgs = self._images(vw, vh)
        im = imgs[self._next]
        if im.busy:  # the server still reads it: wait for its completion event
            self._wait_for([im], 0.1)
            if self._closed:
                return
        x0, y0 = (vw - dw) // 2, (vh - dh) // 2
        if (dw, dh) == (w, h):
            target = im.pixels[y0:y0 + dh, x0:x0 + dw]
            cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA, dst=target)
        else:
            small = cv2.resize(bgr, (dw, dh), interpolation=cv2.INTER_AREA if k < 1
                               else cv2.INTER_LINEAR)
            cv2.cvtColor(small, cv2.COLOR_BGR2BGRA, dst=im.pixels[y0:y0 + dh, x0:x0 + dw])
        if y0 or x0:  # letterboxed: black bars (the image may have held a larger frame)
            im.pixels[:y0] = 0
            im.pixels[y0 + dh:] = 0
            im.pixels[:, :x0] = 0
            im.pixels[:, x0 + dw:] = 0
        self._xext.XShmPutImage(self._dpy, self._win, self._gc, im.img, 0, 0, 0, 0, vw, vh, 1)
        self._x.XFlush(self._dpy)
        im.busy = True
        self._next ^= 1
        self._dirty = False

    def _handle_events(self) -> None:
        """Drain the event queue: keys pressed go to ``_keys`` (one action is returned
        per ``show``/``poll``, as OpenCV's ``waitKey`` returns one key per call)."""
        from hipform.live.window import KEYS

        x, dpy, ev = self._x, self._dpy, self._ev
        while x.XPending(dpy):
            x.XNextEvent(dpy, ctypes.byref(ev))
            t = ev.type
            if t == self._completion:
                # XShmCompletionEvent: ...drawable, major, minor, shmseg, offset
                seg = ctypes.cast(ctypes.byref(ev), ctypes.POINTER(ctypes.c_ulong))
                for im in self._imgs:
                    if im.info.shmseg == seg[6]:
                        im.busy = False
            elif t == _KEY_PRESS:
                n = x.XLookupString(ctypes.byref(ev), self._chars, 8,
                                    ctypes.byref(self._keysym), None)
                code = _KEYSYMS.get(self._keysym.value)
                if code is None and n == 1:
                    code = self._chars.raw[0]
                action = KEYS.get(code) if code is not None else None
                if action is not None:
                    self._keys.append(action)
            elif t == _CONFIGURE_NOTIFY:
                # XConfigureEvent: type serial send_event display event window x y w h
                p = ctypes.cast(ctypes.byref(ev), ctypes.POINTER(ctypes.c_int))
                # offsets in ints: type(0) pad serial(2,3) send_event(4) pad display(6,7)
                # event(8,9) window(10,11) x(12) y(13) width(14) height(15)
                size = (int(p[14]), int(p[15]))
                if size != self._view and size[0] > 0 and size[1] > 0:
                    self._view = size
                    self._dirty = True
            elif t == _EXPOSE:
                self._dirty = True
            elif t == _CLIENT_MESSAGE:
                # XClientMessageEvent: ... message_type(ulong), format(int), data.l[0]
                lp = ctypes.cast(ctypes.byref(ev), ctypes.POINTER(ctypes.c_long))
                if lp[7] == self._wm_delete.value:
                    self._closed = True
            elif t == _DESTROY_NOTIFY:
                self._closed = True
        if dpy in _lost:  # the connection broke (XPending returned 0 after the error)
            self._closed = self.lost = True
