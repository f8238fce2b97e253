"""Pose model bundles: where they are, whether they are intact, how to fetch more.

No mediapipe import here (cheap to import); loading happens in
:mod:`hipform.pose.mediapipe_estimator`.

Search order for a named model (``lite``, ``full``, ``heavy``):
1. ``$HIPFORM_MODELS_DIR`` if set,
2. the repository's ``models/`` folder (next to the ``hipform`` package, so an
   install from the repo finds the bundle with no configuration),
3. the user's data folder (``platformdirs.user_data_dir("hipform")/models``), where
   ``hipform models download`` puts bundles.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hipform.errors import ModelDownloadError, ModelError

#: Members every pose landmarker ``.task`` bundle must contain.
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

#: Official bundles (Apache-2.0, Google). ``sha256`` is pinned where we built or
#: verified the file; downloaded bundles get a sidecar ``.sha256`` written at download.
KNOWN_MODELS: dict[str, dict[str, str | None]] = {
    "lite": {
        "file": "pose_landmarker_lite.task",
        "url": "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
        "pose_landmarker_lite/float16/latest/pose_landmarker_lite.task",
        "sha256": None,
    },
    "full": {
        "file": "pose_landmarker_full.task",
        "url": "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
        "pose_landmarker_full/float16/latest/pose_landmarker_full.task",
        # Built by models/build_model.py from the mediapipe==0.10.14 wheel (reproducible).
        "sha256": "7cdfcf941d4f37ba2ec0713060c1e8aaefafb087d1fd354d0927a11ca9cbb0ba",
    },
    "heavy": {
        "file": "pose_landmarker_heavy.task",
        "url": "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
        "pose_landmarker_heavy/float16/latest/pose_landmarker_heavy.task",
        "sha256": None,
    },
}
DEFAULT_MODEL = "full"


@dataclass(frozen=True)
class ModelInfo:
    """A model bundle on disk that passed verification."""

    name: str
    path: Path
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256, "path": str(self.path)}


def repo_models_dir() -> Path:
    """``models/`` next to the installed ``hipform`` package (a checkout / editable install)."""
    return Path(__file__).resolve().parents[2] / "models"


def user_models_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("hipform")) / "models"


def search_dirs() -> list[Path]:
    dirs = []
    env = os.environ.get("HIPFORM_MODELS_DIR")
    if env:
        dirs.append(Path(env))
    dirs += [repo_models_dir(), user_models_dir()]
    return dirs


_SHA_CACHE: dict[tuple[str, float, int], str] = {}


def sha256_of(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def _expected_sha(name: str, path: Path) -> str | None:
    side = path.with_name(path.name + ".sha256")
    if side.exists():
        return side.read_text().split()[0].strip()
    known = KNOWN_MODELS.get(name)
    if known and known["file"] == path.name:
        return known["sha256"]
    return None


def verify_bundle(path: Path, name: str | None = None) -> ModelInfo:
    """Check that ``path`` is an intact pose landmarker bundle.

    Raises ModelError naming the path when the file is missing, is not a zip with the
    two expected members, or does not match its recorded SHA-256.
    """
    path = Path(path)
    name = name or path.stem
    if not path.is_file():
        raise ModelError(f"{path}: pose model bundle not found")
    digest = sha256_of(path)
    expected = _expected_sha(name, path)
    if expected and digest != expected:
        raise ModelError(
            f"{path}: pose model bundle is corrupt (SHA-256 {digest[:12]}…, "
            f"expected {expected[:12]}…); rebuild it with models/build_model.py"
        )
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError) as e:
        raise ModelError(f"{path}: not a pose model bundle ({e})") from e
    missing = [m for m in BUNDLE_MEMBERS if m not in names]
    if missing:
        raise ModelError(f"{path}: not a pose landmarker bundle (missing {', '.join(missing)})")
    return ModelInfo(name=name, path=path, sha256=digest)


def resolve_model(model: str | os.PathLike[str] | None = None) -> ModelInfo:
    """Find and verify a model: a known name (lite/full/heavy), a path, or None (= full)."""
    if model is None:
        model = DEFAULT_MODEL
    if isinstance(model, str) and model in KNOWN_MODELS:
        fname = str(KNOWN_MODELS[model]["file"])
        for d in search_dirs():
            p = d / fname
            if p.exists():
                return verify_bundle(p, model)
        where = ", ".join(str(d) for d in search_dirs())
        hint = (
            "rebuild it with `python models/build_model.py`"
            if model == "full"
            else f"fetch it with `hipform models download {model}`"
        )
        raise ModelError(f"{fname}: pose model '{model}' not found in {where}; {hint}")
    return verify_bundle(Path(model))


def list_models() -> list[dict[str, str]]:
    """Every known model with its state: ok / missing / corrupt, and its path."""
    rows = []
    for name, spec in KNOWN_MODELS.items():
        row = {"name": name, "status": "missing", "path": "", "sha256": "", "detail": ""}
        try:
            info = resolve_model(name)
            row.update(status="ok", path=str(info.path), sha256=info.sha256)
        except ModelError as e:
            msg = str(e)
            row["status"] = "corrupt" if "corrupt" in msg or "not a pose" in msg else "missing"
            row["detail"] = msg
            row["path"] = str(spec["file"])
        rows.append(row)
    return rows


def download_model(name: str, dest_dir: Path | None = None, timeout: float = 20.0) -> ModelInfo:
    """Fetch Google's official bundle ``name`` (atomically) into the user models folder."""
    if name not in KNOWN_MODELS:
        raise ModelError(f"{name}: unknown model (choose from {', '.join(KNOWN_MODELS)})")
    spec = KNOWN_MODELS[name]
    dest_dir = dest_dir or user_models_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / str(spec["file"])
    part = dest.with_name(dest.name + ".part")
    url = str(spec["url"])
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(part, "wb") as f:
            while chunk := r.read(1 << 20):
                f.write(chunk)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", e)
        raise ModelDownloadError(
            f"{url}: cannot download model '{name}' ({reason}); no internet? "
            f"Copy a .task bundle by hand and pass it with --model PATH"
        ) from e
    digest = sha256_of(part)
    if spec["sha256"] and digest != spec["sha256"]:
        part.unlink(missing_ok=True)
        raise ModelDownloadError(f"{url}: downloaded file does not match the pinned SHA-256")
    part.replace(dest)
    dest.with_name(dest.name + ".sha256").write_text(f"{digest}  {dest.name}\n")
    return verify_bundle(dest, name)
