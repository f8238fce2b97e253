"""Voice cues: a cue rendered to WAV is speech, not silence; the worker never blocks
the caller and drops superseded or stale cues."""

from __future__ import annotations

import shutil
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from hipform.coaching.messages import message
from hipform.coaching.voice import Voice, VoiceError, render_wav

needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") or shutil.which("espeak")),
    reason="espeak-ng not installed (CI installs it with apt)",
)


def wav_samples(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        data = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        return data.astype(np.float64) / 32768.0, w.getframerate()


@needs_espeak
def test_render_wav_is_speech_not_silence(tmp_path: Path):
    text = message("knee_valgus", "left")
    p = render_wav(text, tmp_path / "cue.wav")
    x, rate = wav_samples(p)
    dur = len(x) / rate
    assert 1.0 < dur < 15.0, f"{dur:.2f} s for {len(text)} characters"
    rms = float(np.sqrt(np.mean(x**2)))
    assert rms > 0.02, f"RMS {rms:.4f}: silence"
    # speech has pauses: 50 ms frames are far from uniformly loud
    frames = x[: len(x) // 1102 * 1102].reshape(-1, 1102)
    loud = np.sqrt((frames**2).mean(axis=1))
    assert (loud > 0.05).mean() > 0.3 and (loud < 0.01).any()
    assert not list(tmp_path.glob("*.part*"))


@needs_espeak
def test_render_wav_missing_folder_names_the_path(tmp_path: Path):
    with pytest.raises(OSError, match="nope"):
        render_wav("hello", tmp_path / "nope" / "cue.wav")


def test_missing_espeak_is_a_typed_error(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HIPFORM_ESPEAK", str(tmp_path / "no-espeak"))
    with pytest.raises(VoiceError, match="no-espeak"):
        Voice()
    assert issubclass(VoiceError, FileNotFoundError)


def test_say_never_blocks_and_drops_stale_cues():
    release = threading.Event()
    said: list[str] = []

    def runner(text: str) -> None:  # a speech engine busy for as long as we want
        said.append(text)
        release.wait(5)

    v = Voice(runner=runner, max_age_s=0.2)
    t0 = time.perf_counter()
    v.say("one")
    time.sleep(0.05)  # "one" is now being spoken
    for k in ("two", "three", "four"):
        v.say(k)
    assert time.perf_counter() - t0 < 0.2  # say() returned at once each time
    time.sleep(0.3)  # "four" waits longer than max_age_s behind "one"
    release.set()
    assert v.wait_idle(3)
    v.close()
    assert said == ["one"]  # two/three superseded, four stale
    assert v.dropped == 3


def test_fresh_cue_is_spoken_after_the_current_one():
    said: list[str] = []
    v = Voice(runner=lambda t: (said.append(t), time.sleep(0.05)), max_age_s=2.0)
    v.say("one")
    time.sleep(0.01)
    v.say("two")
    assert v.wait_idle(3)
    v.close()
    assert said == ["one", "two"] and v.dropped == 0
