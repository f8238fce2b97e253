"""Report plots as inline SVG text, drawn from numpy arrays (no matplotlib, no PIL).

Each function returns one standalone ``<svg>`` element (valid XML, no scripts, every text
escaped) for the HTML report to embed as it is.

Layout: the drawing is ``width="100%"`` of its container and a fixed height in CSS
pixels. Horizontal positions are percentages of that width and vertical ones are pixels,
so on a 340 px phone and on a 960 px laptop the plot area stretches while text, lines and
markers keep their real size (a plain ``viewBox`` would scale 12 px labels down to 5 px on
a phone). The data lines sit in a nested ``<svg>`` whose ``viewBox`` maps time onto the
plot width (``preserveAspectRatio="none"``, ``vector-effect="non-scaling-stroke"``); its
vertical scale is 1, so a data y is the same pixel inside and out.

Decisions that depend on the width (how many x ticks, whether repetition labels fit) are
taken for a phone-sized plot (:data:`NARROW_PX`), so they hold on every screen.
"""

from __future__ import annotations

import html
import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["SIDE_COLOURS", "measure_svg", "nice_ticks", "trend_measures", "trend_svg"]

#: Line colours by side; chosen apart from the severity colours (amber, red).
SIDE_COLOURS = {"left": "#2563eb", "right": "#9333ea", "both": "#0f766e",
                "sagittal": "#0f766e"}
FLAG = "#f59e0b"
SEVERE = "#dc2626"
INK = "#1f2937"
GRID = "#e5e7eb"
_MUTED = "#4b5563"
_FAINT = "#6b7280"
_AXIS = "#9ca3af"
_REP = "#f3f4f6"
_FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"

#: Width (CSS px) of the whole drawing that layout decisions assume: a phone (the report
#: also never shows a trend panel narrower than this, see ``.grid2`` in its CSS).
NARROW_PX = 320.0
#: Most points drawn per series; longer series are min/max decimated (:func:`_decimate`).
MAX_POINTS = 1200
#: Plot area, percent of the width: left margin (y tick labels) and right margin.
_LEFT_PCT = 10.0  # room for 3-character tick labels ("−10") on a phone
_RIGHT_PCT = 3.0
#: Units across the nested data ``viewBox`` (time axis).
_VB = 1000.0
_TITLE_PX, _TICK_PX, _LABEL_PX, _REP_PX = 15, 12, 12, 11
_LINE_PX = 2.0
#: Height of a measure plot's area, and of the row its repetition labels take at the top.
_PLOT_PX, _REP_ROW = 150.0, 17.0


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _text_px(s: str, size: float) -> float:
    """Rough rendered width of ``s`` at font size ``size`` px (system sans-serif)."""
    return 0.56 * size * len(s)


def _num(v: float) -> str:
    """Compact number text for attributes: 0.1 precision, no trailing ``.0``."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _arr(values: Sequence[float | None]) -> np.ndarray:
    """List with None -> float64 array with NaN, shape (T,)."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _decimate(
    t: np.ndarray, data: dict[str, np.ndarray], max_points: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Min/max decimation for long clips: (T,) series -> about ``max_points`` points that
    keep every peak and trough (each bucket contributes its min and its max). NaN-aware:
    a bucket with no value stays NaN, so gaps still show.

    Args:
        t: (T,) float times, increasing.
        data: label -> (T,) float64 values, NaN where not measured.
    Returns:
        (t', data') with t' of shape (N,), N <= max_points, and each series (N,).
    """
    n = t.shape[0]
    if n <= max_points:
        return t, data
    size = int(np.ceil(n / (max_points // 2)))
    nb = int(np.ceil(n / size))
    pad = nb * size - n

    def buckets(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, np.full(pad, np.nan)]).reshape(nb, size)

    tb = buckets(t.astype(np.float64))
    t_out = np.repeat(np.fmin.reduce(tb, axis=1), 2)
    t_out[1::2] = np.fmax.reduce(tb, axis=1)
    out = {}
    for k, a in data.items():
        b = buckets(a)
        lo, hi = np.fmin.reduce(b, axis=1), np.fmax.reduce(b, axis=1)
        out[k] = np.stack([lo, hi], axis=1).reshape(-1)
    return t_out, out


def nice_ticks(lo: float, hi: float, max_ticks: int, target: int | None = None) -> np.ndarray:
    """Tick values on a 1-2-5 step inside ``[lo, hi]``: at most ``max_ticks`` of them and,
    among the steps that allow that, the count nearest ``target`` (ties: more ticks;
    default: the finest step that fits).

    Returns:
        (K,) float64, increasing; empty when ``hi <= lo`` or either is not finite.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.zeros(0)
    mag = 10.0 ** math.floor(math.log10((hi - lo) / max(max_ticks, 1)))
    best: tuple[int, int, float] | None = None  # (distance to target, -count, step)
    for m in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0):
        step = m * mag
        count = math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1
        if count > max_ticks:
            continue
        key = (abs(count - (target or max_ticks)), -count, step)
        if best is None or key < best:
            best = key
        if target is None:
            break
    if best is None:  # only when max_ticks < 1
        return np.zeros(0)
    step = best[2]
    k = np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)
    return np.round(k * step, 10)


def _tick_text(v: float, step: float) -> str:
    """Tick label with as many decimals as the step needs, and a real minus sign."""
    dec = max(0, math.ceil(-math.log10(step) - 1e-9)) if step > 0 else 0
    s = f"{v:.{dec}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "\u2212")


class _Axes:
    """Maps data to drawing coordinates for one plot area: x to percent of the width
    (outer drawing) or to nested-viewBox units, y to pixels from the top. The y ticks
    (about ``yticks`` of them, at most 2 more) are chosen here: the left margin widens
    for long labels."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float, top: float,
                 height: float, yticks: int) -> None:
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1
        self.top, self.height = top, height
        self.yticks = nice_ticks(y0, y1, yticks + 2, target=yticks)
        step = float(self.yticks[1] - self.yticks[0]) if self.yticks.size > 1 else 1.0
        self.ylabels = [_tick_text(float(v), step) for v in self.yticks]
        widest = max([_text_px(s, _TICK_PX) for s in self.ylabels] + [0.0])
        self.left = max(_LEFT_PCT, (widest + 10.0) / NARROW_PX * 100.0)
        self.right = 100.0 - _RIGHT_PCT

    def frac(self, x: np.ndarray | float) -> Any:
        return (np.asarray(x, dtype=np.float64) - self.x0) / (self.x1 - self.x0)

    def pct(self, x: float) -> float:
        """x -> percent of the drawing's width."""
        return self.left + float(self.frac(x)) * (self.right - self.left)

    def py(self, y: np.ndarray | float) -> Any:
        """y -> pixels from the top of the drawing."""
        a = np.asarray(y, dtype=np.float64)
        return self.top + (self.y1 - a) / (self.y1 - self.y0) * self.height

    def hline(self, y: float, colour: str, *, width: float = 1.0, dash: str = "",
              opacity: float = 1.0) -> str:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        o = f' stroke-opacity="{opacity:g}"' if opacity < 1 else ""
        py = _num(float(self.py(y)))
        return (f'<line x1="{_num(self.left)}%" x2="{_num(self.right)}%" y1="{py}" '
                f'y2="{py}" stroke="{colour}" stroke-width="{width:g}"{d}{o}/>')

    def hband(self, lo: float, hi: float, colour: str, opacity: float) -> str:
        lo, hi = max(lo, self.y0), min(hi, self.y1)
        if hi <= lo:
            return ""
        top, bottom = float(self.py(hi)), float(self.py(lo))
        return (f'<rect x="{_num(self.left)}%" width="{_num(self.right - self.left)}%" '
                f'y="{_num(top)}" height="{_num(bottom - top)}" fill="{colour}" '
                f'fill-opacity="{opacity:g}"/>')

    def frame(self, ylabel: str) -> str:
        """Grid, y tick labels, left and bottom axis lines and the y label."""
        out = []
        for v in self.yticks:
            py = _num(float(self.py(v)))
            out.append(f'<line x1="{_num(self.left)}%" x2="{_num(self.right)}%" y1="{py}" '
                       f'y2="{py}" stroke="{GRID}"/>')
        for v, text in zip(self.yticks, self.ylabels, strict=True):
            out.append(f'<text x="{_num(self.left)}%" dx="-7" y="{_num(float(self.py(v)))}" '
                       f'dy="0.34em" text-anchor="end">{text}</text>')
        bottom = _num(self.top + self.height)
        out.append(f'<g stroke="{_AXIS}"><line x1="{_num(self.left)}%" x2="{_num(self.left)}%" '
                   f'y1="{_num(self.top)}" y2="{bottom}"/><line x1="{_num(self.left)}%" '
                   f'x2="{_num(self.right)}%" y1="{bottom}" y2="{bottom}"/></g>')
        out.append(f'<text x="{_num(self.left)}%" dx="-4" y="{_num(self.top - 9)}" '
                   f'font-size="{_LABEL_PX}">{_e(ylabel)}</text>')  # above the y axis
        return "".join(out)


def _legend(items: Sequence[tuple[str, str]], y: float) -> str:
    """Legend right-aligned with the plot area's right edge: (label, colour) pairs."""
    right = f"{_num(100.0 - _RIGHT_PCT)}%"
    out = []
    off = 0.0
    for label, colour in reversed(items):
        w = _text_px(label, _LABEL_PX)
        out.append(f'<text x="{right}" dx="{_num(-off - w)}" y="{_num(y)}" dy="0.34em">'
                   f"{_e(label)}</text>")
        off += w + 6
        out.append(f'<rect x="{right}" y="{_num(y - 1.5)}" width="16" height="3" rx="1.5" '
                   f'fill="{colour}" transform="translate({_num(-off - 16)} 0)"/>')
        off += 16 + 16
    return f'<g fill="{_MUTED}" font-size="{_LABEL_PX}">{"".join(out)}</g>'


def _legend_px(labels: Sequence[str]) -> float:
    """Width of :func:`_legend`'s items: swatch 16 + gap 6 + label, 16 between items."""
    return sum(_text_px(s, _LABEL_PX) + 38 for s in labels) - 16


def _svg(body: str, *, title: str, desc: str, height: float, kind: str) -> str:
    """Wrap a drawing: root element, accessible name and description, font."""
    # ids unique on the page, and the same for the same drawing (crc32: zlib is loaded
    # anyway; hashlib would load OpenSSL, 3.5 MB)
    uid = f"{kind}-{zlib.crc32(f'{title}|{desc}|{body}'.encode()):08x}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{_num(height)}" '
        f'class="{kind}" role="img" aria-labelledby="{uid}-t {uid}-d" '
        f'font-family="{_e(_FONT)}" font-size="{_TICK_PX}" fill="{_MUTED}">'
        f'<title id="{uid}-t">{_e(title)}</title><desc id="{uid}-d">{_e(desc)}</desc>'
        f"{body}</svg>"
    )


def _no_data(title: str, kind: str) -> str:
    body = (f'<text x="0" y="17" font-size="{_TITLE_PX}" font-weight="700" fill="{INK}">'
            f'{_e(title)}</text><text x="50%" y="70" text-anchor="middle" '
            f'fill="{_FAINT}">no data</text>')
    return _svg(body, title=title, desc="no data", height=100, kind=kind)


def _runs(finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a (N,) bool array."""
    edges = np.diff(np.concatenate([[False], finite, [False]]).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _series_path(x: np.ndarray, y: np.ndarray) -> tuple[str, list[int]]:
    """Path data for one series, a ``M`` subpath per run of finite values.

    Args:
        x: (N,) float64, nested-viewBox units; y: (N,) float64 pixels, NaN = gap.
    Returns:
        (path data, indices of lone points): a run shorter than 0.2 % of the width would
        vanish as a line, so it is left out of the path and returned to be drawn as a dot.
    """
    starts, ends = _runs(np.isfinite(y))
    fmt: list[str] = []
    keep: list[np.ndarray] = []
    lone: list[int] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if x[e - 1] - x[s] < 0.002 * _VB:
            lone.append(s + int(np.argmax(y[s:e])))
            continue
        fmt.append("M" + " ".join(["%.1f %.1f"] * (e - s)))
        keep.append(np.arange(s, e))
    if not keep:
        return "", lone
    idx = np.concatenate(keep)
    xy = np.round(np.stack([x[idx], y[idx]], axis=1), 1)
    return "".join(fmt) % tuple(xy.ravel().tolist()), lone


def _rep_labels(reps: Sequence[tuple[int, float, float]], x0: float, x1: float) -> list[str]:
    """Labels "rep 1".. (or "1".. when those would collide, none when even they would)
    for (number, start s, end s) of the reps on a time axis from ``x0`` to ``x1`` s,
    checked on a phone-sized plot."""
    if not reps:
        return []
    width = NARROW_PX * (100.0 - _LEFT_PCT - _RIGHT_PCT) / 100.0
    mids = np.array([(a + b) / 2 for _, a, b in reps], dtype=np.float64)
    px = (mids - x0) / (x1 - x0) * width
    room = float(np.min(np.diff(px))) if len(reps) > 1 else width
    for prefix in ("rep ", ""):
        if prefix and len(reps) > 8:
            continue
        widest = max(_text_px(f"{prefix}{k}", _REP_PX) for k, _, _ in reps)
        if widest + 6 <= room:
            return [f"{prefix}{k}" for k, _, _ in reps]
    return []


def measure_svg(
    t_s: Sequence[float] | np.ndarray,
    series: Mapping[str, Sequence[float | None] | np.ndarray],
    *,
    title: str,
    ylabel: str = "degrees",
    flag: float | None = None,
    severe: float | None = None,
    reps: Sequence[tuple[float, float]] = (),
) -> str:
    """Per-frame plot of one measure, as SVG.

    Args:
        t_s: frame times, seconds, shape (T,), increasing.
        series: label (``"left"``, ``"right"``, ``"both"``, ...) -> T values in degrees,
            shape (T,) (None or NaN = not measured; the line breaks there). Colours by
            label from :data:`SIDE_COLOURS`; a legend when there is more than one.
        title: shown above the plot and as the accessible name (escaped).
        ylabel: unit of the values.
        flag, severe: thresholds in degrees; the area above ``flag`` is shaded amber,
            above ``severe`` red, each with a dashed line.
        reps: (start_s, end_s) of each repetition, shaded grey and numbered from 1.
    Returns:
        one ``<svg>`` element (text), 100 % wide and 240 px high (258 when the legend
        needs a row of its own); a short drawing that says "no data" when no series has
        a value.
    """
    t = np.asarray(t_s, dtype=np.float64).reshape(-1)
    data = {str(k): (_arr(v) if isinstance(v, list | tuple) else
                     np.asarray(v, dtype=np.float64).reshape(-1)) for k, v in series.items()}
    for k, a in data.items():
        if a.shape != t.shape:
            raise ValueError(f"series {k!r}: expected shape {t.shape}, got {a.shape}")
    data = {k: a for k, a in data.items() if np.isfinite(a).any()}
    if not t.size or not data:
        return _no_data(title, "measure-plot")
    t, data = _decimate(t, data, max_points=MAX_POINTS)

    lo = min([0.0] + [float(np.nanmin(a)) for a in data.values()])
    hi = max([1.0] + [float(np.nanmax(a)) for a in data.values()])
    for thr in (flag, severe):
        if thr is not None:
            hi = max(hi, thr * 1.15)
    pad = 0.08 * (hi - lo)
    x0, x1 = float(t[0]), float(t[-1])
    if x1 <= x0:
        x0 = max(x0 - 0.5, min(x0, 0.0))  # one frame: a 1 s axis, not into negative time
        x1 = x0 + 1.0

    legend = [(k, SIDE_COLOURS.get(k, INK)) for k in data] if len(data) > 1 else []
    two_rows = bool(legend) and (_text_px(title, _TITLE_PX) + 24 + _legend_px(list(data))
                                 > NARROW_PX)
    top = 64.0 if two_rows else 46.0
    height = top + _PLOT_PX + 44.0
    # repetitions inside the clip, numbered from 1, clipped to it
    shown = [(k + 1, max(a, x0), min(b, x1)) for k, (a, b) in enumerate(reps)
             if min(b, x1) > max(a, x0)]
    labels = _rep_labels(shown, x0, x1)
    # room above the data for the repetition labels
    head = (hi - lo + 2 * pad) * _REP_ROW / (_PLOT_PX - _REP_ROW) if labels else 0.0
    ax = _Axes(x0, x1, lo - pad, hi + pad + head, top, _PLOT_PX, yticks=5)

    out = [f'<text x="0" y="17" font-size="{_TITLE_PX}" font-weight="700" fill="{INK}">'
           f"{_e(title)}</text>"]
    if legend:
        out.append(_legend(legend, 40.0 if two_rows else 12.0))
    # repetitions: grey columns behind everything
    box = f'y="{_num(top)}" height="{_num(ax.height)}"'
    for _, r0, r1 in shown:
        pa, pb = ax.pct(r0), ax.pct(r1)
        out.append(f'<rect x="{pa:.2f}%" width="{pb - pa:.2f}%" {box} fill="{_REP}"/>')
    # grid, axes, tick labels
    xticks = nice_ticks(x0, x1, 7)
    for v in xticks:
        p = ax.pct(float(v))
        out.append(f'<line x1="{p:.2f}%" x2="{p:.2f}%" y1="{_num(top)}" '
                   f'y2="{_num(top + ax.height)}" stroke="{GRID}"/>')
    out.append(ax.frame(ylabel))
    step = float(xticks[1] - xticks[0]) if xticks.size > 1 else 1.0
    for v in xticks:
        out.append(f'<text x="{ax.pct(float(v)):.2f}%" y="{_num(top + ax.height + 17)}" '
                   f'text-anchor="middle">{_tick_text(float(v), step)}</text>')
    out.append(f'<text x="{_num((ax.left + ax.right) / 2)}%" y="{_num(height - 5)}" '
               f'text-anchor="middle" font-size="{_LABEL_PX}">time (s)</text>')
    # severity bands and threshold lines
    if flag is not None:
        out.append(ax.hband(flag, severe if severe is not None else ax.y1, FLAG, 0.13))
    if severe is not None:
        out.append(ax.hband(severe, ax.y1, SEVERE, 0.10))
    if flag is not None:
        out.append(ax.hline(flag, FLAG, width=1.2, dash="5 4"))
    if severe is not None:
        out.append(ax.hline(severe, SEVERE, width=1.2, dash="5 4"))
    # repetition labels, on top of the bands
    if labels:
        out.append(f'<g font-size="{_REP_PX}" fill="{_FAINT}" text-anchor="middle">' + "".join(
            f'<text x="{ax.pct((r0 + r1) / 2):.2f}%" y="{_num(top + 13)}">{lab}</text>'
            for (_, r0, r1), lab in zip(shown, labels, strict=True)) + "</g>")
    # the data: lines in a nested drawing whose viewBox stretches time over the width
    xs = np.asarray(ax.frac(t)) * _VB
    lines, dots = [], []
    for label, y in data.items():
        colour = SIDE_COLOURS.get(label, INK)
        d, lone = _series_path(xs, np.asarray(ax.py(y)) - top)
        if d:
            lines.append(f'<path class="series" data-series="{_e(label)}" stroke="{colour}" '
                         f'vector-effect="non-scaling-stroke" d="{d}"/>')
        for i in lone:
            dots.append(f'<circle class="dot" data-series="{_e(label)}" '
                        f'cx="{ax.pct(float(t[i])):.2f}%" cy="{_num(float(ax.py(y[i])))}" '
                        f'r="2.6" fill="{colour}"/>')
    out.append(
        f'<svg x="{_num(ax.left)}%" y="{_num(top)}" width="{_num(ax.right - ax.left)}%" '
        f'height="{_num(ax.height)}" viewBox="0 0 {_VB:g} {_num(ax.height)}" '
        f'preserveAspectRatio="none" overflow="visible"><g fill="none" '
        f'stroke-width="{_LINE_PX:g}" stroke-linejoin="round" stroke-linecap="round">'
        + "".join(lines) + "</g></svg>" + "".join(dots))
    desc = _measure_desc(t, data, title=title, ylabel=ylabel, flag=flag, severe=severe,
                         n_reps=len(reps))
    return _svg("".join(out), title=title, desc=desc, height=height, kind="measure-plot")


def _measure_desc(t: np.ndarray, data: Mapping[str, np.ndarray], *, title: str,
                  ylabel: str, flag: float | None, severe: float | None,
                  n_reps: int) -> str:
    """One sentence a screen reader can say instead of the drawing."""
    parts = []
    for k, a in data.items():
        i = int(np.nanargmax(a))
        parts.append(f"{k} from {np.nanmin(a):.1f} to {a[i]:.1f} (peak at {t[i]:.1f} s)")
    thr = [f"{n} at {v:g}" for n, v in (("flag", flag), ("severe", severe)) if v is not None]
    return (f"{title} in {ylabel} over {t[-1] - t[0]:.1f} s: " + "; ".join(parts)
            + (f". Thresholds: {', '.join(thr)}" if thr else "")
            + (f". {n_reps} repetitions shaded." if n_reps else "."))


def _trend_panel(
    trend: Sequence[Mapping[str, Any]], measure: str, *, label: str, sdd: float | None,
    dates: Sequence[str], oy: float,
) -> tuple[str, float, str]:
    """One measure's panel of :func:`trend_svg`, its top at ``oy`` px.

    Returns:
        (SVG text, panel height px, a sentence describing it).
    """
    n = len(trend)
    sides: list[str] = []
    for row in trend:
        for s in (row.get("measures") or {}).get(measure) or {}:
            if s not in sides:
                sides.append(s)
    vals = {s: _arr([((row.get("measures") or {}).get(measure) or {}).get(s)
                     for row in trend]) for s in sides}
    bounds: list[float] = []
    bands: list[tuple[str, float, float]] = []  # (side, first - sdd, first + sdd)
    for s, y in vals.items():
        fin = y[np.isfinite(y)]
        bounds += fin.tolist()
        if fin.size and sdd is not None:
            bands.append((s, float(fin[0]) - sdd, float(fin[0]) + sdd))
            bounds += list(bands[-1][1:])
    lo, hi = (min(bounds), max(bounds)) if bounds else (0.0, 1.0)
    span = (hi - lo) or 1.0
    legend = [(s, SIDE_COLOURS.get(s, INK)) for s in sides]
    two_rows = bool(legend) and (_text_px(label, _TITLE_PX) + 24 + _legend_px(sides)
                                 > NARROW_PX)
    top = oy + (64.0 if two_rows else 46.0)
    # x: session index; the first and last sessions far enough in for their date labels
    widest = max([_text_px(d, _TICK_PX - 1) for d in dates] + [1.0])
    plot_px = NARROW_PX * (100.0 - _LEFT_PCT - _RIGHT_PCT) / 100.0
    edge = max(0.0, widest / 2 - NARROW_PX * _RIGHT_PCT / 100.0)
    pad = max(0.35, edge * (n - 1) / max(plot_px - 2 * edge, 1.0))
    x0, x1 = (-0.5, 0.5) if n <= 1 else (-pad, n - 1 + pad)
    ax = _Axes(x0, x1, lo - 0.12 * span, hi + 0.12 * span, top, 130.0, yticks=4)
    height = top - oy + ax.height + 30.0

    out = [f'<text x="0" y="{_num(oy + 17)}" font-size="{_TITLE_PX}" font-weight="700" '
           f'fill="{INK}">{_e(label)}</text>']
    if legend:
        out.append(_legend(legend, oy + (40.0 if two_rows else 12.0)))
    for i in range(n):
        p = ax.pct(i)
        out.append(f'<line x1="{p:.2f}%" x2="{p:.2f}%" y1="{_num(top)}" '
                   f'y2="{_num(top + ax.height)}" stroke="{GRID}"/>')
    out.append(ax.frame("degrees"))
    # date labels: every k-th session (always the last one) so that they do not collide
    room = plot_px / (x1 - x0)
    every = max(1, math.ceil((widest + 8) / room))
    for i, d in enumerate(dates):
        if (n - 1 - i) % every == 0:
            out.append(f'<text x="{ax.pct(i):.2f}%" y="{_num(top + ax.height + 17)}" '
                       f'font-size="{_TICK_PX - 1}" text-anchor="middle">{_e(d)}</text>')
    for s, band_lo, band_hi in bands:
        colour = SIDE_COLOURS.get(s, INK)
        out.append(ax.hband(band_lo, band_hi, colour, 0.08))
        for edge in (band_lo, band_hi):
            out.append(ax.hline(edge, colour, width=1.0, dash="2 3", opacity=0.45))
    said = []
    for s, y in vals.items():
        colour = SIDE_COLOURS.get(s, INK)
        ok = np.flatnonzero(np.isfinite(y))
        for i, j in zip(ok[:-1].tolist(), ok[1:].tolist(), strict=True):
            if j == i + 1:  # a session without a value breaks the line
                out.append(f'<line x1="{ax.pct(i):.2f}%" y1="{_num(float(ax.py(y[i])))}" '
                           f'x2="{ax.pct(j):.2f}%" y2="{_num(float(ax.py(y[j])))}" '
                           f'stroke="{colour}" stroke-width="{_LINE_PX:g}" '
                           'stroke-linecap="round"/>')
        for i in ok.tolist():
            out.append(f'<circle cx="{ax.pct(i):.2f}%" cy="{_num(float(ax.py(y[i])))}" '
                       f'r="4" fill="{colour}" stroke="#fff" stroke-width="1.5">'
                       f"<title>{_e(dates[i])}: {_e(s)} {y[i]:.1f}°</title></circle>")
        if ok.size:
            said.append(f"{s} {y[ok[0]]:.1f} ({dates[ok[0]]}) to {y[ok[-1]]:.1f} "
                        f"({dates[ok[-1]]})")
    if not said:
        out.append(f'<text x="{_num((ax.left + ax.right) / 2)}%" '
                   f'y="{_num(top + ax.height / 2)}" text-anchor="middle" '
                   f'fill="{_FAINT}">no data</text>')
    band = f"; band: first session ± {sdd:g}" if bands and sdd is not None else ""
    desc = f"{label} per session, degrees: " + ("; ".join(said) or "no data") + band + "."
    return "".join(out), height, desc


def trend_measures(trend: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every measure named in the rows' ``measures``, in order of first appearance."""
    found: list[str] = []
    for row in trend:
        for m in row.get("measures") or {}:
            if m not in found:
                found.append(m)
    return found


def trend_svg(
    trend: Sequence[Mapping[str, Any]],
    *,
    sdd: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    measures: Sequence[str] | None = None,
    title: str | None = None,
) -> str:
    """Trend of each measure per side across sessions, as SVG (one panel per measure,
    stacked).

    Args:
        trend: rows oldest first, each with ``recorded_at`` (ISO text; its date is the
            x tick label) and ``measures`` = ``{measure: {side: degrees or None}}``
            (:meth:`hipform.store.Store.trend`).
        sdd: smallest detectable difference per measure (degrees); drawn as a band of
            +/- SDD around the first session's value: points inside it are within
            measurement error of the first session.
        labels: measure -> name shown (default: the measure key).
        measures: which measures to draw (default: every measure found), in order.
        title: a heading above the panels.
    Returns:
        one ``<svg>`` element (text), 100 % wide; a short drawing that says "no data"
        when there is no session or no measure.
    """
    sdd = sdd or {}
    labels = labels or {}
    if measures is None:
        measures = trend_measures(trend)
    name = title or ", ".join(labels.get(m, m) for m in measures) or "Trend"
    if not trend or not measures:
        return _no_data(name, "trend-plot")
    dates = [str(r.get("recorded_at") or "")[:10] for r in trend]
    out, descs = [], []
    oy = 0.0
    if title:
        out.append(f'<text x="0" y="18" font-size="{_TITLE_PX + 1}" font-weight="700" '
                   f'fill="{INK}">{_e(title)}</text>')
        oy = 34.0
    for m in measures:
        body, h, desc = _trend_panel(trend, m, label=labels.get(m, m), sdd=sdd.get(m),
                                     dates=dates, oy=oy)
        out.append(body)
        descs.append(desc)
        oy += h + 14.0
    return _svg("".join(out), title=name, desc=" ".join(descs), height=oy - 14.0,
                kind="trend-plot")
