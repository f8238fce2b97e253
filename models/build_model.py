#!/usr/bin/env python3
"""Rebuild ``models/pose_landmarker_full.task`` from the mediapipe==0.10.14 wheel.

mediapipe 1.x ships no model files and nothing can be downloaded here, but the
Apache-2.0 BlazePose GHUM models ``pose_detection.tflite`` and
``pose_landmark_full.tflite`` ship inside the PyPI wheel of mediapipe==0.10.14. The
Tasks API refuses them until each carries image-normalisation metadata (detector:
mean 127.5, std 127.5; landmark model: mean 0, std 255). mediapipe 0.10.14's own
metadata writer adds it (1.x's is broken), so this script:

1. makes a throw-away venv with mediapipe==0.10.14 (from PyPI),
2. runs ``_add_metadata.py`` in it on both models,
3. zips them as ``pose_detector.tflite`` + ``pose_landmarks_detector.tflite`` into a
   ``.task`` bundle with fixed timestamps (so the SHA-256 is reproducible),
4. prints the SHA-256 and writes it to ``pose_landmarker_full.task.sha256``.

Usage: python models/build_model.py [--python PY_WITH_MEDIAPIPE_0_10_14] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = "mediapipe/modules"
PARTS = (
    # (source inside the wheel, name inside the bundle, mean, std)
    ("pose_detection/pose_detection.tflite", "pose_detector.tflite", "127.5", "127.5"),
    ("pose_landmark/pose_landmark_full.tflite", "pose_landmarks_detector.tflite", "0", "255"),
)


def _venv_with_old_mediapipe(tmp: Path) -> Path:
    venv = tmp / "mp01014"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "mediapipe==0.10.14"], check=True)
    return py


def build(out: Path, python: Path | None) -> str:
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        py = python or _venv_with_old_mediapipe(tmp)
        site = subprocess.run(
            [str(py), "-c", "import mediapipe, os; print(os.path.dirname(mediapipe.__file__))"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        blobs: list[tuple[str, bytes]] = []
        for src, name, mean, std in PARTS:
            dst = tmp / name
            subprocess.run(
                [str(py), str(HERE / "_add_metadata.py"), f"{site}/modules/{src}", str(dst),
                 mean, std, name.removesuffix(".tflite")],
                check=True,
            )
            blobs.append((name, dst.read_bytes()))
        part = out.with_name(out.name + ".part")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as z:
            for name, data in blobs:
                zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                zi.external_attr = 0o644 << 16
                z.writestr(zi, data)
        part.replace(out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    return digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--python", type=Path, default=None,
                    help="a python that already has mediapipe==0.10.14 (skips making a venv)")
    ap.add_argument("--out", type=Path, default=HERE / "pose_landmarker_full.task")
    a = ap.parse_args()
    print(build(a.out, a.python))


if __name__ == "__main__":
    main()
