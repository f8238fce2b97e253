"""The live loop in-process with fakes (no model): keys, events -> lines/JSON/voice,
the overlay, guidance and calibration."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from hipform.core.metrics import View
from hipform.exercises.types import Event, SessionState
from hipform.landmarks import LM
from hipform.live.session import Calibrator, LiveOptions, LiveSession, guidance_for
from hipform.report.overlay import FLAG, SKELETON
from tests.live.test_capture import FakeSource, SlowEstimator


def standing_row(w: int = 640, h: int = 480, tilt_px: float = 0.0) -> np.ndarray:
    """A person standing, facing the camera, feet level; (33, 4) px, visibility 1."""
    r = np.full((33, 4), np.nan, np.float32)
    cx = w / 2
    pts = {LM.NOSE: (cx, 60), LM.LEFT_EAR: (cx + 15, 60), LM.RIGHT_EAR: (cx - 15, 60),
           LM.LEFT_SHOULDER: (cx + 50, 110), LM.RIGHT_SHOULDER: (cx - 50, 110),
           LM.LEFT_ELBOW: (cx + 60, 170), LM.RIGHT_ELBOW: (cx - 60, 170),
           LM.LEFT_WRIST: (cx + 62, 220), LM.RIGHT_WRIST: (cx - 62, 220),
           LM.LEFT_HIP: (cx + 30, 240 + tilt_px), LM.RIGHT_HIP: (cx - 30, 240),
           LM.LEFT_KNEE: (cx + 30, 330), LM.RIGHT_KNEE: (cx - 30, 330),
           LM.LEFT_ANKLE: (cx + 30, 420), LM.RIGHT_ANKLE: (cx - 30, 420),
           LM.LEFT_HEEL: (cx + 28, 430), LM.RIGHT_HEEL: (cx - 28, 430),
           LM.LEFT_FOOT_INDEX: (cx + 40, 440), LM.RIGHT_FOOT_INDEX: (cx - 40, 440)}
    for k, (x, y) in pts.items():
        r[k] = (x, y, 0.0, 1.0)
    for k in range(33):  # the rest near the face/hands, visible
        if np.isnan(r[k, 0]):
            r[k] = (cx, 70, 0.0, 1.0)
    return r


class PoseEstimator(SlowEstimator):
    def __init__(self, row: np.ndarray) -> None:
        super().__init__(0.0)
        self.row = row

    def process(self, bgr, t_ms):
        self.calls += 1
        return self.row.copy(), None


class ScriptedEngine:
    """ExerciseSession stand-in: a cue at frame 3, a rep at frame 6; records calls."""

    instances: list[ScriptedEngine] = []

    def __init__(self, exercise, side, profile, frame_size=None) -> None:
        self.exercise, self.side, self.n = exercise, side, 0
        self.calls: list[str] = []
        ScriptedEngine.instances.append(self)

    def update(self, i, t_ms, row, metrics):
        assert row.shape == (33, 4) and len(metrics) == 1
        self.n += 1
        if self.n == 3:
            return [Event("cue", i, t_ms, {"cue": {
                "t_ms": t_ms, "code": "knee_valgus", "side": "left", "value": 17.0,
                "message": "Keep your left knee over your second toe."}})]
        if self.n == 6:
            return [Event("rep", i, t_ms, {"rep": {
                "index": 0, "side": "left", "eccentric_s": 1.5, "hold_s": 0.5,
                "concentric_s": 1.2, "faults": [{"code": "knee_valgus"}]}})]
        return []

    @property
    def state(self):
        return SessionState(self.exercise, self.side, "rest", 1 if self.n >= 6 else 0,
                            (1.5, 0.5, 1.2) if self.n >= 6 else None,
                            {"knee_valgus": 1} if self.n >= 6 else {}, None)

    def set_exercise(self, name):
        self.calls.append(f"exercise:{name}")
        self.exercise = name

    def set_side(self, side):
        self.calls.append(f"side:{side}")
        self.side = side

    def finish(self):
        return None


class FakeVoice:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.closed = False

    def say(self, text: str) -> None:
        self.said.append(text)

    def close(self) -> None:
        self.closed = True


class ScriptedWindow:
    """Returns the given key action at given frame numbers; keeps the frames shown."""

    def __init__(self, script: dict[int, str]) -> None:
        self.script = script
        self.shown: list[np.ndarray] = []
        self.closed = False
        self.any_thread = False
        self.threads: set[str] = set()  # the threads that showed pictures

    def show(self, img, wait_ms: int = 1):
        self.threads.add(threading.current_thread().name)
        self.shown.append(img.copy())
        return self.script.get(len(self.shown))

    def close(self) -> None:
        self.closed = True


class Src640(FakeSource):
    def __init__(self, n: int, fps: float) -> None:
        super().__init__(n, fps)
        img = np.full((480, 640, 3), 90, np.uint8)
        self.fr = [f._replace(bgr=img.copy()) for f in self.fr]

    @property
    def info(self) -> dict:
        return {**super().info, "width": 640, "height": 480}


def _session(n: int = 20, **kw) -> tuple[LiveSession, io.StringIO]:
    out = io.StringIO()
    opts = LiveOptions(exercise="single_leg_squat", save=False, drop=False,
                       **{k: v for k, v in kw.items() if k in LiveOptions.__dataclass_fields__})
    ScriptedEngine.instances.clear()
    s = LiveSession(Src640(n, 30.0), PoseEstimator(standing_row()), opts, paced=False,
                    engine_factory=ScriptedEngine, window=kw.get("window"),
                    voice=kw.get("voice"), stream=out)
    return s, out


def test_headless_lines_and_json_and_voice():
    voice = FakeVoice()
    s, out = _session(window=None, voice=voice)
    s.run_loop()
    text = out.getvalue()
    assert "cue " in text and "knee_valgus (left): Keep your left knee" in text
    assert "rep    1 left  tempo 1.5/0.5/1.2 s  faults: knee_valgus" in text
    assert voice.said == ["Keep your left knee over your second toe."] and voice.closed

    s, out = _session(window=None, json=True)
    s.run_loop()
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    kinds = [x["kind"] for x in lines]
    assert "cue" in kinds and "rep" in kinds
    rep = next(x for x in lines if x["kind"] == "rep")
    assert rep["rep"]["faults"][0]["code"] == "knee_valgus"


@pytest.mark.parametrize(("step_thread", "any_thread"),
                         [("model", True), ("model", False), ("main", False)])
def test_window_keys_pause_switch_calibrate_record_quit(tmp_path: Path, step_thread: str,
                                                        any_thread: bool):
    """Keys act from the frame after the one shown when they were pressed, whichever
    thread runs the per-frame step (the inference thread by default) and shows the
    picture (the inference thread too for a window usable from any thread, like the X11
    one; else the main thread, which hands the keys over between two frames)."""
    win = ScriptedWindow({2: "pause", 4: "pause", 5: "exercise", 6: "side", 7: "calibrate",
                          8: "record", 12: "record", 14: "quit"})
    win.any_thread = any_thread
    s, _ = _session(n=100, window=win, out=tmp_path / "sess", step_thread=step_thread)
    s.run_loop()
    assert s.stop_reason == "quit key" and win.closed
    assert win.threads == {"hipform-infer" if any_thread and step_thread == "model"
                           else "MainThread"}
    assert len(win.shown) == 14
    # frames 3 and 4 arrived while paused: not fed to the engine, not kept
    eng = ScriptedEngine.instances[0]
    assert eng.n == 12 and len(s.landmarks()) == 12
    assert eng.calls[0] == "exercise:step_down"  # single_leg_squat -> step_down
    assert eng.calls[1] == "side:left"
    assert s.calib is not None and s.calib.t0 is not None
    files = sorted(p.name for p in (tmp_path / ".sess.recording").iterdir())
    assert files == ["rec-1-annotated.mp4", "rec-1-raw.mp4"]
    # the overlay was drawn on what the window showed: skeleton and cue box
    img = win.shown[3]  # frame 4 (paused): guidance box
    d = np.abs(img.astype(int) - np.array(SKELETON)).max(axis=2)
    assert (d <= 10).sum() > 200
    assert (np.abs(img.astype(int) - np.array(FLAG)).max(axis=2) <= 10).sum() > 200


def test_guidance_codes():
    size = (640, 480)
    row = standing_row()
    assert guidance_for(row, size, int(View.FRONTAL), "single_leg_squat") is None
    assert guidance_for(np.full((33, 4), np.nan, np.float32), size, 0, None) == "nobody"
    cut = row.copy()
    cut[LM.LEFT_ANKLE, 1] = 500  # below the frame
    assert guidance_for(cut, size, int(View.FRONTAL), "single_leg_squat") == "out_of_view"
    hidden = row.copy()
    hidden[LM.RIGHT_KNEE, 3] = 0.1
    assert guidance_for(hidden, size, int(View.FRONTAL), "step_down") == "out_of_view"
    assert guidance_for(row, size, int(View.SAGITTAL_LEFT), "single_leg_squat") == \
        "face_camera"
    assert guidance_for(row, size, int(View.OBLIQUE), "bridge") == "turn_side_on"
    assert guidance_for(row, size, int(View.OBLIQUE), None) is None


def test_calibration_finds_baseline_and_roll():
    rng = np.random.default_rng(0)
    c = Calibrator((640, 480), timeout_s=6.0)
    done = False
    t = 0
    for _ in range(60):  # 2 s of quiet stance, pelvis tilted by 10 px over 60 px
        row = standing_row(tilt_px=10.0)
        row[:, :2] += rng.normal(0, 0.3, (33, 2)).astype(np.float32)
        done = c.feed(row, t) or done
        t += 33
    assert done and c.state == "done"
    assert c.baseline is not None and abs(abs(c.baseline) - np.degrees(np.arctan2(10, 60))) < 1.5
    assert c.roll_deg is not None and abs(c.roll_deg) < 1.0


def test_calibration_gives_up_without_quiet_stance():
    c = Calibrator((640, 480), timeout_s=1.0)
    nobody = np.full((33, 4), np.nan, np.float32)
    states = [c.feed(nobody, t) for t in range(0, 1500, 33)]
    assert any(states) and c.state == "none_found" and c.baseline == 0.0


def test_calibration_roll_follows_a_rotated_camera():
    """The picture turned 6 deg clockwise: roll +6, and the baseline absorbs it."""
    th = np.radians(6.0)
    c, s = np.cos(th), np.sin(th)
    cal = Calibrator((640, 480))
    rng = np.random.default_rng(1)
    for k in range(60):
        row = standing_row()
        row[:, :2] += rng.normal(0, 0.3, (33, 2)).astype(np.float32)
        x, y = row[:, 0] - 320, row[:, 1] - 240
        row[:, 0], row[:, 1] = c * x - s * y + 320, s * x + c * y + 240
        if cal.feed(row, k * 33):
            break
    assert cal.state == "done"
    assert cal.roll_deg is not None and abs(cal.roll_deg - 6.0) < 0.5
    assert cal.baseline is not None and abs(abs(cal.baseline) - 6.0) < 0.5


def test_session_end_writes_analysis_recordings_and_history(tmp_path: Path):
    """--record from the start: the raw clip holds every captured frame; the session
    folder has what analyze writes plus the "live" block; history gets the session."""
    import cv2

    from hipform.store import open_store

    out, db = tmp_path / "sess", tmp_path / "h.db"
    opts = LiveOptions(exercise="single_leg_squat", save=True, db=db, drop=False,
                       record=True, out=out, window=False, subject="anna")
    s = LiveSession(Src640(30, 30.0), PoseEstimator(standing_row()), opts, paced=False,
                    engine_factory=ScriptedEngine, stream=io.StringIO())
    summary = s.run()
    assert summary["out"] == str(out) and summary["stored"] is not None
    for f in ("analysis.json", "landmarks.npz", "metrics.csv", "run.json", "report.html"):
        assert (out / f).exists(), f
    a = json.loads((out / "analysis.json").read_text())
    live = a["live"]
    assert live["frames_processed"] == 30 and live["stop_reason"] == "end of source"
    assert [r["index"] for r in live["reps"]] == [0]
    assert live["cues"][0]["code"] == "knee_valgus"
    assert len(a["frames"]["t_ms"]) == 30
    raw = out / "recordings" / "rec-1-raw.mp4"
    ann = out / "recordings" / "rec-1-annotated.mp4"
    assert raw.exists() and ann.exists()
    assert not (tmp_path / ".sess.recording").exists()
    cap = cv2.VideoCapture(str(raw))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert n == 30
    with open_store(db) as st:
        rows = st.list_sessions()
    assert len(rows) == 1
