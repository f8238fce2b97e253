"""Per-frame metrics of a clip: the :class:`Metrics` container and :func:`compute_metrics`.

Definitions and sign conventions of each measure are in
:mod:`hipform.core.kinematics` and docs/README_core.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from hipform.core import _block as b
from hipform.core.kinematics import (
    NanReason,
    _kernel,
    _kernel_row,
    quiet_leg_len,
    quiet_signal,
)
from hipform.core.view import VIEW_NAMES, View

__all__ = [
    "View",
    "Metrics",
    "MetricsRow",
    "NanReason",
    "LazyReasons",
    "compute_metrics",
    "find_quiet_stance_baseline",
    "find_quiet_stance",
    "CHUNK",
]

#: frames per kernel call: keeps every temporary in cache (see benchmarks/bench_core.py).
CHUNK = 8192

_FIELDS_2 = ("knee_valgus", "hip_drop", "trunk_lean_frontal", "knee_flexion", "hip_flexion")
_FIELDS_1 = ("pelvic_obliquity", "lumbar_extension", "trunk_lean_sagittal")


class MetricsRow(NamedTuple):
    """One frame's measures as Python floats (NaN where invalid), for the live engines."""

    t_ms: int
    knee_valgus_left: float
    knee_valgus_right: float
    pelvic_obliquity: float
    hip_drop_left: float
    hip_drop_right: float
    lumbar_extension: float
    trunk_lean_frontal_left: float
    trunk_lean_frontal_right: float
    trunk_lean_sagittal: float
    knee_flexion_left: float
    knee_flexion_right: float
    hip_flexion_left: float
    hip_flexion_right: float
    view: View
    view_confidence: float


REASON_FIELDS = ("knee_valgus", "pelvic_obliquity", "trunk_lean_frontal",
                 "trunk_lean_sagittal", "knee_flexion", "hip_flexion", "lumbar_extension")


class LazyReasons(Mapping):
    """``Metrics.nan_reason`` for clips: field name -> uint8 NanReason bits, computed
    (vectorised over the clip) on first access from the visibility mask, the view codes
    and the values, then cached. Read it like a dict."""

    def __init__(self, values: dict[str, np.ndarray], vis: np.ndarray, nodet: np.ndarray,
                 view: np.ndarray, gating: bool, flex3d: bool) -> None:
        self._values = values
        self._vis = vis        # bool (8, T): row k = gathered slot k visible
        self._nodet = nodet    # bool (T,)
        self._view = view
        self._gating = gating
        self._flex3d = flex3d
        self._cache: dict[str, np.ndarray] = {}

    def __iter__(self) -> Iterator[str]:
        return iter(REASON_FIELDS)

    def __len__(self) -> int:
        return len(REASON_FIELDS)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            if name not in REASON_FIELDS:
                raise KeyError(name)
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _compute(self, name: str) -> np.ndarray:
        v, view = self._vis, self._view

        def side(a: np.ndarray, c: np.ndarray) -> np.ndarray:
            return np.stack((a, c), axis=1)

        leg = side(v[b.L_HIP] & v[b.L_KNEE] & v[b.L_ANK], v[b.R_HIP] & v[b.R_KNEE] & v[b.R_ANK])
        if name in ("knee_valgus", "knee_flexion"):
            visok = leg
        elif name == "pelvic_obliquity":
            visok = v[b.L_HIP] & v[b.R_HIP]
        elif name == "trunk_lean_frontal":
            t = v[b.L_HIP] & v[b.R_HIP] & v[b.L_SH] & v[b.R_SH]
            visok = side(t, t)
        elif name == "trunk_lean_sagittal":
            visok = (v[b.L_SH] & v[b.L_HIP]) | (v[b.R_SH] & v[b.R_HIP])
        else:
            hip = side(v[b.L_SH] & v[b.L_HIP] & v[b.L_KNEE], v[b.R_SH] & v[b.R_HIP] & v[b.R_KNEE])
            visok = hip if name == "hip_flexion" else (hip[:, 0] | hip[:, 1])
        viewok = None
        if self._gating:
            sag = (view == View.SAGITTAL_LEFT) | (view == View.SAGITTAL_RIGHT)
            if name in ("knee_valgus", "pelvic_obliquity", "trunk_lean_frontal"):
                viewok = view == View.FRONTAL
            elif name == "trunk_lean_sagittal":
                viewok = sag
            elif name == "lumbar_extension" or not self._flex3d:
                viewok = sag | (view == View.LYING)
        val = self._values[name]
        nodet = self._nodet if val.ndim == 1 else self._nodet[:, None]
        if viewok is not None and val.ndim == 2:
            viewok = viewok[:, None]
        r = nodet * np.uint8(NanReason.NO_PERSON) | ~visok * np.uint8(NanReason.LOW_VISIBILITY)
        if viewok is not None:
            r = r | ~viewok * np.uint8(NanReason.WRONG_VIEW)
        r = np.broadcast_to(r, val.shape).astype(np.uint8)
        r |= (np.isnan(val) & (r == 0)) * np.uint8(NanReason.DEGENERATE)
        return r


@dataclass(frozen=True)
class Metrics:
    """All per-frame measures of one clip. float32 degrees; (T, 2) columns = (left, right).

    Fields:
        t_ms: int64 (T,)
        knee_valgus: (T, 2) FPPA, + = knee medial to the hip-ankle line (valgus).
        pelvic_obliquity: (T,) tilt of the left-hip->right-hip line from the image
            horizontal, + = the subject's left hip is lower than the right.
        hip_drop: (T, 2) obliquity relative to the quiet-stance baseline; column k is
            "stance leg = side k", + = pelvis drops on the side away from that stance leg.
        lumbar_extension: (T,) + = hips above the shoulder-knee line (arching).
        trunk_lean_frontal: (T, 2) column k = "stance leg = side k", + = trunk leans
            toward that stance side.
        trunk_lean_sagittal: (T,) + = trunk leans forward.
        knee_flexion, hip_flexion: (T, 2), 0 = straight; hip flexion + = thigh in front
            of the trunk.
        view: int8 (T,) View codes; view_confidence: float32 (T,) in [0, 1].
        nan_reason: mapping field name -> uint8 array of the field's shape, NanReason bit
            flags (0 = valid); computed lazily on first access. Empty if computed with
            ``reasons=False``. (``hip_drop`` shares the reasons of pelvic_obliquity.)
        baseline_obliquity: the obliquity baseline (deg) used for hip_drop.
        baseline_source: "given", "quiet_stance" (found in the clip) or "none_found"
            (no quiet stance: 0 was used, hip_drop is then raw obliquity).
        baseline_window: (start, stop) frames of the quiet stance used, or None.
        visibility_min, view_gating, flexion_3d: the options the metrics were computed with.

    For a clip (T >= 2) the float fields are C-contiguous views of two blocks (one for
    the (T, 2) fields, one for the (T,) fields) and ``view`` of a third, so keeping one
    field keeps its block alive; fields never overlap.
    """

    t_ms: np.ndarray
    knee_valgus: np.ndarray
    pelvic_obliquity: np.ndarray
    hip_drop: np.ndarray
    lumbar_extension: np.ndarray
    trunk_lean_frontal: np.ndarray
    trunk_lean_sagittal: np.ndarray
    knee_flexion: np.ndarray
    hip_flexion: np.ndarray
    view: np.ndarray
    view_confidence: np.ndarray
    nan_reason: Mapping[str, np.ndarray] = field(default_factory=dict)
    baseline_obliquity: float = 0.0
    baseline_source: str = "given"
    baseline_window: tuple[int, int] | None = None
    visibility_min: float = 0.5
    view_gating: bool = True
    flexion_3d: bool = False

    def __len__(self) -> int:
        return int(self.t_ms.shape[0])

    # ------------------------------------------------------------------ access
    def row(self, i: int) -> MetricsRow:
        """Frame ``i`` as a :class:`MetricsRow` of Python floats (cheap; for live use)."""
        kv, hd, lf = self.knee_valgus[i], self.hip_drop[i], self.trunk_lean_frontal[i]
        kf, hf = self.knee_flexion[i], self.hip_flexion[i]
        return MetricsRow(
            int(self.t_ms[i]), float(kv[0]), float(kv[1]), float(self.pelvic_obliquity[i]),
            float(hd[0]), float(hd[1]), float(self.lumbar_extension[i]), float(lf[0]),
            float(lf[1]), float(self.trunk_lean_sagittal[i]), float(kf[0]), float(kf[1]),
            float(hf[0]), float(hf[1]), View(int(self.view[i])),
            float(self.view_confidence[i]),
        )

    def explain_nan(self, name: str, i: int, side: int | None = None) -> str:
        """Why ``getattr(self, name)[i]`` (column ``side`` for (T, 2) fields) is NaN.

        ``hip_drop`` shares its reasons with ``pelvic_obliquity``. Returns "valid" for a
        finite value.
        """
        key = "pelvic_obliquity" if name == "hip_drop" else name
        if key not in self.nan_reason:
            raise KeyError(f"no NaN reasons for {name!r} (computed with reasons=False?)")
        r = self.nan_reason[key][i]
        if np.ndim(r) > 0:
            r = r[0 if side is None else side]
        return NanReason.explain(int(r))

    # ------------------------------------------------------------------ export
    def to_json_frames(self) -> dict[str, Any]:
        """Per-frame series for analysis.json: NaN -> None, floats rounded to 0.01."""

        def s(a: np.ndarray) -> list[float | None]:
            vals = np.round(np.asarray(a, dtype=np.float64), 2).tolist()
            return [None if v != v else v for v in vals]

        def lr(a: np.ndarray) -> dict[str, list[float | None]]:
            return {"left": s(a[:, 0]), "right": s(a[:, 1])}

        return {
            "knee_valgus_deg": lr(self.knee_valgus),
            "pelvic_obliquity_deg": s(self.pelvic_obliquity),
            "hip_drop_deg": lr(self.hip_drop),
            "lumbar_extension_deg": s(self.lumbar_extension),
            "trunk_lean_deg": {
                "frontal": lr(self.trunk_lean_frontal),
                "sagittal": s(self.trunk_lean_sagittal),
            },
            "knee_flexion_deg": lr(self.knee_flexion),
            "hip_flexion_deg": lr(self.hip_flexion),
            "view": [VIEW_NAMES[int(c)] for c in self.view.tolist()],
            "view_confidence": s(self.view_confidence),
        }

    CSV_HEADER = (
        "frame", "t_ms",
        "knee_valgus_left_deg", "knee_valgus_right_deg",
        "pelvic_obliquity_deg",
        "hip_drop_left_deg", "hip_drop_right_deg",
        "lumbar_extension_deg",
        "trunk_lean_frontal_left_deg", "trunk_lean_frontal_right_deg",
        "trunk_lean_sagittal_deg",
        "knee_flexion_left_deg", "knee_flexion_right_deg",
        "hip_flexion_left_deg", "hip_flexion_right_deg",
        "view", "view_confidence",
    )

    def csv_columns(self) -> tuple[list[str], np.ndarray]:
        """(header, rows float64 (T, 17)) for metrics.csv, one row per frame.

        ``view`` is the integer :class:`View` code; NaN stays NaN (write as empty cell).
        """
        n = len(self)
        cols = [
            np.arange(n, dtype=np.float64), self.t_ms.astype(np.float64),
            self.knee_valgus[:, 0], self.knee_valgus[:, 1], self.pelvic_obliquity,
            self.hip_drop[:, 0], self.hip_drop[:, 1], self.lumbar_extension,
            self.trunk_lean_frontal[:, 0], self.trunk_lean_frontal[:, 1],
            self.trunk_lean_sagittal, self.knee_flexion[:, 0], self.knee_flexion[:, 1],
            self.hip_flexion[:, 0], self.hip_flexion[:, 1], self.view, self.view_confidence,
        ]
        rows = np.empty((n, len(cols)), dtype=np.float64)
        for j, c in enumerate(cols):
            rows[:, j] = c
        return list(self.CSV_HEADER), rows


# ---------------------------------------------------------------------------- compute
def _xyzv_of(lm) -> np.ndarray:
    xyzv = lm.xyzv
    if xyzv.dtype != np.float32:
        xyzv = xyzv.astype(np.float32)
    return xyzv


def _run_all(lm, visibility_min: float, view_gating: bool, quiet: bool, reasons: bool,
             use_world: bool) -> dict[str, Any]:
    """Run the fused kernel over the clip in cache-sized chunks, writing straight into
    the clip's output arrays: (T,) / (T, 2) outputs, "vis" (8, T) bool."""
    xyzv = _xyzv_of(lm)
    world = lm.world if use_world else None
    t = xyzv.shape[0]
    # one allocation per shape: fewer, larger blocks fault in faster than a dozen
    # separate arrays (each field is a C-contiguous view of its block)
    two = np.empty((5, t, 2), np.float32)  # 5th: hip_drop, filled by compute_metrics
    one = np.empty((4, t), np.float32)
    byte = np.empty((3 + (b.N_VIS if reasons else 0), t), np.uint8)
    out: dict[str, Any] = {
        "knee_valgus": two[0], "trunk_lean_frontal": two[1], "knee_flexion": two[2],
        "hip_flexion": two[3], "hip_drop": two[4],
        "pelvic_obliquity": one[0], "trunk_lean_sagittal": one[1],
        "lumbar_extension": one[2], "view_confidence": one[3],
        "view": byte[0].view(np.int8),
    }
    if reasons:
        out["vis"] = byte[3:].view(np.bool_)
        out["nodet"] = byte[1].view(np.bool_)
    if quiet:
        out["quiet_ok"] = byte[2].view(np.bool_)
    chunk = max(1, min(CHUNK, t))
    gat = b.Gatherer(xyzv, chunk)
    with np.errstate(all="ignore"):
        for s in range(0, t, chunk):
            e = min(t, s + chunk)
            # (T, 2) outputs are written through their transposed (2, n) views
            dst = {k: (a[:, s:e] if k == "vis" else a[s:e].T if a.ndim == 2 else a[s:e])
                   for k, a in out.items() if k != "hip_drop"}
            _kernel(gat(s, e), visibility_min, view_gating,
                    None if world is None else b.gather_world(world, s, e), quiet, reasons,
                    dst)
    return out


def _window_all(q: np.ndarray, w: int) -> np.ndarray:
    """bool (n - w + 1,): ``out[i] = q[i:i + w].all()`` for bool q (n,), 1 <= w <= n.

    Doubling: after k steps ``m[i]`` covers 2**k frames; two overlapping spans cover w.
    """
    m, span = q, 1
    while span * 2 <= w:
        m = m[:-span] & m[span:]
        span *= 2
    if span == w:
        return m
    return m[:m.shape[0] - (w - span)] & m[w - span:]


def _frame_step(t_ms: np.ndarray) -> float:
    """Median frame interval (ms); no sort needed when the intervals are all equal."""
    d = np.diff(t_ms)
    if d.min() == d.max():
        return float(d[0])
    return float(np.median(d))


def _quiet_window(obliq: np.ndarray, quiet_ok: np.ndarray, sig: Any,
                  leg_len: Any, t_ms: np.ndarray, min_duration_ms: float,
                  still_tol: float) -> tuple[int, int] | None:
    """Stillest window of ``min_duration_ms`` where every frame is a quiet two-foot stance.

    Motion = the largest standard deviation, over the window, of mid-hip and knee
    positions (px), divided by the window's mean hip-ankle length. Vectorised with
    cumulative sums. ``sig``: float32 (6, T) positions (see
    :func:`hipform.core.kinematics.quiet_signal`) and ``leg_len``: float32 (T,) mean
    hip-ankle length (px), or callables returning them (only called when some window
    qualifies).
    """
    n = obliq.shape[0]
    if n < 2:
        return None
    dt = _frame_step(t_ms)
    if not dt > 0:
        return None
    w = max(2, int(round(min_duration_ms / dt)))
    if n < w:
        return None
    full = _window_all(quiet_ok, w)
    if not full.any():
        return None
    if callable(sig):
        sig = sig()
    if callable(leg_len):
        leg_len = leg_len()
    sig = np.where(quiet_ok, sig, 0.0).astype(np.float64)
    sig -= sig.sum(axis=1, keepdims=True) / max(1, int(np.count_nonzero(quiet_ok)))
    zero = np.zeros((sig.shape[0], 1))
    c1 = np.concatenate((zero, np.cumsum(sig, axis=1)), axis=1)
    c2 = np.concatenate((zero, np.cumsum(sig * sig, axis=1)), axis=1)
    m1 = (c1[:, w:] - c1[:, :-w]) / w
    m2 = (c2[:, w:] - c2[:, :-w]) / w
    std = np.sqrt(np.maximum(m2 - m1 * m1, 0.0)).max(axis=0)
    ll = np.where(quiet_ok, leg_len, 0.0).astype(np.float64)
    cl = np.concatenate(([0.0], np.cumsum(ll)))
    mean_ll = (cl[w:] - cl[:-w]) / w
    motion = np.where(full & (mean_ll > 0), std / np.where(mean_ll > 0, mean_ll, 1.0), np.inf)
    i = int(np.argmin(motion))
    if not motion[i] <= still_tol:
        return None
    return i, i + w


def find_quiet_stance_baseline(lm, *, visibility_min: float = 0.5,
                               min_duration_ms: float = 500.0,
                               still_tol: float = 0.02) -> float:
    """Pelvic obliquity baseline (degrees) from the stillest quiet two-foot stance.

    A frame qualifies when the view is FRONTAL, hips/knees/ankles are visible, both
    ankles are level (height difference < 5 % of the hip-ankle length) and both knees
    are near straight in the image (< 15 deg). The baseline is the median obliquity over
    the stillest run of ``min_duration_ms`` qualifying frames whose mid-hip and knee
    positions move less than ``still_tol`` hip-ankle lengths (standard deviation).

    Args:
        lm: Landmarks (pixels; ``t_ms`` gives the frame rate).
    Returns:
        float degrees, NaN if the clip has no such period (e.g. T = 1 in live use).
    """
    return _baseline(lm, visibility_min, min_duration_ms, still_tol)[0]


def find_quiet_stance(lm, *, visibility_min: float = 0.5, min_duration_ms: float = 500.0,
                      still_tol: float = 0.02) -> tuple[float, tuple[int, int] | None]:
    """Like :func:`find_quiet_stance_baseline`, also returning the frames used.

    Returns:
        (baseline degrees or NaN, (start, stop) frame window or None).
    """
    return _baseline(lm, visibility_min, min_duration_ms, still_tol)


def _baseline(lm, visibility_min, min_duration_ms=500.0, still_tol=0.02, o=None):
    if len(lm) < 2:
        return math.nan, None
    if o is None:
        o = _run_all(lm, visibility_min, True, True, False, False)
    win = _quiet_window(o["pelvic_obliquity"], o["quiet_ok"],
                        lambda: quiet_signal(_xyzv_of(lm)),
                        lambda: quiet_leg_len(_xyzv_of(lm)), lm.t_ms, min_duration_ms,
                        still_tol)
    if win is None:
        return math.nan, None
    return float(np.nanmedian(o["pelvic_obliquity"][win[0]:win[1]])), win


def compute_metrics(lm, *, baseline_obliquity: float | None = None,
                    visibility_min: float = 0.5, view_gating: bool = True,
                    use_world: bool = True, reasons: bool = True) -> Metrics:
    """Every per-frame measure of a clip (or of one live frame, T = 1).

    Args:
        lm: :class:`hipform.landmarks.Landmarks`, x/y in pixels.
        baseline_obliquity: quiet-stance pelvic obliquity (deg) for ``hip_drop``. None ->
            :func:`find_quiet_stance_baseline` on this clip; if none is found 0 is used
            and ``baseline_source`` says "none_found". Live use passes the value it set.
        visibility_min: landmarks with visibility below this count as missing.
        view_gating: True (default) -> a measure is NaN (reason WRONG_VIEW) in frames
            whose view does not support it (valgus, obliquity, hip drop, frontal lean:
            FRONTAL; sagittal lean: SAGITTAL_*; lumbar extension and 2-D flexion:
            SAGITTAL_* or LYING). False -> raw geometry in every view.
        use_world: compute knee/hip flexion in 3-D from ``lm.world`` when present
            (valid in any view); else 2-D from pixels.
        reasons: fill ``Metrics.nan_reason`` (a little extra work per frame).
    Returns:
        :class:`Metrics` (all arrays new; ``lm`` is not modified).
    """
    use_world = bool(use_world and lm.world is not None)
    if len(lm) == 1:
        return _compute_row(lm, baseline_obliquity, visibility_min, view_gating, use_world,
                            reasons)
    need_base = baseline_obliquity is None and len(lm) >= 2
    o = _run_all(lm, visibility_min, view_gating, need_base, reasons, use_world)
    window = None
    if baseline_obliquity is not None:
        base, source = float(baseline_obliquity), "given"
    else:
        base, window = _baseline(lm, visibility_min, o=o) if need_base else (math.nan, None)
        source = "quiet_stance"
        if not math.isfinite(base):
            base, source = 0.0, "none_found"
    obl = o["pelvic_obliquity"]
    hd = o["hip_drop"]
    np.subtract(obl, np.float32(base), out=hd[:, 1])
    np.negative(hd[:, 1], out=hd[:, 0])
    f2 = {k: o[k] for k in _FIELDS_2 if k != "hip_drop"}
    nr: Mapping[str, np.ndarray] = {}
    if reasons:
        values = {k: f2[k] if k in f2 else o[k] for k in REASON_FIELDS}
        nr = LazyReasons(values, o["vis"], o["nodet"], o["view"], view_gating, use_world)
    return Metrics(
        t_ms=np.array(lm.t_ms, dtype=np.int64),
        knee_valgus=f2["knee_valgus"],
        pelvic_obliquity=obl,
        hip_drop=hd,
        lumbar_extension=o["lumbar_extension"],
        trunk_lean_frontal=f2["trunk_lean_frontal"],
        trunk_lean_sagittal=o["trunk_lean_sagittal"],
        knee_flexion=f2["knee_flexion"],
        hip_flexion=f2["hip_flexion"],
        view=o["view"],
        view_confidence=o["view_confidence"],
        nan_reason=nr,
        baseline_obliquity=float(base),
        baseline_source=source,
        baseline_window=window,
        visibility_min=float(visibility_min),
        view_gating=bool(view_gating),
        flexion_3d=use_world,
    )


_F32 = np.float32
_U8 = np.uint8


def _compute_row(lm, baseline_obliquity, visibility_min, view_gating, use_world, reasons):
    """compute_metrics for T = 1 via the pure-Python kernel (tens of microseconds).

    All float fields are views into one float32 buffer, all reason arrays into one uint8
    buffer (one allocation each instead of ~18).
    """
    o = _kernel_row(lm.xyzv[0].tolist(), visibility_min, view_gating,
                    lm.world[0].tolist() if use_world else None, reasons)
    if baseline_obliquity is None:
        base, source = 0.0, "none_found"
    else:
        base, source = float(baseline_obliquity), "given"
    obl = o["pelvic_obliquity"]
    rel = obl - float(np.float32(base))
    kv, lf, kf, hf = o["knee_valgus"], o["trunk_lean_frontal"], o["knee_flexion"], \
        o["hip_flexion"]
    buf = np.array((kv[0], kv[1], obl, -rel, rel, o["lumbar_extension"], lf[0], lf[1],
                    o["trunk_lean_sagittal"], kf[0], kf[1], hf[0], hf[1],
                    o["view_confidence"]), _F32)
    nr = o.get("nan_reason")
    if nr:
        r = np.array((*nr["knee_valgus"], nr["pelvic_obliquity"],
                      *nr["trunk_lean_frontal"], nr["trunk_lean_sagittal"],
                      *nr["knee_flexion"], *nr["hip_flexion"], nr["lumbar_extension"]), _U8)
        nr = {"knee_valgus": r[0:2].reshape(1, 2), "pelvic_obliquity": r[2:3],
              "trunk_lean_frontal": r[3:5].reshape(1, 2), "trunk_lean_sagittal": r[5:6],
              "knee_flexion": r[6:8].reshape(1, 2), "hip_flexion": r[8:10].reshape(1, 2),
              "lumbar_extension": r[10:11]}
    return Metrics(
        t_ms=lm.t_ms.copy(),
        knee_valgus=buf[0:2].reshape(1, 2),
        pelvic_obliquity=buf[2:3],
        hip_drop=buf[3:5].reshape(1, 2),
        lumbar_extension=buf[5:6],
        trunk_lean_frontal=buf[6:8].reshape(1, 2),
        trunk_lean_sagittal=buf[8:9],
        knee_flexion=buf[9:11].reshape(1, 2),
        hip_flexion=buf[11:13].reshape(1, 2),
        view=np.array((o["view"],), np.int8),
        view_confidence=buf[13:14],
        nan_reason=nr or {},
        baseline_obliquity=base,
        baseline_source=source,
        baseline_window=None,
        visibility_min=float(visibility_min),
        view_gating=bool(view_gating),
        flexion_3d=use_world,
    )
