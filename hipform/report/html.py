"""Self-contained HTML report of one analysed clip.

One file, no network: inline CSS, plots as inline SVG (:mod:`hipform.report.svgplot`,
no matplotlib), thumbnails embedded as base64 ``data:`` URIs, no scripts, no external
fonts. Written atomically (temporary file + rename), so a reader never sees half a report.

Sections: summary cards, per-frame plots of each measure (threshold bands, reps shaded),
a rep table (timing, peaks coloured by severity, faults, rubric), the worst moment of
each fault (thumbnails supplied by the caller), the cues given, and, when ``history`` is
given, this session against the previous ones (re-test verdicts and a trend plot).
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hipform.errors import OutputError
from hipform.util import finite_float as _num
from hipform.util import write_text_replacing

__all__ = ["build_html", "render_live_report", "render_report", "worst_faults"]

EXERCISE_NAMES = {
    "bridge": "Bridge",
    "step_down": "Step-down",
    "single_leg_squat": "Single-leg squat",
}
FAULT_NAMES = {
    "knee_valgus": "Knee caving in (valgus)",
    "hip_drop": "Hip drop",
    "hip_hike": "Hip hike",
    "lumbar_extension": "Lower-back arching",
    "lumbar_arch": "Lower-back arching",
    "pelvic_tilt": "Pelvic tilt",
    "trunk_lean": "Trunk lean",
    "knee_medial": "Knee inside the foot",
    "knee_cave": "Knees falling in",
    "knee_drift": "Knees drifting out",
    "unsteady": "Unsteady stance",
    "arm_strategy": "Arms used for balance",
    "fast_descent": "Lowering too fast",
    "short_hold": "Hold too short",
    "insufficient_depth": "Not deep enough",
    "incomplete_extension": "Hips not fully up",
    "face_camera": "Face the camera",
}
#: Units of a fault's ``value`` by code; codes not listed have no shown value.
FAULT_UNITS = {
    **dict.fromkeys(("knee_valgus", "hip_drop", "hip_hike", "lumbar_extension", "lumbar_arch",
                     "pelvic_tilt", "trunk_lean", "insufficient_depth",
                     "incomplete_extension"), "°"),
    **dict.fromkeys(("fast_descent", "short_hold"), " s"),
}
# (frames key, title, sub-key, thresholds key, explanation)
_PLOTS: list[tuple[str, str, str | None, str | None, str]] = [
    ("knee_valgus_deg", "Knee valgus", None, "knee_valgus_deg",
     "Frontal-plane projection angle; + = knee moves inward of the hip-ankle line."),
    ("hip_drop_deg", "Hip drop", None, "hip_drop_deg",
     "Pelvic tilt from quiet stance, by stance leg; + = pelvis drops on the other side."),
    ("lumbar_extension_deg", "Lumbar arching", None, "lumbar_extension_deg",
     "How far the hips pass the shoulder-knee line; + = arching the lower back."),
    ("trunk_lean_deg", "Trunk lean, frontal", "frontal", "trunk_lean_deg",
     "Trunk from vertical, by stance leg; + = leaning toward the stance side."),
    ("trunk_lean_deg", "Trunk lean, sagittal", "sagittal", None,
     "Trunk from vertical seen from the side; + = leaning forward."),
    ("knee_flexion_deg", "Knee flexion (depth)", None, None,
     "0 = straight knee. Drives rep detection in standing exercises."),
]
# rep key -> (column title, thresholds key)
_REP_MEASURES = [
    ("peak_knee_valgus", "Knee valgus", "knee_valgus_deg"),
    ("peak_hip_drop", "Hip drop", "hip_drop_deg"),
    ("peak_lumbar_extension", "Lumbar arching", "lumbar_extension_deg"),
    ("trunk_lean", "Trunk lean", "trunk_lean_deg"),
    ("peak_knee_flexion", "Depth", None),
]
_SIDE_SHORT = {"left": "L", "right": "R", "both": ""}
_FAULT_SHORT = {
    "knee_valgus": "Knee valgus",
    "hip_drop": "Hip drop",
    "lumbar_extension": "Back arching",
    "lumbar_arch": "Back arching",
    "trunk_lean": "Trunk lean",
    "knee_medial": "Knee inside foot",
    "fast_descent": "Too fast",
    "insufficient_depth": "Too shallow",
    "incomplete_extension": "Hips low",
    "arm_strategy": "Arms",
}


# --------------------------------------------------------------------------- helpers

def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _deg(x: Any, digits: int = 1) -> str:
    f = _num(x)
    return "–" if f is None else f"{f:.{digits}f}°"


def _fault_name(code: Any) -> str:
    c = str(code or "fault").lower()
    return FAULT_NAMES.get(c, c.replace("_", " ").capitalize())


def _fault_value(code: Any, value: Any) -> str:
    """A fault's value with its unit, or "" when the unit is not known."""
    unit = FAULT_UNITS.get(str(code or "").lower())
    v = _num(value)
    if unit is None or v is None:
        return ""
    return f"{v:.1f}{unit}"


def _fault_short(code: Any) -> str:
    c = str(code or "fault").lower()
    return _FAULT_SHORT.get(c, _fault_name(c))


def _sev_class(severity: Any) -> str:
    """CSS severity class of a fault's ``severity`` text: ``severe`` or ``flag``."""
    sev = str(severity or "").lower()
    return "severe" if sev in ("severe", "high", "major", "poor", "bad") else "flag"


def _severity(value: float | None, thr: Mapping[str, Any] | None) -> str:
    """``"ok"``, ``"flag"`` or ``"severe"`` for a value against ``{"flag", "severe"}``."""
    if value is None or not thr:
        return "none"
    severe, flag = _num(thr.get("severe")), _num(thr.get("flag"))
    if severe is not None and value >= severe:
        return "severe"
    if flag is not None and value >= flag:
        return "flag"
    return "ok"


def _data_uri(data: bytes, *, what: str) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        mime = "image/png"
    elif data[:3] == b"\xff\xd8\xff":
        mime = "image/jpeg"
    else:
        raise ValueError(f"thumbnail {what!r} is neither a PNG nor a JPEG image")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _when(s: Any) -> str:
    if not s:
        return "–"
    text = str(s)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return dt.strftime("%d %b %Y, %H:%M")


def _values(v: Any) -> dict[str, float | None]:
    """A rep measure as ``{side: value}`` (a single number -> ``{"": value}``)."""
    if isinstance(v, dict):
        if not set(v) <= {"left", "right"}:
            v = v.get("frontal")
            if not isinstance(v, dict):
                return {"": _num(v)}
        return {s: _num(v.get(s)) for s in ("left", "right") if s in v}
    return {"": _num(v)}


# --------------------------------------------------------------------------- sections

def _key_points(
    a: Mapping[str, Any], history: Sequence[Mapping[str, Any]] | None
) -> str:
    """Two to four plain-language sentences: the main fault, clean reps, and progress."""
    reps = a.get("reps") or []
    points: list[tuple[str, str]] = []  # (severity class, html)
    if reps:
        counts: dict[tuple[str, str], int] = {}
        for r in reps:
            for key in {(str(f.get("code")), str(f.get("side") or "")) for f in
                        r.get("faults") or []}:
                counts[key] = counts.get(key, 0) + 1
        worst = {(w["code"], w["side"] or ""): w for w in _worst_faults(a)}
        order = {k: i for i, k in enumerate(worst)}  # worst_faults order: severity, value
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))
        for (code, side), n in ranked[:2]:
            w = worst[(code, side)]
            where = f" ({_e(side)})" if side else ""
            val = _fault_value(code, w["value"])
            worst_txt = f"worst {val} in rep {w['rep']}" if val else f"worst in rep {w['rep']}"
            points.append((
                _sev_class(w["severity"]),
                f"<b>{_e(_fault_name(code))}</b>{where} in {n} of {len(reps)} reps; "
                f"{worst_txt}.",
            ))
        clean = sum(1 for r in reps if not r.get("faults"))
        if clean == len(reps):
            points.append(("ok", f"All {len(reps)} reps were clean: no fault crossed its "
                           "threshold."))
        elif clean:
            points.append(("ok", f"{clean} of {len(reps)} reps were clean."))
    elif a.get("exercise"):
        points.append(("none", "No repetitions were counted: check that the whole body is in "
                       "view and the movement is complete."))
    prev = [h for h in history or [] if a.get("id") is None or h.get("id") != a.get("id")]
    if prev:
        from hipform.report.progress import MEASURE_LABELS, compare_sessions

        changes = [c for c in compare_sessions(prev[0], a) if c.real]
        for c in changes[:2]:
            side = "" if c.side == "both" else f" ({_e(c.side)})"
            cls = "ok" if c.verdict == "improved" else "severe"
            points.append((cls, f"<b>{_e(MEASURE_LABELS.get(c.measure, c.measure))}</b>{side} "
                           f"{_e(c.verdict)} by {abs(c.delta or 0):.1f}° since your first "
                           f"session, more than the {c.sdd:g}° measurement error."))
        if not changes:
            points.append(("none", f"No change since your first session ({len(prev)} earlier) "
                           "is larger than the measurement error yet."))
    if not points:
        return ""
    items = "".join(f'<li class="sev-{cls}">{html_}</li>' for cls, html_ in points)
    return f'<section class="key"><h2>Key points</h2><ul>{items}</ul></section>'


def _cards(a: Mapping[str, Any]) -> str:
    summary = a.get("summary") or {}
    reps = a.get("reps") or []
    thr = a.get("thresholds") or {}
    cards: list[tuple[str, str, str, str]] = []  # (label, value, note, severity)
    n_reps = summary.get("reps", len(reps))
    cards.append(("Reps", _e(n_reps), "counted", "none"))
    n_faulty = sum(1 for r in reps if r.get("faults"))
    if reps:
        sev = "ok" if n_faulty == 0 else ("severe" if n_faulty > len(reps) / 2 else "flag")
        cards.append(("Reps with a fault", f"{n_faulty} / {len(reps)}",
                      f"{len(reps) - n_faulty} clean", sev))
    for key, label, tkey in _REP_MEASURES[:3]:
        peaks = [v for r in reps if key in r for v in _values(r[key]).values() if v is not None]
        if peaks:
            worst = max(peaks)
            cards.append((f"Worst {label.lower()}", _deg(worst), "peak over all reps",
                          _severity(worst, thr.get(tkey))))
    if "faults_per_rep" in summary and _num(summary["faults_per_rep"]) is not None:
        fpr = _num(summary["faults_per_rep"])
        cards.append(("Faults per rep", f"{fpr:.2f}", "mean", "none"))
    rub = summary.get("rubric")
    if isinstance(rub, dict) and rub.get("total") is not None:
        grade = f" ({rub['grade']})" if rub.get("grade") else ""
        cards.append(("Rubric score", _e(rub["total"]) + f"<small>{_e(grade)}</small>",
                      _rubric_note(a), _grade_class(rub.get("grade"))))
    elif summary.get("rubric_total") is not None:
        cards.append(("Rubric score", _e(summary["rubric_total"]), _rubric_note(a), "none"))
    tempo = summary.get("tempo")
    if isinstance(tempo, dict) and _num(tempo.get("eccentric_s")) is not None:
        down, up = _num(tempo.get("eccentric_s")), _num(tempo.get("concentric_s"))
        target: dict[str, Any] = (tempo["target"] if isinstance(tempo.get("target"), dict)
                                  else {})
        t_down, t_up = _num(target.get("eccentric_s")), _num(target.get("concentric_s"))
        note = (f"target {t_down:g} / {t_up:g} s" if t_down is not None and t_up is not None
                else "mean, down / up")
        slow = t_down is None or (down or 0) >= 0.75 * t_down
        cards.append(("Tempo down / up", f"{down:.1f} / {up or 0:.1f}<small> s</small>", note,
                      "ok" if slow else "flag"))
    src = a.get("source") or {}
    frames = a.get("frames") or {}
    det = frames.get("detected")
    if isinstance(det, list) and det:
        pct = 100.0 * sum(1 for d in det if d) / len(det)
        cards.append(("Person tracked", f"{pct:.0f}%", "of frames",
                      "ok" if pct >= 90 else ("flag" if pct >= 70 else "severe")))
    elif src.get("frames_lost"):
        cards.append(("Frames lost", _e(src.get("frames_lost")), "decode errors", "flag"))
    out = ['<section class="cards">']
    for label, value, note, sev in cards:
        out.append(
            f'<div class="card sev-{sev}"><div class="card-label">{_e(label)}</div>'
            f'<div class="card-value">{value}</div><div class="card-note">{_e(note)}</div></div>'
        )
    out.append("</section>")
    return "".join(out)


def _grade_class(grade: Any) -> str:
    g = str(grade or "").lower()
    return {"good": "ok", "medium": "flag", "poor": "severe"}.get(g, "none")


def _rubric_note(a: Mapping[str, Any]) -> str:
    ex = a.get("exercise")
    if ex == "step_down":
        return "Piva 2006: 0–1 good, 2–3 medium, ≥4 poor"
    if ex == "single_leg_squat":
        return "Crossley 2011; lower is better"
    return "lower is better"


def _plots(a: Mapping[str, Any]) -> str:
    frames = a.get("frames") or {}
    t_ms = frames.get("t_ms") or []
    if not t_ms:
        return ""
    from hipform.report.svgplot import measure_svg

    t_s = [(_num(t) or 0.0) / 1000.0 for t in t_ms]
    reps = [((_num(r.get("start_ms")) or 0) / 1000, (_num(r.get("end_ms")) or 0) / 1000)
            for r in a.get("reps") or [] if r.get("start_ms") is not None
            and r.get("end_ms") is not None]
    thresholds = a.get("thresholds") or {}
    figs = []
    for key, title, sub, tkey, note in _PLOTS:
        raw = frames.get(key)
        if isinstance(raw, dict) and sub is not None:
            raw = raw.get(sub)
        if raw is None:
            continue
        series = raw if isinstance(raw, dict) else {"both": raw}
        series = {k: v for k, v in series.items()
                  if isinstance(v, list) and len(v) == len(t_s)
                  and any(_num(x) is not None for x in v)}
        if not series:
            continue
        thr = thresholds.get(tkey) or {} if tkey else {}
        flag, severe = _num(thr.get("flag")), _num(thr.get("severe"))
        svg = measure_svg(t_s, series, title=title, flag=flag, severe=severe, reps=reps)
        bands = []
        if _num(thr.get("flag")) is not None:
            bands.append(f'<span class="chip sev-flag">flag ≥ {_deg(thr["flag"], 0)}</span>')
        if _num(thr.get("severe")) is not None:
            bands.append(f'<span class="chip sev-severe">severe ≥ {_deg(thr["severe"], 0)}'
                         "</span>")
        figs.append(f'<figure class="plot">{svg}<figcaption>{_e(note)} '
                    f'{"".join(bands)}</figcaption></figure>')
    if not figs:
        return ""
    return ('<section id="plots"><h2>Through the clip</h2><p class="muted">Grey bands are '
            "repetitions. Lines break where the person was not tracked.</p>"
            + "".join(figs) + "</section>")


def _td(label: str, content: str, cls: str = "") -> str:
    """A table cell carrying its column title (shown before the value on phones)."""
    c = f" class='{cls}'" if cls else ""
    return f"<td data-label='{_e(label)}'{c}><span class='v'>{content}</span></td>"


def _rep_table(a: Mapping[str, Any]) -> str:
    reps = a.get("reps") or []
    if not reps:
        return ('<section id="reps"><h2>Repetitions</h2><p class="muted">No repetitions '
                "were detected in this clip.</p></section>")
    thr = a.get("thresholds") or {}
    cols = [(k, t, tk) for k, t, tk in _REP_MEASURES
            if any(v is not None for r in reps for v in _values(r.get(k)).values())]
    has_rubric = any(isinstance(r.get("rubric"), dict) for r in reps)
    head = ["Rep", "Time"] + [t for _, t, _ in cols] + ["Faults"]
    if has_rubric:
        head.append("Rubric")
    rows = []
    for n, r in enumerate(reps):
        idx = r.get("index")
        num = (idx + 1) if isinstance(idx, int) else n + 1
        start = _num(r.get("start_ms"))
        end = _num(r.get("end_ms"))
        when = (f"{start / 1000:.1f}–{end / 1000:.1f} s" if start is not None
                and end is not None else "–")
        tempo = " / ".join(
            "–" if _num(r.get(k)) is None else f"{_num(r.get(k)):.1f}"
            for k in ("eccentric_s", "hold_s", "concentric_s"))
        time_cell = (f"<span class='nowrap'>{when}</span><div class='sub nowrap' "
                     f"title='seconds down / hold / up'>{tempo} s</div>")
        cells = [_td("Rep", f"<b>{num}</b>", "num rep"), _td("Time", time_cell)]
        for key, title, tkey in cols:
            vals = _values(r.get(key))
            parts = []
            for side, v in vals.items():
                sev = _severity(v, thr.get(tkey))
                lab = f'<small>{_SIDE_SHORT.get(side, "")}</small> ' if side else ""
                parts.append(f'<span class="val sev-{sev}">{lab}{_deg(v)}</span>')
            cells.append(_td(title, " ".join(parts) or "–"))
        chips = [
            f'<span class="chip sev-{_sev_class(f.get("severity"))}">'
            f'{_e(_fault_short(f.get("code")))}'
            f'{" · " + _e(_SIDE_SHORT.get(f.get("side"), f.get("side"))) if f.get("side") else ""}'
            "</span>"
            for f in r.get("faults") or []
        ]
        clean = '<span class="chip sev-ok">clean</span>'
        cells.append(_td("Faults", "".join(chips) or clean, "faults"))
        if has_rubric:
            cells.append(_td("Rubric", _rubric_cell(r.get("rubric"))))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<section id="reps"><h2>Repetitions</h2><p class="muted">Peak value of each measure '
        "in each rep, coloured against the thresholds. Time shows the rep and, below it, "
        "seconds down / hold / up.</p><div class='table-wrap'><table class='stack'>"
        "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div></section>"
    )


def _rubric_cell(rub: Any) -> str:
    if not isinstance(rub, dict):
        return "–" if rub is None else _e(rub)
    total = rub.get("total")
    items = [f"{_e(k)} {_e(v)}" for k, v in rub.items() if k != "total"]
    head = f"<b>{_e(total)}</b>" if total is not None else ""
    return f'{head}<div class="rubric">{" · ".join(items)}</div>'


#: Faults whose value gets *worse as it gets smaller* (durations: lowering too fast,
#: holding too briefly).
LOWER_IS_WORSE = frozenset({"fast_descent", "short_hold"})
_SEV_RANK = {"severe": 2, "flag": 1}


def worst_faults(analysis: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The worst occurrence of each fault (code, side) over all reps.

    Worst = highest severity, then the largest value (the smallest for
    :data:`LOWER_IS_WORSE` codes); ties keep the earliest rep. The integrator should pick
    thumbnail frames with this same rule (at ``t_ms``), so frame and caption agree.

    Returns:
        dicts ``{code, side, value, severity, rep (1-based), t_ms}`` (``t_ms`` = the
        fault's own ``t_ms`` if given, else the rep's ``bottom_ms``), most severe first.
    """
    def score(sev: Any, code: str, v: float | None) -> tuple[int, float]:
        x = -math.inf if v is None else (-v if code in LOWER_IS_WORSE else v)
        return _SEV_RANK[_sev_class(sev)], x

    worst: dict[tuple[str, str], dict[str, Any]] = {}
    for n, r in enumerate(analysis.get("reps") or []):
        for f in r.get("faults") or []:
            key = (str(f.get("code")), str(f.get("side") or ""))
            v = _num(f.get("value"))
            cur = worst.get(key)
            if cur is None or score(f.get("severity"), key[0], v) > cur["_score"]:
                idx = r.get("index")
                t = _num(f.get("t_ms"))
                worst[key] = {
                    "code": key[0], "side": key[1] or None, "value": v,
                    "severity": f.get("severity") or "flag",
                    "rep": (idx + 1) if isinstance(idx, int) else n + 1,
                    "t_ms": t if t is not None else _num(r.get("bottom_ms")),
                    "_score": score(f.get("severity"), key[0], v),
                }
    ranked = sorted(worst.values(), key=lambda w: w["_score"], reverse=True)
    return [{k: v for k, v in w.items() if k != "_score"} for w in ranked]


_worst_faults = worst_faults


def _thumb_for(thumbs: Mapping[str, bytes], code: str, side: str | None) -> str | None:
    sided = [f"{code}/{side}", f"{code}:{side}", f"{code}_{side}"] if side else []
    for k in [*sided, code, f"{code}:", f"{code}/"]:
        if k in thumbs:
            return k
    return None


def _worst_moments(a: Mapping[str, Any], thumbs: Mapping[str, bytes] | None) -> str:
    thumbs = thumbs or {}
    worst = _worst_faults(a)
    if not worst and not thumbs:
        return ""
    used: set[str] = set()
    items = []
    for w in worst:
        key = _thumb_for(thumbs, w["code"], w["side"])
        img = ""
        if key is not None:
            used.add(key)
            img = (f'<img alt="{_e(_fault_name(w["code"]))} at its worst" '
                   f'src="{_data_uri(thumbs[key], what=key)}">')
        else:
            img = '<div class="noimg">no frame</div>'
        at = f" at {w['t_ms'] / 1000:.1f} s" if w["t_ms"] is not None else ""
        side = f" · {_e(w['side'])}" if w["side"] else ""
        sev = _sev_class(w["severity"])
        val = _fault_value(w["code"], w["value"])
        chip = f'<span class="val sev-{sev}">{val}</span> ' if val else ""
        items.append(
            f'<figure class="moment sev-{sev}">{img}<figcaption>'
            f'<b>{_e(_fault_name(w["code"]))}</b>{side}<br>{chip}'
            f'{_e(w["severity"])} · rep {w["rep"]}{at}</figcaption></figure>'
        )
    for key, data in thumbs.items():
        if key not in used:
            items.append(f'<figure class="moment"><img alt="{_e(key)}" '
                         f'src="{_data_uri(data, what=key)}"><figcaption>{_e(key)}'
                         "</figcaption></figure>")
    if not items:
        return ""
    return ('<section id="moments"><h2>Worst moments</h2><p class="muted">The frame where each '
            "fault was largest.</p><div class='moments'>" + "".join(items) + "</div></section>")


def _cues(a: Mapping[str, Any]) -> str:
    cues = a.get("cues") or []
    if not cues:
        return ('<section id="cues"><h2>Cues</h2><p class="muted">No cues were needed.</p>'
                "</section>")
    rows = []
    for c in cues:
        t = _num(c.get("t_ms"))
        when = f"{t / 1000:.1f} s" if t is not None else "–"
        msg = c.get("message") or _fault_name(c.get("code"))
        meta = [_e(_fault_name(c.get("code")))]
        if c.get("side"):
            meta.append(_e(c.get("side")))
        val = _fault_value(c.get("code"), c.get("value"))
        if val:
            meta.append(val)
        rows.append(f"<li><span class='t'>{when}</span><span class='msg'>{_e(msg)}</span>"
                    f"<span class='cue-meta'>{' · '.join(meta)}</span></li>")
    return (f'<section id="cues"><h2>Cues given ({len(cues)})</h2><ul class="cues">'
            + "".join(rows) + "</ul></section>")


def _history(a: Mapping[str, Any], history: Sequence[Mapping[str, Any]] | None) -> str:
    from hipform.report.progress import (
        DEFAULT_SDD,
        MEASURE_LABELS,
        NO_DATA,
        compare_measures,
        session_measures,
    )

    prev = [h for h in history or [] if a.get("id") is None or h.get("id") != a.get("id")]
    if not prev:
        return ""

    def measures(s: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
        if "measures" in s and "reps" not in s:
            return dict(s["measures"])
        return session_measures(dict(s))

    now = measures(a)
    first, last = measures(prev[0]), measures(prev[-1])
    vs_prev = {(c.measure, c.side): c for c in compare_measures(last, now)}
    vs_first = {(c.measure, c.side): c for c in compare_measures(first, now)}
    rows = []
    for key, c in vs_prev.items():
        if c.after is None:  # measured before but not in this session
            continue
        f = vs_first[key]  # every measure/side of this session is in both comparisons
        side = "" if key[1] == "both" else f" <small>{_e(key[1])}</small>"
        rows.append(
            "<tr>" + _td("Measure", f"<b>{_e(MEASURE_LABELS.get(key[0], key[0]))}</b>{side}")
            + _td("First", _deg(f.before), "num") + _td("Previous", _deg(c.before), "num")
            + _td("This session", f"<b>{_deg(c.after)}</b>", "num")
            + _td("vs previous", _verdict(c, NO_DATA)) + _td("vs first", _verdict(f, NO_DATA))
            + "</tr>"
        )
    table = ""
    if rows:
        table = (
            "<div class='table-wrap'><table class='stack'><thead><tr><th>Measure</th>"
            "<th>First</th><th>Previous</th><th>This session</th><th>vs previous</th>"
            "<th>vs first</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
        )
    trend = [
        {"recorded_at": h.get("recorded_at") or h.get("created"), "measures": measures(h)}
        for h in prev
    ] + [{"recorded_at": a.get("recorded_at") or a.get("created"), "measures": now}]
    from hipform.report.svgplot import trend_svg

    svgs = [trend_svg(trend, sdd=DEFAULT_SDD, labels=MEASURE_LABELS, measures=[m])
            for m in [m for m in MEASURE_LABELS if m in now]
            + [m for m in now if m not in MEASURE_LABELS]]
    fig = ""
    if svgs:
        fig = ("<figure class='plot'><div class='grid2'>" + "".join(svgs) + "</div>"
               "<figcaption>Mean per-rep peak per session, the last point is this session. "
               "The shaded band is the first session ± the smallest detectable difference: "
               "points inside it are within measurement error of the first session."
               "</figcaption></figure>")
    sdd_note = ", ".join(f"{MEASURE_LABELS[m].lower()} {v:g}°" for m, v in DEFAULT_SDD.items())
    return (
        f'<section id="history"><h2>Compared with your previous sessions ({len(prev)})</h2>'
        '<p class="muted">Values are the mean of the per-rep peaks. A change counts only when '
        f"it exceeds the smallest detectable difference ({_e(sdd_note)}); smaller changes are "
        "within measurement error.</p>" + table + fig + "</section>"
    )


def _verdict(c: Any, no_data: str) -> str:
    if c.verdict == no_data:
        return '<span class="chip sev-none">no data</span>'
    cls = {"improved": "better", "worse": "severe"}.get(c.verdict, "none")
    text = "within error" if cls == "none" else c.verdict
    delta = f"{c.delta:+.1f}°".replace("-", "−")
    return f'<span class="chip sev-{cls}" title="{_e(c.verdict)}">{_e(text)} {delta}</span>'


def _footer(a: Mapping[str, Any]) -> str:
    model = a.get("model") or {}
    src = a.get("source") or {}
    thr = a.get("thresholds") or {}
    bits = []
    if src.get("path"):
        bits.append(f"Clip: {_e(Path(str(src['path'])).name)}")
    if src.get("fps") and src.get("frames"):
        bits.append(f"{_e(src.get('frames'))} frames at {_num(src.get('fps')) or 0:.0f} fps"
                    + (f", {_e(src.get('width'))}×{_e(src.get('height'))}"
                       if src.get("width") else ""))
    if model.get("name"):
        sha = str(model.get("sha256") or "")[:12]
        bits.append(f"Pose model: {_e(model['name'])}" + (f" ({_e(sha)}…)" if sha else ""))
    if thr:
        parts = []
        for k, v in thr.items():
            if isinstance(v, dict):
                s = ", ".join(f"{_e(n)} {_deg(x, 0)}" for n, x in v.items())
                parts.append(f"{_e(k.replace('_deg', '').replace('_', ' '))}: {s}")
        bits.append("Thresholds: " + "; ".join(parts))
    bits.append(f"Report made {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC"
                + (f" from {_e(a.get('schema'))}" if a.get("schema") else ""))
    return (
        "<footer><p>" + "<br>".join(bits) + "</p><p>hipform measures 2D angles from a single "
        "camera. It is a training aid, not a diagnosis: values depend on camera placement, "
        "and a change smaller than the measurement error is not a real change.</p></footer>"
    )


_CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;
--ok:#15803d;--ok-bg:#dcfce7;--flag:#b45309;--flag-bg:#fef3c7;--sev:#b91c1c;--sev-bg:#fee2e2;
--acc:#2563eb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 20px 40px}
header{margin-bottom:20px}
.kicker{color:var(--acc);font-weight:600;font-size:.8rem;letter-spacing:.08em;
text-transform:uppercase}
h1{font-size:1.9rem;line-height:1.2;margin:.2rem 0 .3rem}
h2{font-size:1.25rem;margin:0 0 .3rem}
.meta{color:var(--muted);font-size:.95rem}
.meta span+span:before{content:"·";margin:0 .5em;color:#cbd5e1}
section{background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:18px 20px;margin:16px 0}
section.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(116px,1fr));gap:10px;
background:none;border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-left:5px solid #cbd5e1;
border-radius:12px;padding:10px 12px}
.card.sev-ok{border-left-color:var(--ok)}.card.sev-flag{border-left-color:#f59e0b}
.card.sev-severe{border-left-color:#dc2626}
.card-label{font-size:.72rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;
line-height:1.3;min-height:2.6em}
.card-value{font-size:1.55rem;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums}
.card-note{font-size:.75rem;color:var(--muted);line-height:1.3}
.card-value small{font-size:.8rem;font-weight:600;color:var(--muted);margin-left:2px}
.muted{color:var(--muted);margin:.1rem 0 .8rem;font-size:.93rem}
figure{margin:0}
figure.plot{margin:14px 0 6px}
figure.plot svg{display:block;width:100%;max-width:100%;overflow:visible}
figcaption{font-size:.88rem;color:var(--muted);margin-top:4px}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.93rem}
th{text-align:left;font-weight:600;color:var(--muted);font-size:.78rem;text-transform:uppercase;
letter-spacing:.04em;border-bottom:2px solid var(--line);padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:8px;vertical-align:top}
td.num{font-variant-numeric:tabular-nums}
td.nowrap{white-space:nowrap;font-variant-numeric:tabular-nums}
td.faults{min-width:150px}
tbody tr:last-child td{border-bottom:0}
.val{display:inline-block;padding:1px 7px;border-radius:6px;font-variant-numeric:tabular-nums;
white-space:nowrap;font-weight:600}
.val small{font-weight:500;opacity:.75}
.chip{display:inline-block;padding:1px 9px;margin:1px 4px 1px 0;border-radius:999px;
font-size:.8rem;font-weight:600;white-space:nowrap}
.sev-ok.val,.sev-ok.chip,.sev-better.chip{background:var(--ok-bg);color:var(--ok)}
.sev-flag.val,.sev-flag.chip{background:var(--flag-bg);color:var(--flag)}
.sev-severe.val,.sev-severe.chip{background:var(--sev-bg);color:var(--sev)}
.sev-none.val,.sev-none.chip{background:#f1f5f9;color:#475569}
.rubric{font-size:.75rem;color:var(--muted);line-height:1.3;min-width:110px}
.moments{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:14px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr));
gap:18px 28px}
.nowrap{white-space:nowrap}
.sub{font-size:.78rem;color:var(--muted);font-variant-numeric:tabular-nums}
.moment{border:1px solid var(--line);border-radius:12px;overflow:hidden;background:#fff}
.moment.sev-severe{border-color:#fca5a5}.moment.sev-flag{border-color:#fcd34d}
.moment img{width:100%;height:auto;display:block;background:#111}
.moment .noimg{aspect-ratio:4/3;display:flex;align-items:center;justify-content:center;
color:var(--muted);background:#f1f5f9;font-size:.85rem}
.moment figcaption{padding:8px 12px 10px;color:var(--ink);font-size:.9rem}
ul.cues{list-style:none;margin:0;padding:0}
ul.cues li{display:flex;flex-wrap:wrap;gap:4px 12px;padding:8px 0;
border-bottom:1px solid var(--line)}
ul.cues li:last-child{border-bottom:0}
.cues .t{font-variant-numeric:tabular-nums;color:var(--muted);min-width:4.2em}
.cues .msg{font-weight:600;flex:1 1 240px}
.cues .cue-meta{color:var(--muted);font-size:.85rem}
section.key ul{list-style:none;margin:.4rem 0 0;padding:0}
section.key li{padding:6px 0 6px 14px;border-left:4px solid #cbd5e1;margin:6px 0}
section.key li.sev-ok{border-left-color:var(--ok)}
section.key li.sev-flag{border-left-color:#f59e0b}
section.key li.sev-severe{border-left-color:#dc2626}
footer{color:var(--muted);font-size:.82rem;margin-top:24px}
footer p{margin:.4rem 0}
code{background:#f1f5f9;padding:1px 5px;border-radius:4px}
@media (max-width:600px){
main{padding:16px 12px 28px}h1{font-size:1.5rem}section{padding:14px 12px;border-radius:12px}
.card-value{font-size:1.4rem}td,th{padding:6px 5px}
.moments{grid-template-columns:1fr 1fr;gap:10px}
table.stack thead{display:none}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border:1px solid var(--line);border-radius:10px;padding:6px 10px;margin:0 0 10px}
table.stack td{display:flex;justify-content:space-between;align-items:baseline;gap:12px;
border-bottom:1px dashed var(--line);padding:5px 0;text-align:right}
table.stack td:last-child{border-bottom:0}
table.stack td:before{content:attr(data-label);color:var(--muted);font-size:.78rem;
text-transform:uppercase;letter-spacing:.04em;text-align:left;flex:0 0 auto}
table.stack td.rep{font-size:1.05rem}
.rubric{min-width:0}}
@media print{body{background:#fff}section{break-inside:avoid;border-color:#ccc}}
"""


# --------------------------------------------------------------------------- public


def build_html(
    analysis: Mapping[str, Any],
    *,
    thumbnails: Mapping[str, bytes] | None = None,
    history: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The report as one HTML string (see :func:`render_report`)."""
    a = analysis
    ex = a.get("exercise")
    title = EXERCISE_NAMES.get(str(ex), str(ex).replace("_", " ").capitalize()) if ex else (
        "Exercise not recognised")
    side = a.get("side")
    heading = title + (f" · {side} leg" if side else "")
    meta = []
    if a.get("subject"):
        meta.append(f"<span>{_e(a['subject'])}</span>")
    if a.get("session"):
        meta.append(f"<span>{_e(a['session'])}</span>")
    when = a.get("created") or a.get("recorded_at")
    if when:
        meta.append(f"<span>{_e(_when(when))}</span>")
    if a.get("view"):
        meta.append(f"<span>{_e(str(a['view']).replace('_', ' '))} view</span>")
    conf = _num(a.get("exercise_confidence"))
    if conf is not None and ex:
        meta.append(f"<span>recognised with {conf * 100:.0f}% confidence</span>")
    doc_title = f"hipform · {heading} · {_when(a.get('created'))}"
    body = [
        "<header><div class='kicker'>hipform form check</div>",
        f"<h1>{_e(heading)}</h1><div class='meta'>{''.join(meta)}</div></header>",
        _cards(a),
        _key_points(a, history),
        _history(a, history),
        _rep_table(a),
        _worst_moments(a, thumbnails),
        _plots(a),
        _cues(a),
        _footer(a),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='color-scheme' content='light'>"
        f"<title>{_e(doc_title)}</title><style>{_CSS}</style></head><body><main>"
        + "".join(body) + "</main></body></html>\n"
    )


def render_report(
    analysis: dict[str, Any],
    out_path: str | os.PathLike[str],
    *,
    thumbnails: dict[str, bytes] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a self-contained HTML report of one analysis.

    Args:
        analysis: a ``hipform.analysis/1`` dict (missing optional keys are tolerated:
            sections without data are left out).
        out_path: the ``.html`` file to write (parent folders are created); written to a
            temporary file in the same folder and renamed into place.
        thumbnails: JPEG/PNG bytes of the worst moment of each fault, keyed
            ``"<code>/<side>"`` (also ``"<code>:<side>"``, ``"<code>_<side>"`` or
            ``"<code>"``), e.g. ``{"knee_valgus/left": jpeg}``. Keys that match no fault
            are shown with the key as caption.
        history: previous sessions of the same subject and exercise, oldest first
            (:meth:`hipform.store.Store.get_session` dicts, analysis dicts or
            :meth:`~hipform.store.Store.trend` rows). An entry whose ``id`` equals
            ``analysis["id"]`` is skipped.
    Returns:
        the path written.
    Raises:
        OutputError: the file cannot be written (message names it).
        ValueError: a thumbnail is neither PNG nor JPEG.
    """
    text = build_html(analysis, thumbnails=thumbnails, history=history)
    path = Path(out_path).expanduser()
    try:
        write_text_replacing(path, text, mode=0o644)
    except OSError as e:
        raise OutputError(f"cannot write report {path}: {e}") from e
    return path


def render_live_report(
    analysis: dict[str, Any],
    out_path: str | os.PathLike[str],
    *,
    thumbnails: dict[str, bytes] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> Path:
    """Report of a live session: the same layout as :func:`render_report`."""
    return render_report(analysis, out_path, thumbnails=thumbnails, history=history)
