"""Which clips a batch holds: a folder searched recursively, or a CSV manifest.

Each clip gets a stable, unique output name (its path relative to the input with the
folder separators replaced by ``__``), so rerunning the same command finds its earlier
outputs again. Nothing here opens a video: a clip that cannot be read is found out by
the worker and becomes a failed row, never an aborted batch.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hipform.errors import ConfigError, VideoNotFoundError

__all__ = [
    "VIDEO_EXTS",
    "MANIFEST_COLUMNS",
    "Clip",
    "discover_clips",
    "read_manifest",
    "scan_folder",
    "fingerprint",
    "safe_name",
]

#: File suffixes (lower case) a folder scan treats as videos.
VIDEO_EXTS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv",
              ".3gp", ".ts", ".mts", ".m2ts", ".flv", ".ogv")
#: Columns a manifest may have (``path`` is required; others optional, empty = default).
MANIFEST_COLUMNS = ("path", "exercise", "side", "subject", "session")
_EXERCISES = ("auto", "bridge", "step_down", "single_leg_squat")
_SIDES = ("auto", "left", "right")


@dataclass(frozen=True)
class Clip:
    """One clip of a batch.

    Attributes:
        path: the video file (absolute).
        rel: its path as shown in ``scores.csv`` (relative to the input folder or the
            manifest, POSIX separators); rows are sorted by it.
        name: the clip's output folder name under ``DIR/clips/`` (unique, stable).
        exercise, side, subject, session: per-clip settings from a manifest (None =
            use the batch default / unknown).
    """

    path: Path
    rel: str
    name: str
    exercise: str | None = None
    side: str | None = None
    subject: str | None = None
    session: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Clip:
        return cls(**{**d, "path": Path(d["path"])})


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_name(rel: str) -> str:
    """A folder name for ``rel``: separators -> ``__``, other unsafe characters -> ``_``.

    >>> safe_name("subj 1/left/sls.mp4")
    'subj_1__left__sls.mp4'
    """
    parts = [p for p in re.split(r"[\\/]+", rel) if p not in ("", ".")]
    parts = ["up" if p == ".." else _UNSAFE.sub("_", p) for p in parts]
    name = "__".join(parts).lstrip(".") or "clip"
    return name[:180]


def _unique_names(clips: list[Clip]) -> list[Clip]:
    """Give clips whose names collide a short hash suffix (of their full identity)."""
    seen: dict[str, int] = {}
    for c in clips:
        seen[c.name.lower()] = seen.get(c.name.lower(), 0) + 1
    out = []
    for c in clips:
        if seen[c.name.lower()] > 1:
            key = "|".join(str(v) for v in (c.rel, c.exercise, c.side, c.subject, c.session))
            h = hashlib.sha1(key.encode()).hexdigest()[:8]
            c = Clip(c.path, c.rel, f"{c.name}-{h}", c.exercise, c.side, c.subject, c.session)
        out.append(c)
    return out


def scan_folder(folder: Path, *, exclude: Path | None = None) -> list[Clip]:
    """Every video file under ``folder`` (recursive, hidden files and folders skipped,
    anything under ``exclude`` - the batch's own output folder - skipped), sorted."""
    folder = folder.resolve()
    ex = exclude.resolve() if exclude is not None else None
    clips = []
    for root, dirs, files in os.walk(folder):
        rp = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (ex is None or (rp / d).resolve() != ex))
        for f in files:
            if f.startswith(".") or Path(f).suffix.lower() not in VIDEO_EXTS:
                continue
            p = rp / f
            rel = p.relative_to(folder).as_posix()
            clips.append(Clip(p, rel, safe_name(rel)))
    clips.sort(key=lambda c: c.rel)
    return _unique_names(clips)


def _choice(value: str, allowed: tuple[str, ...], col: str, where: str) -> str | None:
    v = value.strip().lower().replace("-", "_")
    if not v:
        return None
    if v not in allowed:
        raise ConfigError(f"{where}: column {col!r} has {value!r}; expected one of "
                          f"{', '.join(allowed)}")
    return None if v == "auto" else v


def read_manifest(manifest: Path) -> list[Clip]:
    """Clips listed in a CSV manifest (header row required; see MANIFEST_COLUMNS).

    Relative paths are relative to the manifest's folder. A listed file that does not
    exist is kept (it becomes a failed row). Raises ConfigError naming the manifest and
    line for a missing ``path`` column, an empty path or an unknown exercise/side.
    """
    base = manifest.resolve().parent
    try:
        with open(manifest, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            fields = [h.strip().lower() for h in (reader.fieldnames or [])]
            if "path" not in fields:
                raise ConfigError(f"{manifest}: manifest needs a 'path' column "
                                  f"(found: {', '.join(fields) or 'no header'})")
            rows = [{(k or "").strip().lower(): (v or "") for k, v in r.items()}
                    for r in reader]
    except UnicodeDecodeError as e:
        raise ConfigError(f"{manifest}: not a UTF-8 CSV manifest ({e})") from e
    except csv.Error as e:
        raise ConfigError(f"{manifest}: malformed CSV ({e})") from e
    clips = []
    for i, r in enumerate(rows, start=2):
        where = f"{manifest}:{i}"
        raw = r.get("path", "").strip()
        if not raw:
            if not any(v.strip() for v in r.values()):
                continue  # blank line
            raise ConfigError(f"{where}: empty path")
        p = Path(raw).expanduser()
        p = p if p.is_absolute() else base / p
        try:
            rel = p.resolve().relative_to(base).as_posix()
        except ValueError:
            rel = os.path.relpath(p.resolve(), base).replace(os.sep, "/")
        clips.append(Clip(
            p.resolve(), rel, safe_name(rel),
            exercise=_choice(r.get("exercise", ""), _EXERCISES, "exercise", where),
            side=_choice(r.get("side", ""), _SIDES, "side", where),
            subject=r.get("subject", "").strip() or None,
            session=r.get("session", "").strip() or None,
        ))
    clips.sort(key=lambda c: (c.rel, c.subject or "", c.session or "", c.exercise or "",
                              c.side or ""))
    return _unique_names(clips)


def discover_clips(source: str | Path, *, exclude: Path | None = None) -> list[Clip]:
    """The clips of a batch input: a folder (scanned recursively for VIDEO_EXTS) or a
    ``.csv`` manifest. Raises VideoNotFoundError if ``source`` does not exist and
    ConfigError for anything else that is not a folder or a CSV file."""
    p = Path(source)
    if not p.exists():
        raise VideoNotFoundError(f"{p}: no such folder or manifest")
    if p.is_dir():
        return scan_folder(p, exclude=exclude)
    if p.suffix.lower() == ".csv":
        return read_manifest(p)
    raise ConfigError(f"{p}: batch input must be a folder of clips or a CSV manifest")


def fingerprint(path: Path) -> dict[str, int] | None:
    """What identifies a clip's content cheaply: size (bytes) and mtime (ns). None if
    the file is missing."""
    try:
        st = path.stat()
    except OSError:
        return None
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}
